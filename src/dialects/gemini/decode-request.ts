/**
 * @module
 * A Gemini client's `generateContent` body as a canonical request. The model
 * and whether to stream come from the URL (`context`). Field names are read in
 * camelCase or snake_case, as Google's own parser does.
 *
 * Choices made here:
 * - `model` turns are decoded like an upstream answer (decode-response.ts):
 *   thought parts are reasoning, a `thoughtSignature` on a call is the call's
 *   signature, one on any other part rides on an empty reasoning part before
 *   it. A call without an `id` gets `call_<n>` (n counts such calls in this
 *   request, so the same history gives the same ids on every turn), marked so
 *   that the ids are not sent back to Gemini.
 * - `functionResponse` parts are tool results (role `tool`); the other parts
 *   of the same turn stay a user message, in order. A response without an
 *   `id` answers the oldest unanswered call of that name; a response with an
 *   id that answers a call sent without one lends the call its id (Gemini CLI
 *   numbers calls itself when Gemini did not). The result's content
 *   is the JSON text of `response`, except that `{output: "text"}` and
 *   `{error: "text"}` (Gemini CLI's shape) are that text (an error for the
 *   second); encode-parts.ts wraps them back the same way.
 * - Function schemas in `parameters` (OpenAPI subset) become JSON Schema; the
 *   field the client used is kept so a Gemini upstream gets the same field.
 * - `thinkingBudget` N is a budget, 0 is thinking off, -1 is thinking on with
 *   no budget; `thinkingLevel` is an effort (and is kept as sent).
 * - Built-in tools (`googleSearch`, `codeExecution` …), `safetySettings`,
 *   `cachedContent`, unknown `generationConfig` fields and other top-level
 *   fields go to `providerData.gemini` for a Gemini upstream.
 * - Parts of a kind subgate does not know (in a turn, in `systemInstruction`,
 *   in a `functionResponse`) and function-calling modes it does not know are
 *   never refused: they are kept verbatim with their place (`PlacedPart`) so a
 *   Gemini upstream (Code Assist goes through the codec) gets them back, and
 *   `leave-dialect.ts` says what other dialects lose.
 */
import type { DecodeContext } from "../codec.ts";
import type {
  FilePart,
  Message,
  TextPart,
  ToolCallPart,
  ToolResultPart,
  UserPart,
} from "../../ir/message.ts";
import type {
  CanonicalRequest,
  ReasoningConfig,
  ResponseFormat,
  ToolChoice,
  ToolDefinition,
} from "../../ir/request.ts";
import { apiError } from "../../errors/api-error.ts";
import { fromGeminiSchema } from "./clean-schema.ts";
import { decodeModelParts, ORIGIN } from "./decode-response.ts";
import type {
  GeminiBlob,
  GeminiFileData,
  GeminiFunctionCall,
  GeminiFunctionResponse,
  GeminiPart,
  JsonSchema,
  PlacedPart,
} from "./wire-types.ts";
import { isObject, type Json } from "../../ir/json.ts";

function invalid(path: string, problem: string) {
  return apiError("invalid_request", `${path}: ${problem}`);
}

function snake(name: string): string {
  return name.replace(/[A-Z]/g, (char) => `_${char.toLowerCase()}`);
}

/** A field in either spelling (camelCase first). */
function field(object: Json, name: string): unknown {
  if (Object.hasOwn(object, name)) return object[name];
  const other = snake(name);
  return Object.hasOwn(object, other) ? object[other] : undefined;
}

/** The fields of `object` that are none of `names` (in either spelling). */
function extras(object: Json, names: readonly string[]): Json | undefined {
  const known = new Set(names.flatMap((name) => [name, snake(name)]));
  const out: Json = {};
  for (const [key, value] of Object.entries(object)) if (!known.has(key)) out[key] = value;
  return Object.keys(out).length > 0 ? out : undefined;
}

function objectAt(value: unknown, path: string): Json {
  if (!isObject(value)) throw invalid(path, "expected an object");
  return value;
}

function arrayAt(value: unknown, path: string): unknown[] {
  if (!Array.isArray(value)) throw invalid(path, "expected an array");
  return value;
}

function optionalString(value: unknown, path: string): string | undefined {
  if (value === undefined || value === null) return undefined;
  if (typeof value !== "string") throw invalid(path, "expected a string");
  return value;
}

