/**
 * @module
 * A canonical request as a Gemini `generateContent` body for a Gemini upstream
 * (no `model` field: it goes in the URL).
 *
 * Choices made here:
 * - `system` and the system messages before the first turn are the
 *   `systemInstruction`; a system message later in the conversation is a user
 *   turn (Gemini has no other place for it), with a warning.
 * - Assistant messages are `model` turns (see encode-parts.ts); consecutive
 *   ones (the Responses API has one per item) are one turn. Tool results are
 *   `functionResponse` parts of a `user` turn, named after their call (looked
 *   up by id when the result does not say; a result for no known call is an
 *   invalid request). Tool results merge into the `user` turn before them,
 *   and a user message right after tool results joins their turn, so one turn
 *   answers all calls of the turn before (Gemini rejects a mismatch).
 * - Function schemas go as `parametersJsonSchema` (plain JSON Schema, kept
 *   whole: `$ref`, `anyOf`, `additionalProperties` …) for Gemini 2.5 and
 *   later, which supports it; as the OpenAPI-subset `parameters` (cleaned) for
 *   older models or when a Gemini client sent `parameters` itself. The same
 *   holds for `responseJsonSchema` / `responseSchema`.
 * - Reasoning: a token budget is `thinkingBudget`; an effort is
 *   `thinkingLevel` on Gemini 3 and a budget on older models; `enabled:
 *   false` is a budget of 0 and `enabled: true` alone is -1 (dynamic).
 *   Models before 2.5 cannot think: the settings are left out, with a warning.
 * - Fields a Gemini client sent that the canonical model has no place for
 *   (`safetySettings`, `cachedContent`, built-in tools …) come back from
 *   `providerData.gemini`.
 */
import type { EncodeContext } from "../codec.ts";
import type { AssistantPart, Message, ProviderData, TextPart, UserPart } from "../../ir/message.ts";
import type { CanonicalRequest, ReasoningConfig, ToolDefinition } from "../../ir/request.ts";
import { apiError } from "../../errors/api-error.ts";
import { toGeminiJsonSchema, toGeminiSchema } from "./clean-schema.ts";
import { ORIGIN } from "./decode-response.ts";
import { encodeAssistantParts, encodeFile, encodeToolResult } from "./encode-parts.ts";
import type {
  GeminiContent,
  GeminiFunctionCallingConfig,
  GeminiFunctionDeclaration,
  GeminiGenerationConfig,
  GeminiPart,
  GeminiRequest,
  GeminiThinkingConfig,
  GeminiTool,
  GeminiToolConfig,
  JsonSchema,
  PlacedPart,
} from "./wire-types.ts";
import { isObject } from "../../ir/json.ts";

function geminiData(providerData: ProviderData | undefined): Record<string, unknown> {
  const data = providerData?.[ORIGIN];
  return isObject(data) ? data : {};
}

/** The Gemini version in a model name ("gemini-2.5-flash" → 2.5), when there is one. */
export function geminiVersion(model: string): number | undefined {
  const match = /gemini-(\d+(?:\.\d+)?)/i.exec(model);
  return match ? Number(match[1]) : undefined;
}

interface Traits {
  /** No `parametersJsonSchema` / `responseJsonSchema` and no thinking (before Gemini 2.5). */
  legacySchema: boolean;
  /** `thinkingLevel` and strict thought-signature checks (Gemini 3 and later). */
  gemini3: boolean;
}

function traitsOf(model: string): Traits {
  const version = geminiVersion(model);
  return {
    legacySchema: version !== undefined && version < 2.5,
    gemini3: version !== undefined && version >= 3,
  };
}

const EFFORT_BUDGET: Record<NonNullable<ReasoningConfig["effort"]>, number> = {
  none: 0,
  minimal: 512,
  low: 1024,
  medium: 8192,
  high: 24576,
  xhigh: 32768,
};

const EFFORT_LEVEL: Record<NonNullable<ReasoningConfig["effort"]>, string> = {
  none: "MINIMAL",
  minimal: "MINIMAL",
  low: "LOW",
  medium: "MEDIUM",
  high: "HIGH",
  xhigh: "HIGH",
};

