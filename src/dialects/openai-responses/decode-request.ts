/**
 * @module
 * A client's Responses API body as a canonical request, validated: a
 * malformed body throws an `invalid_request` naming the field
 * (`input[1].arguments: must be a string`).
 *
 * - `instructions` becomes `request.system`; `developer` and `system` message
 *   items stay in place as system messages. A string `input` is one user message.
 * - Consecutive assistant output (assistant messages, reasoning, function and
 *   custom tool calls) becomes one assistant message; consecutive
 *   `function_call_output`s one tool turn, with the tool name looked up from
 *   the calls.
 * - Reasoning items become reasoning parts `{origin: "openai-responses", id,
 *   encrypted}` whose text is the summary parts joined by a blank line.
 * - Tools (`decode-tools.ts`): function tools, and custom (freeform) tools as
 *   canonical tools taking `{"input": string}`, from `tools`, from `namespace`
 *   tools and from Codex CLI's code-mode `additional_tools` input item (kept in
 *   place verbatim for a Responses upstream); namespaced tools get flat names
 *   (`tool-names.ts`). Custom tool calls become tool calls with `{"input": …}`
 *   arguments, so every target can use them; a Responses upstream gets them
 *   back as custom tools.
 * - Images and files: `data:` URLs become base64, http(s) URLs stay URLs;
 *   uploaded `file_id`s are refused (subgate keeps no files).
 * - Built-in tools and items (web_search, local_shell, mcp, item_reference …),
 *   items, tools, content parts and text formats of types subgate does not
 *   know, unknown fields and top-level fields the IR has no place for (store,
 *   include, previous_response_id …) are kept in `providerData["openai-responses"]`
 *   (see `RequestMemo` and `PartMemo`) so that a Responses upstream gets the
 *   body back; `leave-dialect.ts` says what other dialects lose. An unknown
 *   type is never refused here: the upstream is the judge of it.
 * - Item ids are dropped (only a reasoning item keeps its id): they name
 *   items of an earlier response, and with `store: false` an upstream may not
 *   know ids that subgate or another upstream made up.
 */
import type { DecodeContext } from "../codec.ts";
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
} from "../../ir/request.ts";
import {
  customToolParameters,
  describe,
  DIALECT,
  invalid,
  memoData,
  requireString,
} from "./decode-common.ts";
import { extrasOf, isObject, type Json } from "../../ir/json.ts";
import { decodeKnownParts, remember as rememberFor } from "../kept-parts.ts";
import { decodeAdditionalTools, decodeTools, ToolSet } from "./decode-tools.ts";
import { decodeCallName, flatToolName } from "./tool-names.ts";
import type {
  AnchoredItem,
  BuiltinItem,
  Extras,
  MessageMemo,
  PartMemo,
  RequestMemo,
  SummaryText,
  ToolChoiceWire,
  UnknownPart,
} from "./wire-types.ts";

export { customToolParameters, DIALECT, memoData };

/** A `data:<type>;base64,<data>` URL split, or undefined for anything else. */
export function parseDataUrl(url: string): { mediaType?: string; data: string } | undefined {
  const match = /^data:([^;,]*)((?:;[^;,]*)*);base64,/i.exec(url);
  if (!match) return undefined;
  return { mediaType: match[1] || undefined, data: url.slice(match[0].length) };
}

const TEXT_KEYS = new Set(["type", "text"]);
const REFUSAL_KEYS = new Set(["type", "refusal"]);
const IMAGE_KEYS = new Set(["type", "image_url", "file_id"]);
const FILE_KEYS = new Set(["type", "file_data", "file_url", "file_id", "filename"]);
const MESSAGE_KEYS = new Set(["type", "id", "role", "content"]);
const CALL_KEYS = new Set(["type", "id", "call_id", "namespace", "name", "arguments"]);
const CUSTOM_CALL_KEYS = new Set(["type", "id", "call_id", "namespace", "name", "input"]);
const OUTPUT_KEYS = new Set(["type", "id", "call_id", "output"]);
const REASONING_KEYS = new Set(["type", "id", "summary", "encrypted_content"]);
const FORMAT_KEYS = new Set(["type", "name", "schema", "strict"]);
const REQUEST_KEYS = new Set([
  "model",
  "input",
  "instructions",
  "tools",
  "tool_choice",
  "parallel_tool_calls",
  "text",
  "max_output_tokens",
  "temperature",
  "top_p",
  "reasoning",
  "stream",
]);
const EFFORTS: ReadonlySet<string> = new Set([
  "none",
  "minimal",
  "low",
  "medium",
  "high",
  "xhigh",
]);
const ROLES: ReadonlySet<string> = new Set(["user", "assistant", "system", "developer"]);