function optionalNumber(value: unknown, path: string): number | undefined {
  if (value === undefined || value === null) return undefined;
  if (typeof value !== "number" || !Number.isFinite(value)) {
    throw invalid(path, "expected a number");
  }
  return value;
}

function optionalBoolean(value: unknown, path: string): boolean | undefined {
  if (value === undefined || value === null) return undefined;
  if (typeof value !== "boolean") throw invalid(path, "expected true or false");
  return value;
}

function optionalSchema(value: unknown, path: string): JsonSchema | undefined {
  if (value === undefined || value === null) return undefined;
  return objectAt(value, path);
}

// ---------------------------------------------------------------------------
// Parts

function blobAt(value: unknown, path: string): GeminiBlob {
  const blob = objectAt(value, path);
  const mimeType = optionalString(field(blob, "mimeType"), `${path}.mimeType`);
  const data = optionalString(field(blob, "data"), `${path}.data`);
  if (!mimeType) throw invalid(`${path}.mimeType`, "required");
  if (data === undefined) throw invalid(`${path}.data`, "required");
  return { mimeType, data };
}

function fileDataAt(value: unknown, path: string): GeminiFileData {
  const file = objectAt(value, path);
  const fileUri = optionalString(field(file, "fileUri"), `${path}.fileUri`);
  if (!fileUri) throw invalid(`${path}.fileUri`, "required");
  const mimeType = optionalString(field(file, "mimeType"), `${path}.mimeType`);
  return mimeType ? { mimeType, fileUri } : { fileUri };
}

function functionCallAt(value: unknown, path: string): GeminiFunctionCall {
  const call = objectAt(value, path);
  const name = optionalString(call.name, `${path}.name`);
  if (!name) throw invalid(`${path}.name`, "required");
  const id = optionalString(call.id, `${path}.id`);
  const args = call.args === undefined || call.args === null
    ? undefined
    : objectAt(call.args, `${path}.args`);
  return { ...(id ? { id } : {}), name, ...(args ? { args } : {}) };
}

function functionResponseAt(value: unknown, path: string): GeminiFunctionResponse {
  const response = objectAt(value, path);
  const name = optionalString(response.name, `${path}.name`);
  if (!name) throw invalid(`${path}.name`, "required");
  const id = optionalString(response.id, `${path}.id`);
  const body = response.response === undefined || response.response === null
    ? {}
    : objectAt(response.response, `${path}.response`);
  const out: GeminiFunctionResponse = { ...(id ? { id } : {}), name, response: body };
  const parts = response.parts;
  if (parts !== undefined) {
    out.parts = arrayAt(parts, `${path}.parts`).map((item, k) => {
      const partPath = `${path}.parts[${k}]`;
      const part = objectAt(item, partPath);
      const inline = field(part, "inlineData");
      if (inline !== undefined) return { inlineData: blobAt(inline, `${partPath}.inlineData`) };
      const file = field(part, "fileData");
      if (file !== undefined) return { fileData: fileDataAt(file, `${partPath}.fileData`) };
      // A kind of part subgate does not know: it goes back verbatim (see toolResult).
      return part;
    });
  }
  return out;
}

/** One part, validated and in camelCase; undefined for a part with no field subgate knows. */
function partAt(value: unknown, path: string): GeminiPart | undefined {
  const raw = objectAt(value, path);
  const part: GeminiPart = {};
  const signature = optionalString(field(raw, "thoughtSignature"), `${path}.thoughtSignature`);
  if (signature) part.thoughtSignature = signature;
  const thought = optionalBoolean(raw.thought, `${path}.thought`);
  if (thought !== undefined) part.thought = thought;
  const text = optionalString(raw.text, `${path}.text`);
  const inline = field(raw, "inlineData");
  const file = field(raw, "fileData");
  const call = field(raw, "functionCall");
  const response = field(raw, "functionResponse");
  const code = field(raw, "executableCode");
  const result = field(raw, "codeExecutionResult");
  if (text !== undefined) part.text = text;
  else if (inline !== undefined) part.inlineData = blobAt(inline, `${path}.inlineData`);
  else if (file !== undefined) {
    part.fileData = fileDataAt(file, `${path}.fileData`);
    const video = field(raw, "videoMetadata");
    if (isObject(video)) part.videoMetadata = video;
  } else if (call !== undefined) part.functionCall = functionCallAt(call, `${path}.functionCall`);
  else if (response !== undefined) {
    part.functionResponse = functionResponseAt(response, `${path}.functionResponse`);
  } else if (code !== undefined) part.executableCode = objectAt(code, `${path}.executableCode`);
  else if (result !== undefined) {
    part.codeExecutionResult = objectAt(result, `${path}.codeExecutionResult`);
  } else if (!signature) return undefined;
  return part;
}

