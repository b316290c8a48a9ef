/**
 * @module
 * A client's Chat Completions body as a canonical request, validated: a
 * malformed body throws an `invalid_request` naming the field
 * (`messages[2].tool_call_id: must be a non-empty string`).
 *
 * - Leading system/developer messages become `request.system`; later ones stay
 *   in place as system messages.
 * - Consecutive `tool` messages become one canonical tool turn (one result
 *   each), with the tool's name looked up from the assistant's calls.
 * - `reasoning_content` / `reasoning` on assistant messages become reasoning
 *   parts; `refusal` becomes a refusal-marked text part.
 * - Images (`data:` URLs → base64, other URLs kept), `input_audio` and `file`
 *   (`file_data`) parts become file parts. Uploaded `file_id`s, the legacy
 *   `functions` API and `n` > 1 are refused.
 * - Content parts, tools, tool calls, tool choices and response formats of a
 *   type subgate does not know (`custom` tools and their calls, a newer part
 *   type …) are never refused: they are kept verbatim (parts on their known
 *   neighbours, see `kept-parts.ts`) for an OpenAI-compatible upstream, and
 *   `leave-dialect.ts` says what happens to them across dialects.
 * - Whatever the canonical request has no place for (seed, logprobs, n, store,
 *   metadata, unknown fields on parts …) and the wire layout (string or array
 *   content, developer role, max_tokens or max_completion_tokens) is kept in
 *   `providerData["openai-chat"]` so that an OpenAI-compatible upstream gets
 *   the request as the client wrote it.
 */