function imagePart(part: Json, path: string): FilePart {
  if (part.file_id !== undefined && part.file_id !== null) {
    invalid(
      `${path}.file_id`,
      "uploaded file references are not supported (subgate keeps no files); send image_url as a data: or https URL",
    );
  }
  const url = requireString(part.image_url, `${path}.image_url`);
  const file: FilePart = { type: "file" };
  const parsed = parseDataUrl(url);
  if (parsed) {
    file.mediaType = parsed.mediaType ?? "image/png";
    file.data = parsed.data;
  } else if (/^https?:\/\//i.test(url)) {
    file.url = url;
  } else {
    invalid(`${path}.image_url`, "must be a data: URL or an http(s) URL");
  }
  const extra = extrasOf(part, IMAGE_KEYS);
  if (extra) file.providerData = memoData({ extra } satisfies PartMemo);
  return file;
}

function filePart(part: Json, path: string): FilePart {
  if (part.file_id !== undefined && part.file_id !== null) {
    invalid(
      `${path}.file_id`,
      "uploaded file references are not supported (subgate keeps no files); send file_data or file_url",
    );
  }
  const file: FilePart = { type: "file" };
  if (part.file_data !== undefined) {
    const data = requireString(part.file_data, `${path}.file_data`);
    const parsed = parseDataUrl(data);
    if (parsed) {
      if (parsed.mediaType) file.mediaType = parsed.mediaType;
      file.data = parsed.data;
    } else file.data = data;
  } else if (part.file_url !== undefined) {
    file.url = requireString(part.file_url, `${path}.file_url`);
  } else invalid(path, "an input_file needs file_data or file_url");
  if (part.filename !== undefined) file.filename = requireString(part.filename, `${path}.filename`);
  if (!file.mediaType && file.filename?.toLowerCase().endsWith(".pdf")) {
    file.mediaType = "application/pdf";
  }
  const extra = extrasOf(part, FILE_KEYS);
  if (extra) file.providerData = memoData({ extra } satisfies PartMemo);
  return file;
}

function textPart(text: string, memo: PartMemo): TextPart {
  const part: TextPart = { type: "text", text };
  const data = memoData(memo);
  if (data) part.providerData = data;
  return part;
}

/** One content part of a message item; undefined for a type subgate does not know. */
function contentPart(part: Json, role: string, path: string): UserPart | AssistantPart | undefined {
  switch (part.type) {
    case "input_text":
    case "output_text":
      return textPart(requireString(part.text, `${path}.text`), {
        extra: extrasOf(part, TEXT_KEYS),
      });
    case "refusal":
      if (role !== "assistant") invalid(`${path}.type`, "only assistant messages hold a refusal");
      return textPart(requireString(part.refusal, `${path}.refusal`), {
        refusal: true,
        extra: extrasOf(part, REFUSAL_KEYS),
      });
    case "input_image":
      if (role !== "user") invalid(`${path}.type`, `a ${role} message cannot hold an image`);
      return imagePart(part, path);
    case "input_file":
      if (role !== "user") invalid(`${path}.type`, `a ${role} message cannot hold a file`);
      return filePart(part, path);
    default:
      return undefined;
  }
}

/** One part of a tool's output; undefined for a type subgate does not know. */
function outputPart(part: Json, path: string): TextPart | FilePart | undefined {
  switch (part.type) {
    case "input_text":
    case "output_text":
      return textPart(requireString(part.text, `${path}.text`), {
        extra: extrasOf(part, TEXT_KEYS),
      });
    case "input_image":
      return imagePart(part, path);
    case "input_file":
      return filePart(part, path);
    default:
      return undefined;
  }
}

