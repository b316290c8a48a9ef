/**
 * @module
 * A client's Messages request body as a canonical request, checked field by
 * field: a malformed body throws `invalid_request` naming the field, e.g.
 * `messages[2].role: must be user or assistant, found 'robot'`.
 *
 * - `system` (a string or text blocks) → `system`; `role:"system"` items inside
 *   `messages` (Claude Code) stay system messages in place, marked `inMessages`.
 * - Blocks: text, image and document (base64, url and text sources) → text and
 *   file parts; tool_use/tool_result → tool-call/tool-result parts; thinking and
 *   redacted_thinking → reasoning (origin "anthropic" when signed). Any other
 *   block (server_tool_use, web_search_tool_result, mcp_tool_use, a document
 *   with a file or content source, …) is kept verbatim with its position in
 *   the message's `providerData.anthropic.opaque`, so other targets leave it out.
 * - A block's fields without a canonical place (`cache_control`, `citations`,
 *   …) go to the part's `providerData.anthropic`; the request's unknown
 *   top-level fields, server tools and the unmodelled rest of `thinking`,
 *   `metadata` and `output_config` go to the request's (see `wire-types.ts`),
 *   and so do non-text blocks of the top-level `system` (`systemOpaque`) and a
 *   `tool_choice` of a type subgate does not know. Blocks a system message
 *   cannot hold as text are kept like any other unmodelled block: a type
 *   subgate does not know is never refused here (`leave-dialect.ts` says what
 *   other dialects lose).
 */