function thinkingConfig(
  reasoning: ReasoningConfig,
  traits: Traits,
  context: EncodeContext,
  clientLevel: unknown,
): GeminiThinkingConfig | undefined {
  const config: GeminiThinkingConfig = {};
  if (typeof reasoning.budgetTokens === "number") config.thinkingBudget = reasoning.budgetTokens;
  else if (typeof clientLevel === "string") config.thinkingLevel = clientLevel;
  else if (reasoning.effort) {
    if (traits.gemini3) {
      config.thinkingLevel = EFFORT_LEVEL[reasoning.effort];
      if (reasoning.effort === "none") {
        context.warn("reasoning.effort", "Gemini 3 cannot turn thinking off; sent as MINIMAL");
      }
    } else config.thinkingBudget = EFFORT_BUDGET[reasoning.effort];
  } else if (reasoning.enabled === false) config.thinkingBudget = 0;
  else if (reasoning.enabled === true) config.thinkingBudget = -1;
  if (typeof reasoning.includeThoughts === "boolean") {
    config.includeThoughts = reasoning.includeThoughts;
  }
  return Object.keys(config).length > 0 ? config : undefined;
}

function cleanSchema(
  schema: JsonSchema,
  openApi: boolean,
  field: string,
  context: EncodeContext,
): JsonSchema {
  const { schema: cleaned, warnings } = openApi
    ? toGeminiSchema(schema)
    : toGeminiJsonSchema(schema);
  for (const warning of warnings) context.warn(field, warning);
  return cleaned;
}

function declaration(
  tool: ToolDefinition,
  index: number,
  traits: Traits,
  context: EncodeContext,
): GeminiFunctionDeclaration {
  const data = geminiData(tool.providerData);
  const field = typeof data.schemaField === "string"
    ? data.schemaField
    : traits.legacySchema
    ? "parameters"
    : "parametersJsonSchema";
  const out: GeminiFunctionDeclaration = { name: tool.name };
  if (tool.description !== undefined) out.description = tool.description;
  if (field !== "none") {
    const openApi = field === "parameters";
    out[openApi ? "parameters" : "parametersJsonSchema"] = cleanSchema(
      tool.parameters,
      openApi,
      `tools[${index}].parameters`,
      context,
    );
  }
  if (isObject(data.declaration)) Object.assign(out, data.declaration);
  return out;
}

function encodeTools(request: CanonicalRequest, traits: Traits, context: EncodeContext) {
  const tools: GeminiTool[] = [];
  if (request.tools.length > 0) {
    tools.push({
      functionDeclarations: request.tools.map((tool, i) => declaration(tool, i, traits, context)),
    });
  }
  const builtIn = geminiData(request.providerData).tools;
  if (Array.isArray(builtIn)) tools.push(...builtIn.filter(isObject));
  return tools;
}

function encodeToolConfig(request: CanonicalRequest, context: EncodeContext) {
  const data = geminiData(request.providerData);
  const config: GeminiToolConfig = isObject(data.toolConfig) ? { ...data.toolConfig } : {};
  const choice = request.toolChoice;
  if (choice) {
    const calling: GeminiFunctionCallingConfig = {};
    switch (choice.type) {
      case "auto":
        calling.mode = data.callingMode === "VALIDATED" ? "VALIDATED" : "AUTO";
        break;
      case "none":
        calling.mode = "NONE";
        break;
      case "required":
        calling.mode = "ANY";
        break;
      case "tool":
        calling.mode = "ANY";
        calling.allowedFunctionNames = [choice.name];
        break;
    }
    const allowed = data.allowedFunctionNames;
    if (Array.isArray(allowed) && choice.type !== "tool" && choice.type !== "none") {
      calling.allowedFunctionNames = allowed.filter((name) => typeof name === "string");
    }
    config.functionCallingConfig = calling;
  } else if (isObject(data.functionCallingConfig)) {
    // A mode subgate does not know, from a Gemini client: as it was sent.
    config.functionCallingConfig = data.functionCallingConfig as GeminiFunctionCallingConfig;
  }
  if (request.parallelToolCalls === false) {
    context.warn("parallelToolCalls", "Gemini cannot turn parallel function calls off");
  }
  return Object.keys(config).length > 0 ? config : undefined;
}