/** Adds `fields` to a part's memo. */
function remember(part: { providerData?: ProviderData }, fields: PartMemo): void {
  rememberFor(part, DIALECT, fields as Record<string, unknown>);
}

/**
 * A list of parts: the known ones decoded, the ones of types subgate does not know kept
 * verbatim on their neighbours (`kept-parts.ts`), so a Responses upstream gets them back in
 * place and other dialects leave them out. Undefined when there are unknown parts and no
 * known one to carry them.
 */
function decodeParts<T extends { providerData?: ProviderData }>(
  raw: unknown[],
  path: string,
  decode: (part: Json, path: string) => T | undefined,
): T[] | undefined {
  const { parts, unknown } = decodeKnownParts(raw, DIALECT, (entry, index) => {
    const at = `${path}[${index}]`;
    if (!isObject(entry)) invalid(at, `must be an object, got ${describe(entry)}`);
    if (typeof entry.type !== "string") invalid(`${at}.type`, "must be a string");
    return decode(entry, at);
  });
  return parts.length === 0 && unknown.length > 0 ? undefined : parts;
}

/** A tool result from a function_call_output or custom_tool_call_output item. */
function toolResultPart(item: Json, path: string, memo: PartMemo): ToolResultPart {
  const output = item.output;
  let content: ToolResultPart["content"];
  if (typeof output === "string") content = output;
  else if (Array.isArray(output)) {
    const parts = decodeParts(output, `${path}.output`, outputPart);
    // Nothing the IR holds: other dialects get an empty result, a Responses upstream the output.
    if (!parts) memo.output = output as UnknownPart[];
    content = parts ?? "";
  } else {
    return invalid(`${path}.output`, `must be a string or an array, got ${describe(output)}`);
  }
  const part: ToolResultPart = {
    type: "tool-result",
    toolCallId: requireString(item.call_id, `${path}.call_id`),
    content,
  };
  const data = memoData(memo);
  if (data) part.providerData = data;
  return part;
}

/** A reasoning item (input or output) as a reasoning part; lenient about its fields. */
export function reasoningFromItem(item: Json): ReasoningPart {
  const summary = Array.isArray(item.summary) ? item.summary as SummaryText[] : [];
  const memo: PartMemo = { extra: extrasOf(item, REASONING_KEYS) };
  const texts = summary.map((entry) => isObject(entry) ? String(entry.text ?? "") : "");
  let text = texts.join("\n\n");
  if (texts.length > 1) memo.summary = summary;
  if (texts.length === 0 && Array.isArray(item.content)) {
    const content = item.content.map((entry) => isObject(entry) ? String(entry.text ?? "") : "");
    if (content.length > 0) {
      text = content.join("\n\n");
      memo.fromContent = true;
    }
  }
  const part: ReasoningPart = { type: "reasoning", text, origin: DIALECT };
  if (typeof item.id === "string") part.id = item.id;
  if (typeof item.encrypted_content === "string") part.encrypted = item.encrypted_content;
  const data = memoData(memo);
  if (data) part.providerData = data;
  return part;
}

/** A client's reasoning item, validated. */
function reasoningPart(item: Json, path: string): ReasoningPart {
  const summary = item.summary ?? [];
  if (!Array.isArray(summary)) invalid(`${path}.summary`, "must be an array");
  summary.forEach((entry, index) => {
    if (!isObject(entry)) invalid(`${path}.summary[${index}]`, "must be an object");
    requireString(entry.text, `${path}.summary[${index}].text`);
  });
  if (item.id !== undefined) requireString(item.id, `${path}.id`);
  if (item.encrypted_content !== undefined && item.encrypted_content !== null) {
    requireString(item.encrypted_content, `${path}.encrypted_content`);
  }
  return reasoningFromItem(item);
}

/** Builds the message list item by item, grouping what belongs together. */
class MessageBuilder {
  readonly messages: Message[] = [];
  readonly anchored: AnchoredItem[] = [];
  /** The assistant or tool message items are being added to. */
  private open: (Message & { role: "assistant" | "tool" }) | undefined;
  private readonly callNames = new Map<string, string>();