/**
 * A turn's parts: the ones subgate knows, and the others kept verbatim with their position
 * (the upstream judges them; a Gemini upstream gets them back in place).
 */
function partsAt(value: unknown, path: string): { parts: GeminiPart[]; kept: PlacedPart[] } {
  const raw = arrayAt(value, path);
  if (raw.length === 0) throw invalid(path, "must not be empty");
  const parts: GeminiPart[] = [];
  const kept: PlacedPart[] = [];
  raw.forEach((item, at) => {
    const part = partAt(item, `${path}[${at}]`);
    if (part) parts.push(part);
    else kept.push({ at, part: item as Json });
  });
  return { parts, kept };
}

// ---------------------------------------------------------------------------
// Turns

interface PendingCall {
  part: ToolCallPart;
  /** The call came without an id (Gemini before 3 sends none). */
  generated: boolean;
}

/** Ids for calls and results that came without one, and which calls are unanswered. */
class CallBook {
  private next = 0;
  private readonly pending = new Map<string, PendingCall[]>();

  newId(): string {
    return `call_${this.next++}`;
  }

  called(part: ToolCallPart) {
    const entry = { part, generated: part.providerData?.[ORIGIN]?.generatedId === true };
    const queue = this.pending.get(part.name);
    if (queue) queue.push(entry);
    else this.pending.set(part.name, [entry]);
  }

  /**
   * The id a result answers: its own, else the oldest unanswered call of that name. A
   * result with an id that answers a call Gemini sent without one (Gemini CLI numbers such
   * calls itself) gives the call that id, so call and result match in every dialect.
   */
  answered(name: string, id: string | undefined): { id: string; generated: boolean } {
    const queue = this.pending.get(name) ?? [];
    if (id) {
      let at = queue.findIndex((entry) => entry.part.id === id);
      if (at < 0) at = queue.findIndex((entry) => entry.generated);
      if (at >= 0) queue.splice(at, 1)[0].part.id = id;
      return { id, generated: false };
    }
    const oldest = queue.shift();
    return oldest ? { id: oldest.part.id, generated: true } : { id: this.newId(), generated: true };
  }
}

function fileOf(part: GeminiPart): FilePart | undefined {
  if (part.inlineData) {
    return { type: "file", mediaType: part.inlineData.mimeType, data: part.inlineData.data };
  }
  if (part.fileData) {
    const file: FilePart = { type: "file", url: part.fileData.fileUri };
    if (part.fileData.mimeType) file.mediaType = part.fileData.mimeType;
    if (part.videoMetadata) file.providerData = { gemini: { videoMetadata: part.videoMetadata } };
    return file;
  }
  return undefined;
}

/** A single string a response object stands for, when it is `{output}` / `{error}` of text. */
function plainResult(response: Json): { text: string; isError: boolean } | undefined {
  const keys = Object.keys(response);
  if (keys.length !== 1 || (keys[0] !== "output" && keys[0] !== "error")) return undefined;
  const value = response[keys[0]];
  if (typeof value !== "string") return undefined;
  // Text that reads as a JSON object would come back as that object: keep the wrapper.
  if (value.trimStart().startsWith("{")) {
    try {
      if (isObject(JSON.parse(value))) return undefined;
    } catch { /* plain text */ }
  }
  return { text: value, isError: keys[0] === "error" };
}

function toolResult(response: GeminiFunctionResponse, calls: CallBook): ToolResultPart {
  const { id, generated } = calls.answered(response.name, response.id);
  const plain = plainResult(response.response);
  const text = plain ? plain.text : JSON.stringify(response.response);
  const files = (response.parts ?? []).map(fileOf).filter((file): file is FilePart => !!file);
  const other = (response.parts ?? []).filter((part) => !part.inlineData && !part.fileData);
  const result: ToolResultPart = {
    type: "tool-result",
    toolCallId: id,
    toolName: response.name,
    content: files.length > 0 ? [{ type: "text", text } as TextPart, ...files] : text,
  };
  if (plain?.isError) result.isError = true;
  const data: Json = {};
  if (generated) data.generatedId = true;
  if (other.length > 0) data.responseParts = other;
  if (Object.keys(data).length > 0) result.providerData = { gemini: data };
  return result;
}