import type { DecodeContext } from "../codec.ts";
import type {
  AssistantPart,
  FilePart,
  Message,
  ProviderData,
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
import { decodeKnownParts } from "../kept-parts.ts";
import type {
  ChatMessageLayout,
  ChatPartLayout,
  ChatReasoningEffort,
  ChatRequestLayout,
  ChatSystemLayout,
  ChatUnknown,
} from "./wire-types.ts";
import { extrasOf, isObject, type Json } from "../../ir/json.ts";

function invalid(path: string, problem: string): never {
  throw apiError("invalid_request", `${path}: ${problem}`);
}

function describe(value: unknown): string {
  if (value === undefined) return "nothing";
  if (value === null) return "null";
  if (Array.isArray(value)) return "an array";
  return typeof value === "object" ? "an object" : `a ${typeof value}`;
}

function data(layout: ChatPartLayout | ChatMessageLayout | ChatRequestLayout): ProviderData {
  return { "openai-chat": layout as Record<string, unknown> };
}

const EFFORTS: ReadonlySet<string> = new Set([
  "none",
  "minimal",
  "low",
  "medium",
  "high",
  "xhigh",
  "max",
]);
const TEXT_KEYS = new Set(["type", "text"]);
const IMAGE_KEYS = new Set(["type", "image_url"]);
const AUDIO_KEYS = new Set(["type", "input_audio"]);
const FILE_KEYS = new Set(["type", "file"]);
const SYSTEM_KEYS = new Set(["role", "content"]);
const USER_KEYS = new Set(["role", "content"]);
const ASSISTANT_KEYS = new Set([
  "role",
  "content",
  "refusal",
  "tool_calls",
  "reasoning_content",
  "reasoning",
  "function_call",
]);
const TOOL_KEYS = new Set(["role", "content", "tool_call_id"]);
const REQUEST_KEYS = new Set([
  "model",
  "messages",
  "tools",
  "tool_choice",
  "parallel_tool_calls",
  "response_format",
  "max_tokens",
  "max_completion_tokens",
  "temperature",
  "top_p",
  "stop",
  "reasoning_effort",
  "stream",
  "stream_options",
  "user",
  "functions",
  "function_call",
]);

/** `data:<type>;base64,<bytes>` split into media type and bytes; undefined for anything else. */
export function parseDataUrl(url: string): { mediaType: string; data: string } | undefined {
  if (!url.startsWith("data:")) return undefined;
  const comma = url.indexOf(",");
  if (comma < 0) return undefined;
  const meta = url.slice(5, comma);
  if (!meta.endsWith(";base64")) return undefined;
  return {
    mediaType: meta.slice(0, meta.indexOf(";")) || "application/octet-stream",
    data: url.slice(comma + 1),
  };
}

const IMAGE_TYPES: Record<string, string> = {
  png: "image/png",
  jpg: "image/jpeg",
  jpeg: "image/jpeg",
  gif: "image/gif",
  webp: "image/webp",
};

/** An image URL's media type from its extension, `image/*` when it has none we know. */
function imageType(url: string): string {
  const path = url.split(/[?#]/, 1)[0];
  const extension = path.slice(path.lastIndexOf(".") + 1).toLowerCase();
  return IMAGE_TYPES[extension] ?? "image/*";
}

const DIALECT = "openai-chat";

/** An object with a string `type` (a content part, tool, tool call …), else a refusal naming it. */
function typed(value: unknown, path: string): Json & { type: string } {
  if (!isObject(value)) invalid(path, `must be an object, got ${describe(value)}`);
  if (typeof value.type !== "string") invalid(`${path}.type`, "must be a string");
  return value as Json & { type: string };
}

function textPart(value: Json, path: string): TextPart {
  if (typeof value.text !== "string") invalid(`${path}.text`, "must be a string");
  const extra = extrasOf(value, TEXT_KEYS);
  return extra
    ? { type: "text", text: value.text, providerData: data({ extra }) }
    : { type: "text", text: value.text };
}

/**
 * A content array: the known parts decoded, those of a type subgate does not know kept
 * verbatim on their neighbours (`kept-parts.ts`), so an OpenAI-compatible upstream gets them
 * back in place; `kept` holds them all when there is no known part to carry them.
 */
function contentParts<T extends { providerData?: ProviderData }>(
  values: unknown[],
  path: string,
  decode: (part: Json & { type: string }, path: string) => T | undefined,
): { parts: T[]; kept?: ChatUnknown[] } {
  const { parts, unknown } = decodeKnownParts(values, DIALECT, (value, i) => {
    const partPath = `${path}[${i}]`;
    return decode(typed(value, partPath), partPath);
  });
  return parts.length === 0 && unknown.length > 0
    ? { parts, kept: unknown as ChatUnknown[] }
    : { parts };
}

/** A system, developer or tool message's content: a string or text parts. */
function textContent(
  value: unknown,
  path: string,
): { parts: TextPart[]; array: boolean; kept?: ChatUnknown[] } {
  if (typeof value === "string") return { parts: [{ type: "text", text: value }], array: false };
  if (!Array.isArray(value)) {
    invalid(path, `must be a string or an array of text parts, got ${describe(value)}`);
  }
  const decoded = contentParts(
    value,
    path,
    (part, partPath) => part.type === "text" ? textPart(part, partPath) : undefined,
  );
  return { ...decoded, array: true };
}

function withLayout<T extends { providerData?: ProviderData }>(part: T, layout: ChatPartLayout): T {
  if (Object.keys(layout).length > 0) part.providerData = data(layout);
  return part;
}

function imagePart(value: Json, path: string): FilePart {
  const image = value.image_url;
  const url = typeof image === "string"
    ? image
    : isObject(image) && typeof image.url === "string"
    ? image.url
    : invalid(`${path}.image_url.url`, "must be a string");
  const layout: ChatPartLayout = {};
  if (isObject(image) && typeof image.detail === "string") layout.detail = image.detail;
  const extra = extrasOf(value, IMAGE_KEYS);
  if (extra) layout.extra = extra;
  const inline = parseDataUrl(url);
  const part: FilePart = inline
    ? { type: "file", mediaType: inline.mediaType, data: inline.data }
    : { type: "file", mediaType: imageType(url), url };
  return withLayout(part, layout);
}

function audioPart(value: Json, path: string): FilePart {
  const audio = value.input_audio;
  if (!isObject(audio)) invalid(`${path}.input_audio`, "must be an object");
  if (typeof audio.data !== "string") invalid(`${path}.input_audio.data`, "must be a string");
  if (typeof audio.format !== "string") invalid(`${path}.input_audio.format`, "must be a string");
  const layout: ChatPartLayout = { format: audio.format };
  const extra = extrasOf(value, AUDIO_KEYS);
  if (extra) layout.extra = extra;
  const mediaType = audio.format === "mp3" ? "audio/mpeg" : `audio/${audio.format}`;
  const part: FilePart = { type: "file", mediaType, data: audio.data };
  return withLayout(part, layout);
}

function filePart(value: Json, path: string): FilePart {
  const file = value.file;
  if (!isObject(file)) invalid(`${path}.file`, "must be an object");
  if (file.file_id !== undefined && file.file_data === undefined) {
    invalid(`${path}.file.file_id`, "uploaded file ids are not supported; send file_data");
  }
  if (typeof file.file_data !== "string") invalid(`${path}.file.file_data`, "must be a string");
  const filename = typeof file.filename === "string" ? file.filename : undefined;
  const inline = parseDataUrl(file.file_data);
  // Bare base64 without a data: prefix: a PDF unless the file name says otherwise.
  const bareType = filename === undefined || filename.toLowerCase().endsWith(".pdf")
    ? "application/pdf"
    : "application/octet-stream";
  const part: FilePart = inline
    ? { type: "file", mediaType: inline.mediaType, data: inline.data }
    : { type: "file", mediaType: bareType, data: file.file_data };
  if (filename !== undefined) part.filename = filename;
  const extra = extrasOf(value, FILE_KEYS);
  return withLayout(part, extra ? { extra } : {});
}

function userContent(
  value: unknown,
  path: string,
): { parts: UserPart[]; array: boolean; kept?: ChatUnknown[] } {
  if (typeof value === "string") return { parts: [{ type: "text", text: value }], array: false };
  if (!Array.isArray(value)) {
    invalid(path, `must be a string or an array of content parts, got ${describe(value)}`);
  }
  const decoded = contentParts<UserPart>(value, path, (part, partPath) => {
    switch (part.type) {
      case "text":
        return textPart(part, partPath);
      case "image_url":
        return imagePart(part, partPath);
      case "input_audio":
        return audioPart(part, partPath);
      case "file":
        return filePart(part, partPath);
      default:
        return undefined;
    }
  });
  return { ...decoded, array: true };
}

function messageLayout(layout: ChatMessageLayout): ProviderData | undefined {
  return Object.keys(layout).length > 0 ? data(layout) : undefined;
}

function assistantMessage(
  value: Json,
  path: string,
  toolNames: Map<string, string>,
): Message {
  if (value.function_call != null) {
    invalid(`${path}.function_call`, "the legacy functions API is not supported; use tool_calls");
  }
  const parts: AssistantPart[] = [];
  const layout: ChatMessageLayout = {};
  for (const field of ["reasoning_content", "reasoning"] as const) {
    const reasoning = value[field];
    if (reasoning == null) continue;
    if (typeof reasoning !== "string") invalid(`${path}.${field}`, "must be a string");
    parts.push({ type: "reasoning", text: reasoning, providerData: data({ field }) });
    break;
  }
  const content = value.content;
  if (content === undefined) layout.content = "absent";
  else if (content === null) layout.content = "null";
  else if (content === "") layout.content = "empty";
  else if (typeof content === "string") parts.push({ type: "text", text: content });
  else if (Array.isArray(content)) {
    layout.content = "array";
    const decoded = contentParts<TextPart>(content, `${path}.content`, (part, partPath) => {
      if (part.type === "refusal") {
        if (typeof part.refusal !== "string") invalid(`${partPath}.refusal`, "must be a string");
        return { type: "text", text: part.refusal, providerData: data({ refusal: true }) };
      }
      return part.type === "text" ? textPart(part, partPath) : undefined;
    });
    parts.push(...decoded.parts);
    if (decoded.kept) layout.kept = decoded.kept;
  } else {
    invalid(`${path}.content`, `must be a string, an array of parts or null`);
  }
  if (value.refusal != null) {
    if (typeof value.refusal !== "string") invalid(`${path}.refusal`, "must be a string");
    parts.push({ type: "text", text: value.refusal, providerData: data({ refusal: true }) });
  }
  if (value.tool_calls != null) {
    parts.push(...toolCalls(value.tool_calls, `${path}.tool_calls`, layout, toolNames));
  }
  const extra = extrasOf(value, ASSISTANT_KEYS);
  if (extra) layout.extra = extra;
  const message: Message = { role: "assistant", content: parts };
  const providerData = messageLayout(layout);
  if (providerData) message.providerData = providerData;
  return message;
}

/** An assistant message's `tool_calls`; calls of tool types subgate does not know go to `layout`. */
function toolCalls(
  calls: unknown,
  path: string,
  layout: ChatMessageLayout,
  toolNames: Map<string, string>,
): ToolCallPart[] {
  if (!Array.isArray(calls)) invalid(path, "must be an array");
  const parts: ToolCallPart[] = [];
  calls.forEach((call, i) => {
    const callPath = `${path}[${i}]`;
    if (!isObject(call)) invalid(callPath, `must be an object, got ${describe(call)}`);
    if (call.type !== undefined && call.type !== "function") {
      // A call of a tool type subgate does not know (`custom`): kept for a Chat upstream.
      (layout.toolCalls ??= []).push({ index: i, call: typed(call, callPath) });
      return;
    }
    if (typeof call.id !== "string" || call.id === "") {
      invalid(`${callPath}.id`, "must be a non-empty string");
    }
    const fn = call.function;
    if (!isObject(fn)) invalid(`${callPath}.function`, "must be an object");
    if (typeof fn.name !== "string" || fn.name === "") {
      invalid(`${callPath}.function.name`, "must be a non-empty string");
    }
    const args = fn.arguments;
    const text = typeof args === "string" ? args : args == null ? "" : JSON.stringify(args);
    toolNames.set(call.id, fn.name);
    parts.push({ type: "tool-call", id: call.id, name: fn.name, arguments: text });
  });
  return parts;
}

function toolResult(value: Json, path: string, toolNames: Map<string, string>): ToolResultPart {
  if (typeof value.tool_call_id !== "string" || value.tool_call_id === "") {
    invalid(`${path}.tool_call_id`, "must be a non-empty string");
  }
  const content = value.content;
  const layout: ChatPartLayout = {};
  const decoded = typeof content === "string" ? undefined : textContent(content, `${path}.content`);
  if (decoded?.kept) layout.kept = decoded.kept;
  const result: ToolResultPart = {
    type: "tool-result",
    toolCallId: value.tool_call_id,
    content: decoded?.parts ?? content as string,
  };
  const name = toolNames.get(value.tool_call_id);
  if (name !== undefined) result.toolName = name;
  if (typeof content !== "string") layout.content = "array";
  const extra = extrasOf(value, TOOL_KEYS);
  if (extra) layout.extra = extra;
  return withLayout(result, layout);
}

/** How a leading system or developer message was laid out (its parts go to `request.system`). */
function leadingLayout(
  role: "system" | "developer",
  decoded: { parts: TextPart[]; array: boolean; kept?: ChatUnknown[] },
  extra: Json | undefined,
): ChatSystemLayout {
  const entry: ChatSystemLayout = { role, parts: decoded.parts.length, array: decoded.array };
  if (decoded.kept) entry.kept = decoded.kept;
  if (extra) entry.extra = extra;
  return entry;
}

/** A system or developer message after the conversation began: a system message in place. */
function systemMessage(
  role: "system" | "developer",
  decoded: { parts: TextPart[]; array: boolean; kept?: ChatUnknown[] },
  extra: Json | undefined,
): Message {
  const entry: ChatMessageLayout = {};
  if (role === "developer") entry.role = "developer";
  if (decoded.array) entry.content = "array";
  if (decoded.kept) entry.kept = decoded.kept;
  if (extra) entry.extra = extra;
  const providerData = messageLayout(entry);
  return providerData
    ? { role: "system", content: decoded.parts, providerData }
    : { role: "system", content: decoded.parts };
}

function userMessage(value: Json, path: string): Message {
  const { parts, array, kept } = userContent(value.content, `${path}.content`);
  const entry: ChatMessageLayout = {};
  if (array) entry.content = "array";
  if (kept) entry.kept = kept;
  const extra = extrasOf(value, USER_KEYS);
  if (extra) entry.extra = extra;
  const providerData = messageLayout(entry);
  return providerData
    ? { role: "user", content: parts, providerData }
    : { role: "user", content: parts };
}

function decodeMessages(
  value: unknown,
): { system: TextPart[]; layout: ChatSystemLayout[]; messages: Message[] } {
  if (!Array.isArray(value)) invalid("messages", `must be an array, got ${describe(value)}`);
  if (value.length === 0) invalid("messages", "must not be empty");
  const system: TextPart[] = [];
  const layout: ChatSystemLayout[] = [];
  const messages: Message[] = [];
  const toolNames = new Map<string, string>();
  let leading = true;
  value.forEach((message, i) => {
    const path = `messages[${i}]`;
    if (!isObject(message)) invalid(path, `must be an object, got ${describe(message)}`);
    const role = message.role;
    if (role !== "system" && role !== "developer") leading = false;
    switch (role) {
      case "system":
      case "developer": {
        const decoded = textContent(message.content, `${path}.content`);
        const extra = extrasOf(message, SYSTEM_KEYS);
        if (leading) {
          system.push(...decoded.parts);
          layout.push(leadingLayout(role, decoded, extra));
        } else messages.push(systemMessage(role, decoded, extra));
        break;
      }
      case "user":
        messages.push(userMessage(message, path));
        break;
      case "assistant":
        messages.push(assistantMessage(message, path, toolNames));
        break;
      case "tool": {
        const result = toolResult(message, path, toolNames);
        const last = messages.at(-1);
        if (last?.role === "tool") last.content.push(result);
        else messages.push({ role: "tool", content: [result] });
        break;
      }
      case "function":
        return invalid(
          `${path}.role`,
          `the legacy "function" role is not supported; use "tool" messages with tool_call_id`,
        );
      default:
        return invalid(
          `${path}.role`,
          `unknown role ${JSON.stringify(role)} ` +
            "(expected system, developer, user, assistant or tool)",
        );
    }
  });
  return { system, layout, messages };
}

/** Function tools as definitions; tools of other types (`custom` …) kept verbatim in `layout`. */
function decodeTools(value: unknown, layout: ChatRequestLayout): ToolDefinition[] {
  if (value == null) return [];
  if (!Array.isArray(value)) invalid("tools", `must be an array, got ${describe(value)}`);
  const definitions: ToolDefinition[] = [];
  value.forEach((tool, i) => {
    const path = `tools[${i}]`;
    if (typed(tool, path).type !== "function") {
      (layout.tools ??= []).push({ index: i, tool: tool as ChatUnknown });
    } else definitions.push(functionTool(tool as Json, path));
  });
  return definitions;
}

function functionTool(tool: Json, path: string): ToolDefinition {
  const fn = tool.function;
  if (!isObject(fn)) invalid(`${path}.function`, "must be an object");
  if (typeof fn.name !== "string" || fn.name === "") {
    invalid(`${path}.function.name`, "must be a non-empty string");
  }
  const definition: ToolDefinition = {
    name: fn.name,
    parameters: { type: "object", properties: {} },
  };
  if (fn.parameters == null) definition.providerData = data({ noParameters: true });
  else if (!isObject(fn.parameters)) invalid(`${path}.function.parameters`, "must be an object");
  else definition.parameters = fn.parameters;
  if (fn.description != null) {
    if (typeof fn.description !== "string") {
      invalid(`${path}.function.description`, "must be a string");
    }
    definition.description = fn.description;
  }
  if (fn.strict != null) {
    if (typeof fn.strict !== "boolean") invalid(`${path}.function.strict`, "must be a boolean");
    definition.strict = fn.strict;
  }
  return definition;
}

/** A tool choice subgate can read: a function, or allowed tools that are all functions. */
function readableChoice(value: Json): boolean {
  if (value.type === "function") return true;
  if (value.type !== "allowed_tools") return false;
  const tools = isObject(value.allowed_tools) ? value.allowed_tools.tools : undefined;
  return !Array.isArray(tools) ||
    tools.every((tool) => !isObject(tool) || tool.type === undefined || tool.type === "function");
}

function toolName(value: unknown, path: string): string {
  if (!isObject(value) || value.type !== "function") {
    invalid(`${path}.type`, `only "function" tools can be chosen`);
  }
  const fn = value.function;
  if (!isObject(fn) || typeof fn.name !== "string" || fn.name === "") {
    invalid(`${path}.function.name`, "must be a non-empty string");
  }
  return fn.name;
}

/**
 * The tool choice; `allowed_tools` narrows `tools` to the allowed ones and
 * becomes `auto` or `required` (the canonical request cannot say "these tools
 * only" any other way).
 */
function decodeToolChoice(
  value: unknown,
  tools: ToolDefinition[],
  layout: ChatRequestLayout,
): { choice?: ToolChoice; tools: ToolDefinition[] } {
  if (value == null) return { tools };
  if (value === "auto" || value === "none" || value === "required") {
    return { choice: { type: value }, tools };
  }
  if (!isObject(value)) {
    invalid("tool_choice", `must be "auto", "none", "required" or an object`);
  }
  if (!readableChoice(value)) {
    // It names a tool of a type subgate does not know: kept for a Chat upstream.
    layout.toolChoice = typed(value, "tool_choice");
    return { tools };
  }
  if (value.type === "allowed_tools") {
    const allowed = value.allowed_tools;
    if (!isObject(allowed)) invalid("tool_choice.allowed_tools", "must be an object");
    if (allowed.mode !== "auto" && allowed.mode !== "required") {
      invalid("tool_choice.allowed_tools.mode", `must be "auto" or "required"`);
    }
    if (!Array.isArray(allowed.tools)) {
      invalid("tool_choice.allowed_tools.tools", "must be an array");
    }
    const names = new Set(
      allowed.tools.map((tool, i) => toolName(tool, `tool_choice.allowed_tools.tools[${i}]`)),
    );
    return { choice: { type: allowed.mode }, tools: tools.filter((tool) => names.has(tool.name)) };
  }
  return { choice: { type: "tool", name: toolName(value, "tool_choice") }, tools };
}

function decodeResponseFormat(
  value: unknown,
  layout: ChatRequestLayout,
): ResponseFormat | undefined {
  if (value == null) return undefined;
  if (!isObject(value)) invalid("response_format", "must be an object");
  switch (value.type) {
    case "text":
      return { type: "text" };
    case "json_object":
      return { type: "json" };
    case "json_schema": {
      const spec = value.json_schema;
      if (!isObject(spec)) invalid("response_format.json_schema", "must be an object");
      if (typeof spec.name !== "string") {
        invalid("response_format.json_schema.name", "must be a string");
      }
      if (spec.schema != null && !isObject(spec.schema)) {
        invalid("response_format.json_schema.schema", "must be an object");
      }
      const format: ResponseFormat = {
        type: "json-schema",
        name: spec.name,
        schema: isObject(spec.schema) ? spec.schema : {},
      };
      if (typeof spec.strict === "boolean") format.strict = spec.strict;
      if (typeof spec.description === "string") layout.responseFormatDescription = spec.description;
      return format;
    }
    default:
      // A format subgate does not know: kept for a Chat upstream, refused across dialects.
      layout.responseFormat = typed(value, "response_format");
      return undefined;
  }
}

function optionalNumber(body: Json, key: string): number | undefined {
  const value = body[key];
  if (value == null) return undefined;
  if (typeof value !== "number" || !Number.isFinite(value)) {
    invalid(key, `must be a number, got ${describe(value)}`);
  }
  return value;
}

function optionalBoolean(body: Json, key: string): boolean | undefined {
  const value = body[key];
  if (value == null) return undefined;
  if (typeof value !== "boolean") invalid(key, `must be a boolean, got ${describe(value)}`);
  return value;
}

function decodeStop(value: unknown, layout: ChatRequestLayout): string[] | undefined {
  if (value == null) return undefined;
  if (typeof value === "string") {
    layout.stopString = true;
    return [value];
  }
  if (!Array.isArray(value) || value.some((item) => typeof item !== "string")) {
    invalid("stop", "must be a string or an array of strings");
  }
  return value as string[];
}

function decodeEffort(value: unknown, layout: ChatRequestLayout): ReasoningConfig | undefined {
  if (value == null) return undefined;
  if (typeof value !== "string" || !EFFORTS.has(value)) {
    invalid(
      "reasoning_effort",
      `must be one of ${[...EFFORTS].join(", ")}, got ${JSON.stringify(value)}`,
    );
  }
  if (value === "max") {
    layout.reasoningEffort = "max";
    return { effort: "xhigh" };
  }
  return { effort: value as Exclude<ChatReasoningEffort, "max"> };
}

export function decodeRequest(body: unknown, _context: DecodeContext): CanonicalRequest {
  if (!isObject(body)) invalid("body", `must be a JSON object, got ${describe(body)}`);
  if (typeof body.model !== "string" || body.model === "") {
    invalid("model", "must be a non-empty string");
  }
  if (body.functions != null) {
    invalid("functions", "the legacy functions API is not supported; use tools");
  }
  if (body.function_call != null) {
    invalid("function_call", "the legacy functions API is not supported; use tool_choice");
  }
  const n = optionalNumber(body, "n");
  if (n !== undefined && n !== 1) {
    invalid("n", `subgate returns one choice per request; n must be 1, got ${n}`);
  }
  const layout: ChatRequestLayout = {};
  const { system, layout: systemLayout, messages } = decodeMessages(body.messages);
  const { choice, tools } = decodeToolChoice(
    body.tool_choice,
    decodeTools(body.tools, layout),
    layout,
  );
  const request: CanonicalRequest = {
    model: body.model,
    system,
    messages,
    tools,
    stream: optionalBoolean(body, "stream") ?? false,
  };
  if (systemLayout.length > 0) layout.system = systemLayout;
  if (choice) request.toolChoice = choice;
  const parallel = optionalBoolean(body, "parallel_tool_calls");
  if (parallel !== undefined) request.parallelToolCalls = parallel;
  const format = decodeResponseFormat(body.response_format, layout);
  if (format) request.responseFormat = format;
  const maxCompletion = optionalNumber(body, "max_completion_tokens");
  const maxTokens = optionalNumber(body, "max_tokens");
  if (maxCompletion !== undefined) {
    request.maxOutputTokens = maxCompletion;
    layout.maxTokensField = "max_completion_tokens";
  } else if (maxTokens !== undefined) {
    request.maxOutputTokens = maxTokens;
    layout.maxTokensField = "max_tokens";
  }
  const temperature = optionalNumber(body, "temperature");
  if (temperature !== undefined) request.temperature = temperature;
  const topP = optionalNumber(body, "top_p");
  if (topP !== undefined) request.topP = topP;
  const stop = decodeStop(body.stop, layout);
  if (stop) request.stopSequences = stop;
  const reasoning = decodeEffort(body.reasoning_effort, layout);
  if (reasoning) request.reasoning = reasoning;
  const streamOptions = body.stream_options;
  if (streamOptions != null) {
    if (!isObject(streamOptions)) invalid("stream_options", "must be an object");
    const include = streamOptions.include_usage;
    if (include != null && typeof include !== "boolean") {
      invalid("stream_options.include_usage", "must be a boolean");
    }
    if (include === true && request.stream) request.includeUsage = true;
    const rest = extrasOf(streamOptions, new Set(["include_usage"]));
    if (rest) layout.streamOptions = rest;
  }
  if (body.user != null) {
    if (typeof body.user !== "string") invalid("user", "must be a string");
    request.user = body.user;
  }
  const extra = extrasOf(body, REQUEST_KEYS);
  if (extra) layout.extra = extra;
  if (Object.keys(layout).length > 0) request.providerData = data(layout);
  return request;
}