  private group(role: "assistant" | "tool"): Message & { role: "assistant" | "tool" } {
    if (this.open?.role !== role) {
      this.open = role === "assistant"
        ? { role: "assistant", content: [] }
        : { role: "tool", content: [] };
      this.messages.push(this.open);
    }
    return this.open;
  }

  assistant(part: AssistantPart): void {
    (this.group("assistant").content as AssistantPart[]).push(part);
    if (part.type === "tool-call") this.callNames.set(part.id, part.name);
  }

  toolResult(part: ToolResultPart): void {
    const name = this.callNames.get(part.toolCallId);
    if (name !== undefined) part.toolName = name;
    (this.group("tool").content as ToolResultPart[]).push(part);
  }

  standalone(message: Message): void {
    this.open = undefined;
    this.messages.push(message);
  }

  /** An item kept verbatim where it stood; `mapped` when the canonical request holds its content. */
  builtin(item: BuiltinItem, mapped = false): void {
    const entry: AnchoredItem = this.open
      ? { message: this.messages.length - 1, part: this.open.content.length, item }
      : { message: this.messages.length, part: 0, item };
    if (mapped) entry.mapped = true;
    this.anchored.push(entry);
  }
}

function decodeMessage(item: Json, path: string, builder: MessageBuilder): void {
  const role = item.role;
  if (typeof role !== "string" || !ROLES.has(role)) {
    invalid(`${path}.role`, `unknown role ${JSON.stringify(role)}`);
  }
  const content = item.content;
  let parts: Array<UserPart | AssistantPart> | undefined;
  if (typeof content === "string") parts = [{ type: "text", text: content }];
  else if (Array.isArray(content)) {
    parts = decodeParts(content, `${path}.content`, (part, at) => contentPart(part, role, at));
  } else {
    invalid(`${path}.content`, `must be a string or an array, got ${describe(content)}`);
  }
  // Only parts of types subgate does not know: the item goes up verbatim or not at all.
  if (!parts) return builder.builtin(item as BuiltinItem);
  const extra = extrasOf(item, MESSAGE_KEYS);
  if (role === "assistant") {
    parts.forEach((part, index) => {
      if (index === 0) remember(part, { item: extra ?? {} });
      builder.assistant(part as AssistantPart);
    });
    return;
  }
  const memo: MessageMemo = { item: extra };
  if (role === "user") {
    const message: Message = { role: "user", content: parts as UserPart[] };
    const data = memoData(memo);
    if (data) message.providerData = data;
    builder.standalone(message);
    return;
  }
  if (role === "system") memo.role = "system";
  const message: Message = { role: "system", content: parts as TextPart[] };
  const data = memoData(memo);
  if (data) message.providerData = data;
  builder.standalone(message);
}

/** A function_call or custom_tool_call item; a namespaced tool gets its flat canonical name. */
function toolCallPart(item: Json, path: string): ToolCallPart {
  const custom = item.type === "custom_tool_call";
  if (item.namespace !== undefined && item.namespace !== null) {
    requireString(item.namespace, `${path}.namespace`);
  }
  const called = decodeCallName(item.namespace, requireString(item.name, `${path}.name`));
  const part: ToolCallPart = {
    type: "tool-call",
    id: requireString(item.call_id, `${path}.call_id`),
    name: called.name,
    arguments: custom
      ? JSON.stringify({ input: requireString(item.input, `${path}.input`) })
      : requireString(item.arguments, `${path}.arguments`),
  };
  const data = memoData(
    {
      ...called.memo,
      custom: custom || undefined,
      extra: extrasOf(item, custom ? CUSTOM_CALL_KEYS : CALL_KEYS),
    } satisfies PartMemo,
  );
  if (data) part.providerData = data;
  return part;
}