/** A user (or legacy "function") turn: runs of tool results and of other parts, in order. */
function userTurn(parts: GeminiPart[], calls: CallBook, messages: Message[]) {
  let results: ToolResultPart[] | undefined;
  let others: UserPart[] | undefined;
  for (const part of parts) {
    if (part.functionResponse) {
      others = undefined;
      if (!results) {
        results = [];
        messages.push({ role: "tool", content: results });
      }
      results.push(toolResult(part.functionResponse, calls));
      continue;
    }
    let decoded: UserPart | undefined;
    if (typeof part.text === "string" && part.thought !== true) {
      decoded = { type: "text", text: part.text };
    } else decoded = fileOf(part);
    if (!decoded) continue;
    results = undefined;
    if (!others) {
      others = [];
      messages.push({ role: "user", content: others });
    }
    others.push(decoded);
  }
}

function decodeContents(value: unknown): Message[] {
  const contents = value === undefined ? undefined : arrayAt(value, "contents");
  if (!contents || contents.length === 0) throw invalid("contents", "required, a non-empty array");
  const calls = new CallBook();
  const messages: Message[] = [];
  contents.forEach((item, i) => {
    const path = `contents[${i}]`;
    const content = objectAt(item, path);
    const role = content.role === undefined ? "user" : content.role;
    if (role !== "user" && role !== "model" && role !== "function") {
      throw invalid(
        `${path}.role`,
        `unknown role ${JSON.stringify(role)} (expected "user" or "model")`,
      );
    }
    const { parts, kept } = partsAt(content.parts, `${path}.parts`);
    const first = messages.length;
    if (role === "model") {
      const decoded = decodeModelParts(parts, {
        newId: () => calls.newId(),
        markGeneratedIds: true,
      });
      for (const part of decoded) if (part.type === "tool-call") calls.called(part);
      if (parts.some((part) => part.functionResponse)) {
        throw invalid(`${path}.parts`, "a functionResponse belongs in a user turn");
      }
      messages.push({ role: "assistant", content: decoded });
    } else {
      if (parts.some((part) => part.functionCall)) {
        throw invalid(`${path}.parts`, "a functionCall belongs in a model turn");
      }
      userTurn(parts, calls, messages);
    }
    if (kept.length > 0) keepInTurn(messages, first, kept);
  });
  return messages;
}

/** Parts of the turn that began at `messages[first]` kept on its first message (made if none). */
function keepInTurn(messages: Message[], first: number, kept: PlacedPart[]): void {
  if (messages.length === first) messages.push({ role: "user", content: [] });
  const message = messages[first];
  message.providerData = { ...message.providerData, gemini: { kept } };
}

/** `systemInstruction` as text parts; parts of other kinds are kept in `gemini.systemKept`. */
function decodeSystem(value: unknown, gemini: Gemini): TextPart[] {
  if (value === undefined || value === null) return [];
  if (typeof value === "string") return [{ type: "text", text: value }];
  const content = objectAt(value, "systemInstruction");
  const parts = arrayAt(content.parts, "systemInstruction.parts");
  const texts: TextPart[] = [];
  const kept: PlacedPart[] = [];
  parts.forEach((item, at) => {
    const path = `systemInstruction.parts[${at}]`;
    const text = optionalString(objectAt(item, path).text, `${path}.text`);
    if (text === undefined) kept.push({ at, part: item as Json });
    else texts.push({ type: "text", text });
  });
  if (kept.length > 0) gemini.systemKept = kept;
  return texts;
}

// ---------------------------------------------------------------------------
// Tools and settings

interface Gemini {
  [key: string]: unknown;
}

const DECLARATION_FIELDS = ["name", "description", "parameters", "parametersJsonSchema"] as const;