function encodeGenerationConfig(
  request: CanonicalRequest,
  traits: Traits,
  context: EncodeContext,
): GeminiGenerationConfig | undefined {
  const data = geminiData(request.providerData);
  const config: GeminiGenerationConfig = isObject(data.generationConfig)
    ? { ...data.generationConfig }
    : {};
  if (request.maxOutputTokens !== undefined) config.maxOutputTokens = request.maxOutputTokens;
  if (request.temperature !== undefined) config.temperature = request.temperature;
  if (request.topP !== undefined) config.topP = request.topP;
  if (request.topK !== undefined) config.topK = request.topK;
  if (request.stopSequences !== undefined) config.stopSequences = request.stopSequences;
  const format = request.responseFormat;
  const mimeType = typeof data.responseMimeType === "string" ? data.responseMimeType : undefined;
  if (format?.type === "text") config.responseMimeType = mimeType ?? "text/plain";
  else if (format?.type === "json") config.responseMimeType = mimeType ?? "application/json";
  else if (format?.type === "json-schema") {
    config.responseMimeType = mimeType ?? "application/json";
    const field = typeof data.responseSchemaField === "string"
      ? data.responseSchemaField
      : traits.legacySchema
      ? "responseSchema"
      : "responseJsonSchema";
    const openApi = field === "responseSchema";
    config[openApi ? "responseSchema" : "responseJsonSchema"] = cleanSchema(
      format.schema,
      openApi,
      "responseFormat.schema",
      context,
    );
  } else if (mimeType) config.responseMimeType = mimeType;
  if (request.reasoning && traits.legacySchema) {
    context.warn("reasoning", "this model cannot think; the reasoning settings are left out");
  } else if (request.reasoning) {
    const thinking = thinkingConfig(request.reasoning, traits, context, data.thinkingLevel);
    if (thinking) config.thinkingConfig = thinking;
  }
  return Object.keys(config).length > 0 ? config : undefined;
}

function systemText(parts: TextPart[]): GeminiPart[] {
  return parts.map((part) => ({ text: part.text }));
}

interface ContentsState {
  contents: GeminiContent[];
  /** Whether the last content holds tool results (so the next user message may join it). */
  lastIsToolTurn: boolean;
}

/** `parts` with the parts a Gemini client sent that subgate does not know back at their places. */
function withPlaced(parts: GeminiPart[], placed: unknown): GeminiPart[] {
  if (!Array.isArray(placed) || placed.length === 0) return parts;
  const out: GeminiPart[] = [];
  let next = 0;
  for (const { at, part } of placed as PlacedPart[]) {
    while (out.length < at && next < parts.length) out.push(parts[next++]);
    out.push(part as GeminiPart);
  }
  while (next < parts.length) out.push(parts[next++]);
  return out;
}

/** The parts kept on a turn's first message (decode-request), if any. */
function placedOf(message: Message): unknown {
  return geminiData(message.providerData).kept;
}

function push(state: ContentsState, role: "user" | "model", parts: GeminiPart[], join: boolean) {
  const last = state.contents[state.contents.length - 1];
  if (join && last?.role === role) last.parts.push(...parts);
  else state.contents.push({ role, parts });
}

function toolName(
  callNames: Map<string, string>,
  part: { toolCallId: string; toolName?: string },
  where: string,
): string {
  const name = part.toolName || callNames.get(part.toolCallId);
  if (!name) {
    throw apiError(
      "invalid_request",
      `${where}: tool result for unknown call "${part.toolCallId}" (Gemini needs the function name)`,
    );
  }
  return name;
}

function userParts(
  content: UserPart[],
  callNames: Map<string, string>,
  where: string,
): { parts: GeminiPart[]; hasResults: boolean } {
  const parts: GeminiPart[] = [];
  let hasResults = false;
  content.forEach((part, j) => {
    switch (part.type) {
      case "text":
        parts.push({ text: part.text });
        break;
      case "file": {
        const file = encodeFile(part);
        if (!file) {
          throw apiError(
            "invalid_request",
            `${where}.content[${j}]: file part has neither data nor url`,
          );
        }
        parts.push(file);
        break;
      }
      case "tool-result":
        hasResults = true;
        parts.push(
          encodeToolResult(part, toolName(callNames, part, `${where}.content[${j}]`), true),
        );
        break;
    }
  });
  return { parts, hasResults };
}