function decodeItem(item: unknown, path: string, builder: MessageBuilder, tools: ToolSet): void {
  if (!isObject(item)) invalid(path, `must be an object, got ${describe(item)}`);
  const type = item.type ?? (item.role !== undefined ? "message" : undefined);
  switch (type) {
    case "message":
      return decodeMessage(item, path, builder);
    case "function_call":
    case "custom_tool_call":
      return builder.assistant(toolCallPart(item, path));
    case "function_call_output":
    case "custom_tool_call_output": {
      const memo: PartMemo = {
        custom: type === "custom_tool_call_output" || undefined,
        extra: extrasOf(item, OUTPUT_KEYS),
      };
      return builder.toolResult(toolResultPart(item, path, memo));
    }
    case "reasoning":
      return builder.assistant(reasoningPart(item, path));
    case "additional_tools":
      // Code mode: the tools become canonical tools; the item stays for a Responses upstream.
      decodeAdditionalTools(item as BuiltinItem, path, tools);
      return builder.builtin(item as BuiltinItem, true);
    default:
      // Built-in items and types subgate does not know go up verbatim: the upstream judges them.
      if (typeof type !== "string") invalid(`${path}.type`, "must be a string");
      return builder.builtin(item as BuiltinItem);
  }
}

function decodeToolChoice(choice: unknown, memo: RequestMemo): ToolChoice | undefined {
  if (choice === undefined || choice === null) return undefined;
  if (choice === "auto" || choice === "none" || choice === "required") return { type: choice };
  if (!isObject(choice) || typeof choice.type !== "string") {
    return invalid("tool_choice", 'must be "auto", "none", "required" or an object with a type');
  }
  if (choice.type === "function" || choice.type === "custom") {
    const name = requireString(choice.name, "tool_choice.name");
    const namespace = typeof choice.namespace === "string" ? choice.namespace : undefined;
    return { type: "tool", name: flatToolName(namespace, name) };
  }
  memo.toolChoice = choice as ToolChoiceWire;
  return undefined;
}

function decodeText(text: unknown, memo: RequestMemo): ResponseFormat | undefined {
  if (text === undefined || text === null) return undefined;
  if (!isObject(text)) invalid("text", `must be an object, got ${describe(text)}`);
  memo.text = extrasOf(text, new Set(["format"]));
  const format = text.format;
  if (format === undefined || format === null) return undefined;
  if (!isObject(format)) invalid("text.format", `must be an object, got ${describe(format)}`);
  switch (format.type) {
    case "text":
      return { type: "text" };
    case "json_object":
      return { type: "json" };
    case "json_schema": {
      if (!isObject(format.schema)) invalid("text.format.schema", "must be a JSON Schema object");
      const result: ResponseFormat = { type: "json-schema", schema: format.schema };
      if (format.name !== undefined) result.name = requireString(format.name, "text.format.name");
      if (typeof format.strict === "boolean") result.strict = format.strict;
      memo.format = extrasOf(
        format,
        typeof format.strict === "boolean" ? FORMAT_KEYS : new Set(["type", "name", "schema"]),
      );
      return result;
    }
    default:
      // A format subgate does not know goes up as it came; translating it is refused.
      if (typeof format.type !== "string") invalid("text.format.type", "must be a string");
      memo.text = { ...memo.text, format };
      return undefined;
  }
}

function decodeReasoning(reasoning: unknown, memo: RequestMemo): ReasoningConfig | undefined {
  if (reasoning === undefined || reasoning === null) return undefined;
  if (!isObject(reasoning)) invalid("reasoning", `must be an object, got ${describe(reasoning)}`);
  const config: ReasoningConfig = {};
  const effort = reasoning.effort;
  if (typeof effort === "string") {
    if (!EFFORTS.has(effort)) {
      invalid("reasoning.effort", `must be one of ${[...EFFORTS].join(", ")}`);
    }
    config.effort = effort as ReasoningConfig["effort"];
    config.enabled = effort !== "none";
  } else if (effort !== undefined && effort !== null) {
    invalid("reasoning.effort", "must be a string");
  }
  const summary = reasoning.summary ?? reasoning.generate_summary;
  if (summary !== undefined) {
    if (summary !== null && typeof summary !== "string") {
      invalid("reasoning.summary", "must be a string");
    }
    config.includeThoughts = typeof summary === "string" && summary !== "none";
  }
  memo.reasoning = extrasOf(
    reasoning,
    typeof effort === "string" ? new Set(["effort"]) : new Set(),
  );
  return config;
}