function decodeTools(value: unknown, gemini: Gemini): ToolDefinition[] {
  if (value === undefined || value === null) return [];
  const tools: ToolDefinition[] = [];
  const builtIn: Json[] = [];
  arrayAt(value, "tools").forEach((item, i) => {
    const path = `tools[${i}]`;
    const tool = objectAt(item, path);
    const declarations = field(tool, "functionDeclarations");
    if (declarations !== undefined) {
      arrayAt(declarations, `${path}.functionDeclarations`).forEach((entry, k) => {
        const at = `${path}.functionDeclarations[${k}]`;
        const declaration = objectAt(entry, at);
        const name = optionalString(declaration.name, `${at}.name`);
        if (!name) throw invalid(`${at}.name`, "required");
        const description = optionalString(declaration.description, `${at}.description`);
        const openApi = optionalSchema(declaration.parameters, `${at}.parameters`);
        const jsonSchema = optionalSchema(
          field(declaration, "parametersJsonSchema"),
          `${at}.parametersJsonSchema`,
        );
        const schemaField = jsonSchema ? "parametersJsonSchema" : openApi ? "parameters" : "none";
        const data: Json = { schemaField };
        const rest = extras(declaration, DECLARATION_FIELDS);
        if (rest) data.declaration = rest;
        tools.push({
          name,
          ...(description !== undefined ? { description } : {}),
          parameters: jsonSchema ??
            (openApi ? fromGeminiSchema(openApi) : { type: "object", properties: {} }),
          providerData: { gemini: data },
        });
      });
    }
    const rest = extras(tool, ["functionDeclarations"]);
    if (rest) builtIn.push(rest);
  });
  if (builtIn.length > 0) gemini.tools = builtIn;
  return tools;
}

function decodeToolChoice(value: unknown, gemini: Gemini): ToolChoice | undefined {
  if (value === undefined || value === null) return undefined;
  const config = objectAt(value, "toolConfig");
  const rest = extras(config, ["functionCallingConfig"]);
  if (rest) gemini.toolConfig = rest;
  const calling = field(config, "functionCallingConfig");
  if (calling === undefined || calling === null) return undefined;
  const path = "toolConfig.functionCallingConfig";
  const settings = objectAt(calling, path);
  const mode = optionalString(settings.mode, `${path}.mode`) ?? "AUTO";
  const allowedValue = field(settings, "allowedFunctionNames");
  const allowed = allowedValue === undefined
    ? undefined
    : arrayAt(allowedValue, `${path}.allowedFunctionNames`).map((name, k) =>
      optionalString(name, `${path}.allowedFunctionNames[${k}]`) ?? ""
    );
  switch (mode.toUpperCase()) {
    case "AUTO":
    case "MODE_UNSPECIFIED":
      return { type: "auto" };
    case "VALIDATED":
      gemini.callingMode = "VALIDATED";
      if (allowed) gemini.allowedFunctionNames = allowed;
      return { type: "auto" };
    case "NONE":
      return { type: "none" };
    case "ANY":
      if (allowed?.length === 1) return { type: "tool", name: allowed[0] };
      if (allowed && allowed.length > 1) gemini.allowedFunctionNames = allowed;
      return { type: "required" };
  }
  // A mode subgate does not know: a Gemini upstream gets it as sent, others refuse it.
  gemini.functionCallingConfig = settings;
  return undefined;
}

const EFFORTS = new Set(["minimal", "low", "medium", "high"]);

function decodeThinking(value: unknown, gemini: Gemini): ReasoningConfig | undefined {
  if (value === undefined || value === null) return undefined;
  const path = "generationConfig.thinkingConfig";
  const config = objectAt(value, path);
  const reasoning: ReasoningConfig = {};
  const budget = optionalNumber(field(config, "thinkingBudget"), `${path}.thinkingBudget`);
  if (budget === 0) reasoning.enabled = false;
  else if (budget !== undefined && budget < 0) reasoning.enabled = true;
  else if (budget !== undefined) reasoning.budgetTokens = budget;
  const include = optionalBoolean(field(config, "includeThoughts"), `${path}.includeThoughts`);
  if (include !== undefined) reasoning.includeThoughts = include;
  const level = optionalString(field(config, "thinkingLevel"), `${path}.thinkingLevel`);
  if (level) {
    gemini.thinkingLevel = level;
    const effort = level.toLowerCase();
    if (EFFORTS.has(effort)) reasoning.effort = effort as ReasoningConfig["effort"];
  }
  return Object.keys(reasoning).length > 0 || level ? reasoning : undefined;
}