import type {
  AssistantPart,
  FilePart,
  Message,
  ProviderData,
  ReasoningPart,
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
import type { DecodeContext } from "../codec.ts";
import { readForeignReasoning } from "./encode-response.ts";
import type { MessageProviderData, OpaqueBlock } from "./wire-types.ts";
import { extrasOf, isObject, type Json } from "../../ir/json.ts";

const REQUEST_FIELDS = new Set([
  "model",
  "messages",
  "system",
  "max_tokens",
  "stream",
  "temperature",
  "top_p",
  "top_k",
  "stop_sequences",
  "tools",
  "tool_choice",
  "thinking",
  "metadata",
  "output_config",
  "output_format",
]);
const TEXT_FIELDS = new Set(["type", "text"]);
const IMAGE_FIELDS = new Set(["type", "source"]);
const TITLED_FIELDS = new Set(["type", "source", "title"]);
const TOOL_USE_FIELDS = new Set(["type", "id", "name", "input"]);
const TOOL_RESULT_FIELDS = new Set(["type", "tool_use_id", "content", "is_error"]);
const THINKING_FIELDS = new Set(["type", "thinking", "signature"]);
const REDACTED_FIELDS = new Set(["type", "data"]);
const TOOL_FIELDS = new Set(["name", "description", "input_schema", "strict"]);
const EFFORTS = new Set(["none", "minimal", "low", "medium", "high", "xhigh"]);

type Role = "user" | "assistant" | "system";
type AnyPart = TextPart | FilePart | ReasoningPart | ToolCallPart | ToolResultPart;

function fail(path: string, problem: string): never {
  throw apiError("invalid_request", `${path}: ${problem}`);
}

/** A short rendering of a wrong value for an error message. */
function found(value: unknown): string {
  if (value === undefined) return "nothing";
  if (typeof value === "string") return `'${value.length > 40 ? `${value.slice(0, 40)}…` : value}'`;
  if (Array.isArray(value)) return "an array";
  if (value === null) return "null";
  return typeof value === "object" ? "an object" : String(value);
}

function requireString(value: unknown, path: string): string {
  if (typeof value !== "string") fail(path, `must be a string, found ${found(value)}`);
  return value;
}

function withData<T extends { providerData?: ProviderData }>(part: T, data: Json | undefined): T {
  if (data) part.providerData = { anthropic: data };
  return part;
}

function base64Utf8(text: string): string {
  const bytes = new TextEncoder().encode(text);
  let binary = "";
  for (let i = 0; i < bytes.length; i += 0x8000) {
    binary += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  }
  return btoa(binary);
}

function decodeText(block: Json, path: string): TextPart {
  return withData<TextPart>(
    { type: "text", text: requireString(block.text, `${path}.text`) },
    extrasOf(block, TEXT_FIELDS),
  );
}

/** An image or document as a file part, or undefined for a source the IR cannot hold (file, content). */
function decodeFile(block: Json, path: string): FilePart | undefined {
  const source = block.source;
  if (!isObject(source) || typeof source.type !== "string") {
    fail(`${path}.source`, `must be an object with a type, found ${found(source)}`);
  }
  const document = block.type === "document";
  let part: FilePart;
  switch (source.type) {
    case "base64":
      part = {
        type: "file",
        mediaType: requireString(source.media_type, `${path}.source.media_type`),
        data: requireString(source.data, `${path}.source.data`),
      };
      break;
    case "url": {
      const url = requireString(source.url, `${path}.source.url`);
      part = document ? { type: "file", mediaType: "application/pdf", url } : { type: "file", url };
      break;
    }
    case "text":
      if (!document) return undefined;
      part = {
        type: "file",
        mediaType: typeof source.media_type === "string" ? source.media_type : "text/plain",
        data: base64Utf8(requireString(source.data, `${path}.source.data`)),
      };
      break;
    default:
      return undefined;
  }
  const titled = document && typeof block.title === "string";
  if (titled) part.filename = block.title as string;
  return withData(part, extrasOf(block, titled ? TITLED_FIELDS : IMAGE_FIELDS));
}

function decodeToolUse(block: Json, path: string): ToolCallPart {
  const input = block.input ?? {};
  if (!isObject(input)) fail(`${path}.input`, `must be an object, found ${found(input)}`);
  return withData<ToolCallPart>({
    type: "tool-call",
    id: requireString(block.id, `${path}.id`),
    name: requireString(block.name, `${path}.name`),
    arguments: JSON.stringify(input),
  }, extrasOf(block, TOOL_USE_FIELDS));
}

function decodeToolResult(block: Json, path: string): ToolResultPart {
  const part: ToolResultPart = {
    type: "tool-result",
    toolCallId: requireString(block.tool_use_id, `${path}.tool_use_id`),
    content: "",
  };
  let data = extrasOf(block, TOOL_RESULT_FIELDS);
  const content = block.content;
  if (typeof content === "string") part.content = content;
  else if (Array.isArray(content)) {
    const decoded = decodeContent(content, "user", `${path}.content`, true);
    part.content = decoded.parts as Array<TextPart | FilePart>;
    if (decoded.opaque.length > 0) data = { ...data, opaque: decoded.opaque };
  } else if (content !== undefined && content !== null) {
    fail(
      `${path}.content`,
      `must be a string or an array of content blocks, found ${found(content)}`,
    );
  }
  if (block.is_error !== undefined) {
    if (typeof block.is_error !== "boolean") {
      fail(`${path}.is_error`, `must be true or false, found ${found(block.is_error)}`);
    }
    part.isError = block.is_error;
  }
  return withData(part, data);
}

/** Signed reasoning is Anthropic's, unless it is another provider's that subgate wrapped. */
function decodeReasoning(block: Json, path: string): ReasoningPart {
  const redacted = block.type === "redacted_thinking";
  const part: ReasoningPart = redacted
    ? { type: "reasoning", text: "", redacted: true }
    : { type: "reasoning", text: requireString(block.thinking, `${path}.thinking`) };
  const opaque = redacted
    ? requireString(block.data, `${path}.data`)
    : block.signature === undefined
    ? ""
    : requireString(block.signature, `${path}.signature`);
  const foreign = readForeignReasoning(opaque);
  if (foreign) Object.assign(part, foreign);
  else if (opaque !== "") {
    if (redacted) part.encrypted = opaque;
    else part.signature = opaque;
    part.origin = "anthropic";
  }
  return withData(part, extrasOf(block, redacted ? REDACTED_FIELDS : THINKING_FIELDS));
}

function belongs(role: Role, expected: Role, type: string, path: string): void {
  if (role !== expected) {
    fail(path, `${type} blocks belong in ${expected} messages, not ${role} ones`);
  }
}

/**
 * A message's (or a tool result's) content as parts, and the blocks kept
 * verbatim with their positions. `nested` is a tool_result's own content.
 */
function decodeContent(
  content: unknown,
  role: Role,
  path: string,
  nested = false,
): { parts: AnyPart[]; opaque: OpaqueBlock[] } {
  const parts: AnyPart[] = [];
  const opaque: OpaqueBlock[] = [];
  if (typeof content === "string") {
    parts.push({ type: "text", text: content });
    return { parts, opaque };
  }
  if (!Array.isArray(content)) {
    fail(path, `must be a string or an array of content blocks, found ${found(content)}`);
  }
  for (let i = 0; i < content.length; i++) {
    const block = content[i];
    const at = `${path}[${i}]`;
    if (!isObject(block) || typeof block.type !== "string") {
      fail(at, `must be a content block with a type, found ${found(block)}`);
    }
    const type = block.type;
    if (role === "system" && type !== "text") {
      // A system message's canonical parts are text; anything else goes up verbatim.
      opaque.push({ at: i, block });
      continue;
    }
    switch (type) {
      case "text":
        parts.push(decodeText(block, at));
        break;
      case "image":
      case "document": {
        const file = decodeFile(block, at);
        if (file) parts.push(file);
        else opaque.push({ at: i, block });
        break;
      }
      case "tool_use":
        belongs(role, "assistant", type, at);
        parts.push(decodeToolUse(block, at));
        break;
      case "tool_result":
        if (nested) fail(at, "a tool_result cannot hold another tool_result");
        belongs(role, "user", type, at);
        parts.push(decodeToolResult(block, at));
        break;
      case "thinking":
      case "redacted_thinking":
        belongs(role, "assistant", type, at);
        parts.push(decodeReasoning(block, at));
        break;
      default:
        opaque.push({ at: i, block });
    }
  }
  return { parts, opaque };
}

function decodeMessage(value: unknown, i: number): Message {
  const path = `messages[${i}]`;
  if (!isObject(value)) {
    fail(path, `must be an object with role and content, found ${found(value)}`);
  }
  const role = value.role;
  if (role !== "user" && role !== "assistant" && role !== "system") {
    fail(`${path}.role`, `must be user or assistant, found ${found(role)}`);
  }
  if (value.content === undefined) {
    fail(`${path}.content`, "required, a string or an array of content blocks");
  }
  const { parts, opaque } = decodeContent(value.content, role, `${path}.content`);
  const data: MessageProviderData = {};
  if (opaque.length > 0) data.opaque = opaque;
  if (role === "system") data.inMessages = true;
  const message = role === "user"
    ? { role, content: parts as UserPart[] }
    : role === "assistant"
    ? { role, content: parts as AssistantPart[] }
    : { role, content: parts as TextPart[] };
  return withData(message as Message, data.opaque || data.inMessages ? { ...data } : undefined);
}

/** The top-level `system`: text parts, and the blocks of other types kept verbatim in place. */
function decodeSystem(system: unknown): { parts: TextPart[]; opaque: OpaqueBlock[] } {
  const opaque: OpaqueBlock[] = [];
  if (system === undefined || system === null || system === "") return { parts: [], opaque };
  if (typeof system === "string") return { parts: [{ type: "text", text: system }], opaque };
  if (!Array.isArray(system)) {
    fail("system", `must be a string or an array of text blocks, found ${found(system)}`);
  }
  const parts: TextPart[] = [];
  system.forEach((block, i) => {
    if (!isObject(block) || typeof block.type !== "string") {
      fail(`system[${i}]`, `must be a content block with a type, found ${found(block)}`);
    }
    if (block.type === "text") parts.push(decodeText(block, `system[${i}]`));
    else opaque.push({ at: i, block });
  });
  return { parts, opaque };
}

/** Custom tools as definitions; server tools only in `slots`, verbatim and in place. */
function decodeTools(value: unknown): { tools: ToolDefinition[]; slots?: Array<Json | null> } {
  if (value === undefined || value === null) return { tools: [] };
  if (!Array.isArray(value)) fail("tools", `must be an array of tools, found ${found(value)}`);
  const tools: ToolDefinition[] = [];
  const slots: Array<Json | null> = [];
  let server = false;
  value.forEach((tool, i) => {
    const path = `tools[${i}]`;
    if (!isObject(tool)) fail(path, `must be a tool object, found ${found(tool)}`);
    if (tool.type !== undefined && tool.type !== "custom") {
      server = true;
      slots.push(tool);
      return;
    }
    const schema = tool.input_schema;
    if (!isObject(schema)) {
      fail(`${path}.input_schema`, `must be a JSON Schema object, found ${found(schema)}`);
    }
    const definition: ToolDefinition = {
      name: requireString(tool.name, `${path}.name`),
      parameters: schema,
    };
    if (tool.description !== undefined) {
      definition.description = requireString(tool.description, `${path}.description`);
    }
    if (tool.strict !== undefined) {
      if (typeof tool.strict !== "boolean") {
        fail(`${path}.strict`, `must be true or false, found ${found(tool.strict)}`);
      }
      definition.strict = tool.strict;
    }
    tools.push(withData(definition, extrasOf(tool, TOOL_FIELDS)));
    slots.push(null);
  });
  return server ? { tools, slots } : { tools };
}

/** The tool choice; one of a type subgate does not know comes back as `kept`, verbatim. */
function decodeToolChoice(
  value: unknown,
): { choice?: ToolChoice; parallel?: boolean; kept?: Json } {
  if (value === undefined || value === null) return {};
  if (!isObject(value)) fail("tool_choice", `must be an object with a type, found ${found(value)}`);
  let choice: ToolChoice;
  switch (value.type) {
    case "auto":
      choice = { type: "auto" };
      break;
    case "any":
      choice = { type: "required" };
      break;
    case "none":
      choice = { type: "none" };
      break;
    case "tool":
      choice = { type: "tool", name: requireString(value.name, "tool_choice.name") };
      break;
    default:
      if (typeof value.type !== "string") {
        fail("tool_choice.type", `must be auto, any, tool or none, found ${found(value.type)}`);
      }
      return { kept: value };
  }
  const disable = value.disable_parallel_tool_use;
  if (disable === undefined || disable === null) return { choice };
  if (typeof disable !== "boolean") {
    fail("tool_choice.disable_parallel_tool_use", `must be true or false, found ${found(disable)}`);
  }
  return { choice, parallel: !disable };
}

/** `thinking` as reasoning; `rest` keeps what the IR cannot say (adaptive, unknown types, extra fields). */
function decodeThinking(value: unknown): { reasoning?: ReasoningConfig; rest?: Json } {
  if (value === undefined || value === null) return {};
  if (!isObject(value)) fail("thinking", `must be an object with a type, found ${found(value)}`);
  const { budget_tokens: budget, ...rest } = value;
  const plain = Object.keys(rest).length === 1;
  switch (value.type) {
    case "enabled":
      if (!Number.isInteger(budget) || (budget as number) <= 0) {
        fail("thinking.budget_tokens", `must be a positive integer, found ${found(budget)}`);
      }
      return {
        reasoning: { enabled: true, budgetTokens: budget as number },
        rest: plain ? undefined : rest,
      };
    case "disabled":
      return { reasoning: { enabled: false }, rest: plain ? undefined : rest };
    case "adaptive":
      return { reasoning: { enabled: true }, rest };
    default:
      if (typeof value.type !== "string") {
        fail("thinking.type", `must be a string, found ${found(value.type)}`);
      }
      return { rest: value };
  }
}

function jsonSchemaFormat(format: unknown): ResponseFormat | undefined {
  if (isObject(format) && format.type === "json_schema" && isObject(format.schema)) {
    return { type: "json-schema", schema: format.schema };
  }
  return undefined;
}

/** `output_config` (and the older `output_format`): the schema and the effort; `rest` keeps effort and the unknown. */
function decodeOutputConfig(
  value: unknown,
  legacy: unknown,
): { format?: ResponseFormat; effort?: ReasoningConfig["effort"]; rest?: Json } {
  const out: { format?: ResponseFormat; effort?: ReasoningConfig["effort"]; rest?: Json } = {};
  const old = jsonSchemaFormat(legacy);
  if (old) out.format = old;
  else if (legacy !== undefined && legacy !== null) {
    fail("output_format", "must be {type: 'json_schema', schema: {…}}");
  }
  if (value === undefined || value === null) return out;
  if (!isObject(value)) fail("output_config", `must be an object, found ${found(value)}`);
  const format = jsonSchemaFormat(value.format);
  if (format) out.format = format;
  if (typeof value.effort === "string") {
    if (EFFORTS.has(value.effort)) out.effort = value.effort as ReasoningConfig["effort"];
    else if (value.effort === "max") out.effort = "xhigh";
  }
  const rest = extrasOf(value, format ? new Set(["format"]) : new Set());
  if (rest) out.rest = rest;
  return out;
}

function optionalNumber(body: Json, key: string, integer = false): number | undefined {
  const value = body[key];
  if (value === undefined || value === null) return undefined;
  if (
    typeof value !== "number" || !Number.isFinite(value) || (integer && !Number.isInteger(value))
  ) {
    fail(key, `must be ${integer ? "an integer" : "a number"}, found ${found(value)}`);
  }
  return value;
}

export function decodeRequest(body: unknown, _context: DecodeContext): CanonicalRequest {
  if (!isObject(body)) throw apiError("invalid_request", "The request body must be a JSON object.");
  const model = body.model;
  if (typeof model !== "string" || model.trim() === "") {
    fail("model", "required, a non-empty string naming the model");
  }
  if (!Array.isArray(body.messages)) {
    fail("messages", `required, an array of messages, found ${found(body.messages)}`);
  }
  if (body.messages.length === 0) fail("messages", "must hold at least one message");

  const system = decodeSystem(body.system);
  const request: CanonicalRequest = {
    model,
    system: system.parts,
    messages: body.messages.map(decodeMessage),
    tools: [],
    stream: false,
  };
  const data: Json = extrasOf(body, REQUEST_FIELDS) ?? {};
  if (system.opaque.length > 0) data.systemOpaque = system.opaque;

  if (body.stream !== undefined && body.stream !== null) {
    if (typeof body.stream !== "boolean") {
      fail("stream", `must be true or false, found ${found(body.stream)}`);
    }
    request.stream = body.stream;
  }
  decodeSampling(body, request);

  const tools = decodeTools(body.tools);
  request.tools = tools.tools;
  if (tools.slots) data.tools = tools.slots;
  const { choice, parallel, kept } = decodeToolChoice(body.tool_choice);
  if (choice) request.toolChoice = choice;
  // Kept as a top-level field: an Anthropic upstream gets it back as sent.
  if (kept) data.tool_choice = kept;
  if (parallel !== undefined) request.parallelToolCalls = parallel;

  const thinking = decodeThinking(body.thinking);
  const output = decodeOutputConfig(body.output_config, body.output_format);
  if (thinking.rest) data.thinking = thinking.rest;
  if (output.rest) data.output_config = output.rest;
  if (output.format) request.responseFormat = output.format;
  if (thinking.reasoning || output.effort) {
    request.reasoning = { ...thinking.reasoning };
    if (output.effort) request.reasoning.effort = output.effort;
  }

  decodeMetadata(body.metadata, request, data);
  if (Object.keys(data).length > 0) request.providerData = { anthropic: data };
  return request;
}

/** `max_tokens`, temperature, top_p, top_k and stop sequences, checked. */
function decodeSampling(body: Json, request: CanonicalRequest): void {
  const maxTokens = body.max_tokens;
  if (maxTokens !== undefined && maxTokens !== null) {
    if (!Number.isInteger(maxTokens) || (maxTokens as number) <= 0) {
      fail("max_tokens", `must be a positive integer, found ${found(maxTokens)}`);
    }
    request.maxOutputTokens = maxTokens as number;
  }
  const temperature = optionalNumber(body, "temperature");
  if (temperature !== undefined) request.temperature = temperature;
  const topP = optionalNumber(body, "top_p");
  if (topP !== undefined) request.topP = topP;
  const topK = optionalNumber(body, "top_k", true);
  if (topK !== undefined) request.topK = topK;
  if (body.stop_sequences !== undefined && body.stop_sequences !== null) {
    const stops = body.stop_sequences;
    if (!Array.isArray(stops)) {
      fail("stop_sequences", `must be an array of strings, found ${found(stops)}`);
    }
    request.stopSequences = stops.map((stop, i) => requireString(stop, `stop_sequences[${i}]`));
  }
}

/** `metadata.user_id` is the request's user; the other metadata fields are kept in `data`. */
function decodeMetadata(metadata: unknown, request: CanonicalRequest, data: Json): void {
  if (metadata === undefined || metadata === null) return;
  if (!isObject(metadata)) fail("metadata", `must be an object, found ${found(metadata)}`);
  if (metadata.user_id !== undefined && metadata.user_id !== null) {
    request.user = requireString(metadata.user_id, "metadata.user_id");
  }
  const rest = extrasOf(metadata, new Set(["user_id"]));
  if (rest) data.metadata = rest;
}