function encodeContents(
  messages: Message[],
  traits: Traits,
  context: EncodeContext,
  system: GeminiPart[],
): GeminiContent[] {
  const callNames = callNamesOf(messages);
  const state: ContentsState = { contents: [], lastIsToolTurn: false };
  let dropped = 0;
  const onDropped = () => dropped++;
  for (let i = 0; i < messages.length; i++) {
    const message = messages[i];
    const where = `messages[${i}]`;
    switch (message.role) {
      case "system":
        if (state.contents.length === 0) system.push(...systemText(message.content));
        else {
          context.warn(where, "a system message inside the conversation is sent as user text");
          push(state, "user", systemText(message.content), false);
          state.lastIsToolTurn = false;
        }
        break;
      case "user": {
        const encoded = userParts(message.content, callNames, where);
        const parts = withPlaced(encoded.parts, placedOf(message));
        if (parts.length === 0) break;
        push(state, "user", parts, state.lastIsToolTurn || encoded.hasResults);
        state.lastIsToolTurn = encoded.hasResults;
        break;
      }
      case "tool": {
        const parts = withPlaced(
          message.content.map((part, j) =>
            encodeToolResult(part, toolName(callNames, part, `${where}.content[${j}]`), true)
          ),
          placedOf(message),
        );
        if (parts.length === 0) break;
        push(state, "user", parts, true);
        state.lastIsToolTurn = true;
        break;
      }
      case "assistant": {
        const turn = modelTurn(messages, i, traits, context, onDropped);
        i = turn.last;
        if (turn.parts.length === 0) break;
        push(state, "model", turn.parts, false);
        state.lastIsToolTurn = false;
        break;
      }
    }
  }
  if (dropped > 0) {
    context.warn(
      "messages",
      `${dropped} reasoning part(s) from another model dropped (Gemini can only use its own)`,
    );
  }
  return state.contents;
}

/** Each tool call's name by its id, for the tool results (Gemini names the function). */
function callNamesOf(messages: Message[]): Map<string, string> {
  const callNames = new Map<string, string>();
  for (const message of messages) {
    if (message.role !== "assistant") continue;
    for (const part of message.content) {
      if (part.type === "tool-call") callNames.set(part.id, part.name);
    }
  }
  return callNames;
}

/**
 * The model turn that begins at assistant message `first`: it and the assistant messages right
 * after it (one per item in the Responses API) are one turn, since Gemini pairs the calls of a
 * turn with the results of the next one. `last` is the index of its last message.
 */
function modelTurn(
  messages: Message[],
  first: number,
  traits: Traits,
  context: EncodeContext,
  onDropped: () => void,
): { parts: GeminiPart[]; last: number } {
  const content: AssistantPart[] = [];
  const origins: string[] = [];
  let last = first;
  for (;;) {
    const message = messages[last];
    if (message.role === "assistant") {
      for (let j = 0; j < message.content.length; j++) {
        content.push(message.content[j]);
        origins.push(`messages[${last}].content[${j}]`);
      }
    }
    if (messages[last + 1]?.role !== "assistant") break;
    last++;
  }
  const parts = withPlaced(
    encodeAssistantParts(content, {
      upstream: true,
      placeholderSignature: traits.gemini3,
      path: (j) => origins[j],
      warn: (field, detail) => context.warn(field, detail),
      dropped: onDropped,
    }),
    placedOf(messages[first]),
  );
  return { parts, last };
}

export function encodeRequest(
  request: CanonicalRequest,
  context: EncodeContext,
): Record<string, unknown> {
  const traits = traitsOf(context.model);
  const data = geminiData(request.providerData);
  const system = systemText(request.system);
  const contents = encodeContents(request.messages, traits, context, system);
  const body: GeminiRequest = { contents };
  const systemParts = withPlaced(system, data.systemKept);
  if (systemParts.length > 0) body.systemInstruction = { parts: systemParts };
  const tools = encodeTools(request, traits, context);
  if (tools.length > 0) body.tools = tools;
  const toolConfig = encodeToolConfig(request, context);
  if (toolConfig) body.toolConfig = toolConfig;
  const generationConfig = encodeGenerationConfig(request, traits, context);
  if (generationConfig) body.generationConfig = generationConfig;
  if (isObject(data.fields)) {
    for (const [key, value] of Object.entries(data.fields)) if (!(key in body)) body[key] = value;
  }
  return body;
}