const GENERATION_FIELDS = [
  "maxOutputTokens",
  "temperature",
  "topP",
  "topK",
  "stopSequences",
  "responseMimeType",
  "responseSchema",
  "responseJsonSchema",
  "thinkingConfig",
] as const;

interface Generation {
  maxOutputTokens?: number;
  temperature?: number;
  topP?: number;
  topK?: number;
  stopSequences?: string[];
  responseFormat?: ResponseFormat;
  reasoning?: ReasoningConfig;
}

function decodeGeneration(value: unknown, gemini: Gemini): Generation {
  if (value === undefined || value === null) return {};
  const path = "generationConfig";
  const config = objectAt(value, path);
  const out: Generation = {};
  const number = (name: string) => optionalNumber(field(config, name), `${path}.${name}`);
  out.maxOutputTokens = number("maxOutputTokens");
  out.temperature = number("temperature");
  out.topP = number("topP");
  out.topK = number("topK");
  const candidates = number("candidateCount");
  if (candidates !== undefined && candidates > 1) {
    throw invalid(`${path}.candidateCount`, "only 1 candidate is supported");
  }
  const stops = field(config, "stopSequences");
  if (stops !== undefined && stops !== null) {
    out.stopSequences = arrayAt(stops, `${path}.stopSequences`).map((stop, k) => {
      if (typeof stop !== "string") {
        throw invalid(`${path}.stopSequences[${k}]`, "expected a string");
      }
      return stop;
    });
  }
  const mimeType = optionalString(field(config, "responseMimeType"), `${path}.responseMimeType`);
  const openApi = optionalSchema(field(config, "responseSchema"), `${path}.responseSchema`);
  const jsonSchema = optionalSchema(
    field(config, "responseJsonSchema"),
    `${path}.responseJsonSchema`,
  );
  if (jsonSchema || openApi) {
    out.responseFormat = {
      type: "json-schema",
      schema: jsonSchema ?? fromGeminiSchema(openApi as JsonSchema),
    };
    gemini.responseSchemaField = jsonSchema ? "responseJsonSchema" : "responseSchema";
    if (mimeType && mimeType !== "application/json") gemini.responseMimeType = mimeType;
  } else if (mimeType === "application/json") out.responseFormat = { type: "json" };
  else if (mimeType === "text/plain") out.responseFormat = { type: "text" };
  else if (mimeType) gemini.responseMimeType = mimeType;
  out.reasoning = decodeThinking(field(config, "thinkingConfig"), gemini);
  const rest = extras(config, GENERATION_FIELDS);
  if (rest) gemini.generationConfig = rest;
  return out;
}

const REQUEST_FIELDS = [
  "contents",
  "systemInstruction",
  "tools",
  "toolConfig",
  "generationConfig",
  "model",
] as const;

export function decodeRequest(body: unknown, context: DecodeContext): CanonicalRequest {
  if (!isObject(body)) throw invalid("body", "expected a JSON object");
  const gemini: Gemini = {};
  const messages = decodeContents(body.contents);
  const system = decodeSystem(field(body, "systemInstruction"), gemini);
  const tools = decodeTools(body.tools, gemini);
  const toolChoice = decodeToolChoice(field(body, "toolConfig"), gemini);
  const generation = decodeGeneration(field(body, "generationConfig"), gemini);
  const rest = extras(body, REQUEST_FIELDS);
  if (rest) gemini.fields = rest;
  const request: CanonicalRequest = {
    model: context.model ?? "",
    system,
    messages,
    tools,
    stream: context.stream ?? false,
  };
  if (toolChoice) request.toolChoice = toolChoice;
  if (generation.maxOutputTokens !== undefined) {
    request.maxOutputTokens = generation.maxOutputTokens;
  }
  if (generation.temperature !== undefined) request.temperature = generation.temperature;
  if (generation.topP !== undefined) request.topP = generation.topP;
  if (generation.topK !== undefined) request.topK = generation.topK;
  if (generation.stopSequences) request.stopSequences = generation.stopSequences;
  if (generation.responseFormat) request.responseFormat = generation.responseFormat;
  if (generation.reasoning) request.reasoning = generation.reasoning;
  if (Object.keys(gemini).length > 0) request.providerData = { [ORIGIN]: gemini };
  return request;
}