function optionalNumber(body: Json, key: string, fields: Extras): number | undefined {
  const value = body[key];
  if (value === undefined) return undefined;
  if (value === null) {
    fields[key] = null;
    return undefined;
  }
  if (typeof value !== "number" || !Number.isFinite(value)) {
    invalid(key, `must be a number, got ${describe(value)}`);
  }
  return value;
}

/** `instructions`: the leading system text. */
function decodeInstructions(instructions: unknown): TextPart[] {
  if (typeof instructions === "string") {
    return instructions === "" ? [] : [{ type: "text", text: instructions }];
  }
  if (instructions !== undefined && instructions !== null) {
    invalid("instructions", `must be a string, got ${describe(instructions)}`);
  }
  return [];
}

/** `input`: a string (one user message) or a list of items. */
function decodeInput(input: unknown, builder: MessageBuilder, tools: ToolSet): void {
  if (typeof input === "string") {
    if (input === "") invalid("input", "must not be empty");
    builder.standalone({ role: "user", content: [{ type: "text", text: input }] });
  } else if (Array.isArray(input)) {
    if (input.length === 0) invalid("input", "must not be empty");
    input.forEach((item, index) => decodeItem(item, `input[${index}]`, builder, tools));
  } else {
    invalid("input", `must be a string or an array of items, got ${describe(input)}`);
  }
}

export function decodeRequest(body: unknown, context: DecodeContext): CanonicalRequest {
  if (!isObject(body)) invalid("body", `must be a JSON object, got ${describe(body)}`);
  const model = body.model ?? context.model;
  if (typeof model !== "string" || model === "") invalid("model", "must be a non-empty string");

  const memo: RequestMemo = {};
  const fields: Extras = {};
  for (const key in body) {
    if (!REQUEST_KEYS.has(key)) fields[key] = body[key];
  }

  const system = decodeInstructions(body.instructions);
  const builder = new MessageBuilder();
  const tools = new ToolSet();
  decodeInput(body.input, builder, tools);
  if (builder.anchored.length > 0) memo.items = builder.anchored;
  decodeTools(body.tools, tools);
  if (tools.builtin.length > 0) memo.tools = tools.builtin;
  if (tools.lost.length > 0) memo.lost = tools.lost;

  const request: CanonicalRequest = {
    model,
    system,
    messages: builder.messages,
    tools: tools.tools,
    stream: false,
  };

  const toolChoice = decodeToolChoice(body.tool_choice, memo);
  if (toolChoice) request.toolChoice = toolChoice;
  if (typeof body.parallel_tool_calls === "boolean") {
    request.parallelToolCalls = body.parallel_tool_calls;
  } else if (body.parallel_tool_calls === null) fields.parallel_tool_calls = null;
  else if (body.parallel_tool_calls !== undefined) {
    invalid("parallel_tool_calls", "must be a boolean");
  }
  const format = decodeText(body.text, memo);
  if (format) request.responseFormat = format;
  const maxOutputTokens = optionalNumber(body, "max_output_tokens", fields);
  if (maxOutputTokens !== undefined) request.maxOutputTokens = maxOutputTokens;
  const temperature = optionalNumber(body, "temperature", fields);
  if (temperature !== undefined) request.temperature = temperature;
  const topP = optionalNumber(body, "top_p", fields);
  if (topP !== undefined) request.topP = topP;
  const reasoning = decodeReasoning(body.reasoning, memo);
  if (reasoning) request.reasoning = reasoning;

  if (typeof body.stream === "boolean") request.stream = body.stream;
  else if (body.stream !== undefined && body.stream !== null) {
    invalid("stream", "must be a boolean");
  }
  if (typeof body.stream !== "boolean" && context.stream !== undefined) {
    request.stream = context.stream;
  }

  const user = [fields.user, fields.prompt_cache_key, fields.safety_identifier].find((value) =>
    typeof value === "string" && value !== ""
  );
  if (typeof user === "string") request.user = user;
  if (Object.keys(fields).length > 0) memo.fields = fields;
  const data = memoData(memo);
  if (data) request.providerData = data;
  return request;
}
