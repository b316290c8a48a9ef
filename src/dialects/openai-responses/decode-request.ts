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
 * - Custom (freeform) tools become canonical tools taking `{"input": string}`,
 *   and their calls tool calls with `{"input": …}` arguments, so every target
 *   can use them; a Responses upstream gets them back as custom tools.
 * - Images and files: `data:` URLs become base64, http(s) URLs stay URLs;
 *   uploaded `file_id`s are refused (subgate keeps no files).
 * - Built-in tools and items (web_search, local_shell, mcp, item_reference …),
 *   unknown fields and top-level fields the IR has no place for (store,
 *   include, previous_response_id …) are kept in `providerData["openai-responses"]`
 *   (see `RequestMemo`) so that a Responses upstream gets the body back.
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
  ToolDefinition,
} from "../../ir/request.ts";
import { apiError } from "../../server/api-error.ts";
import {
  type AnchoredItem,
  BUILTIN_ITEM_TYPES,
  type BuiltinItem,
  type BuiltinTool,
  type Extras,
  type MessageMemo,
  type PartMemo,
  type RequestMemo,
  type SummaryText,
  type ToolChoiceWire,
  type ToolMemo,
} from "./wire-types.ts";

type Json = Record<string, unknown>;

export const DIALECT = "openai-responses";

/** The arguments schema a custom (freeform) tool gets in the canonical model (a fresh copy). */
export function customToolParameters(): Record<string, unknown> {
  return {
    type: "object",
    properties: { input: { type: "string", description: "The tool's freeform input." } },
    required: ["input"],
    additionalProperties: false,
  };
}

function invalid(path: string, problem: string): never {
  throw apiError("invalid_request", `${path}: ${problem}`);
}

export function isObject(value: unknown): value is Json {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function describe(value: unknown): string {
  if (value === null) return "null";
  if (Array.isArray(value)) return "an array";
  return `a ${typeof value}`;
}

/** The fields of `object` not in `known`, or undefined when there are none. */
export function extrasOf(object: Json, known: ReadonlySet<string>): Extras | undefined {
  let extra: Extras | undefined;
  for (const key in object) {
    if (!known.has(key)) (extra ??= {})[key] = object[key];
  }
  return extra;
}

/** `{"openai-responses": memo}` without its undefined fields, or undefined for an empty memo. */
export function memoData(memo: object): ProviderData | undefined {
  let clean: Json | undefined;
  for (const [key, value] of Object.entries(memo)) {
    if (value !== undefined) (clean ??= {})[key] = value;
  }
  return clean && { [DIALECT]: clean };
}

function requireString(value: unknown, path: string): string {
  if (typeof value !== "string") invalid(path, `must be a string, got ${describe(value)}`);
  return value;
}

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
const CALL_KEYS = new Set(["type", "id", "call_id", "name", "arguments"]);
const CUSTOM_CALL_KEYS = new Set(["type", "id", "call_id", "name", "input"]);
const OUTPUT_KEYS = new Set(["type", "id", "call_id", "output"]);
const REASONING_KEYS = new Set(["type", "id", "summary", "encrypted_content"]);
const FUNCTION_TOOL_KEYS = new Set(["type", "name"]);
const CUSTOM_TOOL_KEYS = new Set(["type", "name", "description", "format"]);
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

/** One content part of a message item. */
function contentPart(part: unknown, role: string, path: string): UserPart | AssistantPart {
  if (!isObject(part)) invalid(path, `must be an object, got ${describe(part)}`);
  const type = part.type;
  switch (type) {
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
      return invalid(`${path}.type`, `unknown content part type ${JSON.stringify(type)}`);
  }
}

/** function_call_output.output: a string, or text/image/file parts. */
function toolOutput(output: unknown, path: string): ToolResultPart["content"] {
  if (typeof output === "string") return output;
  if (!Array.isArray(output)) {
    invalid(path, `must be a string or an array, got ${describe(output)}`);
  }
  return output.map((part, index) => {
    const partPath = `${path}[${index}]`;
    if (!isObject(part)) invalid(partPath, `must be an object, got ${describe(part)}`);
    switch (part.type) {
      case "input_text":
      case "output_text":
        return textPart(requireString(part.text, `${partPath}.text`), {
          extra: extrasOf(part, TEXT_KEYS),
        });
      case "input_image":
        return imagePart(part, partPath);
      case "input_file":
        return filePart(part, partPath);
      default:
        return invalid(`${partPath}.type`, `unknown output part type ${JSON.stringify(part.type)}`);
    }
  });
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

  builtin(item: BuiltinItem): void {
    if (this.open) {
      this.anchored.push({
        message: this.messages.length - 1,
        part: this.open.content.length,
        item,
      });
    } else this.anchored.push({ message: this.messages.length, part: 0, item });
  }
}

function decodeMessage(item: Json, path: string, builder: MessageBuilder): void {
  const role = item.role;
  if (typeof role !== "string" || !ROLES.has(role)) {
    invalid(`${path}.role`, `unknown role ${JSON.stringify(role)}`);
  }
  const content = item.content;
  let parts: Array<UserPart | AssistantPart>;
  if (typeof content === "string") parts = [{ type: "text", text: content }];
  else if (Array.isArray(content)) {
    parts = content.map((part, index) => contentPart(part, role, `${path}.content[${index}]`));
  } else {
    invalid(`${path}.content`, `must be a string or an array, got ${describe(content)}`);
  }
  const extra = extrasOf(item, MESSAGE_KEYS);
  if (role === "assistant") {
    parts.forEach((part, index) => {
      if (index === 0) {
        const memo = (part.providerData?.[DIALECT] ?? {}) as PartMemo;
        part.providerData = { [DIALECT]: { ...memo, item: extra ?? {} } };
      }
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

function decodeItem(item: unknown, path: string, builder: MessageBuilder): void {
  if (!isObject(item)) invalid(path, `must be an object, got ${describe(item)}`);
  const type = item.type ?? (item.role !== undefined ? "message" : undefined);
  switch (type) {
    case "message":
      return decodeMessage(item, path, builder);
    case "function_call":
    case "custom_tool_call": {
      const custom = type === "custom_tool_call";
      const part: ToolCallPart = {
        type: "tool-call",
        id: requireString(item.call_id, `${path}.call_id`),
        name: requireString(item.name, `${path}.name`),
        arguments: custom
          ? JSON.stringify({ input: requireString(item.input, `${path}.input`) })
          : requireString(item.arguments, `${path}.arguments`),
      };
      const data = memoData(
        {
          custom: custom || undefined,
          extra: extrasOf(item, custom ? CUSTOM_CALL_KEYS : CALL_KEYS),
        } satisfies PartMemo,
      );
      if (data) part.providerData = data;
      return builder.assistant(part);
    }
    case "function_call_output":
    case "custom_tool_call_output": {
      const part: ToolResultPart = {
        type: "tool-result",
        toolCallId: requireString(item.call_id, `${path}.call_id`),
        content: toolOutput(item.output, `${path}.output`),
      };
      const data = memoData(
        {
          custom: type === "custom_tool_call_output" || undefined,
          extra: extrasOf(item, OUTPUT_KEYS),
        } satisfies PartMemo,
      );
      if (data) part.providerData = data;
      return builder.toolResult(part);
    }
    case "reasoning":
      return builder.assistant(reasoningPart(item, path));
    default:
      if (typeof type === "string" && BUILTIN_ITEM_TYPES.has(type)) {
        return builder.builtin(item as BuiltinItem);
      }
      return invalid(`${path}.type`, `unknown input item type ${JSON.stringify(type)}`);
  }
}

function decodeTools(tools: unknown, memo: RequestMemo): ToolDefinition[] {
  if (tools === undefined || tools === null) return [];
  if (!Array.isArray(tools)) invalid("tools", `must be an array, got ${describe(tools)}`);
  const result: ToolDefinition[] = [];
  tools.forEach((tool, index) => {
    const path = `tools[${index}]`;
    if (!isObject(tool)) invalid(path, `must be an object, got ${describe(tool)}`);
    if (typeof tool.type !== "string") invalid(`${path}.type`, "must be a string");
    if (tool.type === "function" || tool.type === "custom") {
      const name = requireString(tool.name, `${path}.name`);
      if (!name) invalid(`${path}.name`, "must not be empty");
      const definition: ToolDefinition = { name, parameters: customToolParameters() };
      const toolMemo: ToolMemo = {};
      if (typeof tool.description === "string") definition.description = tool.description;
      else if (tool.description !== undefined && tool.description !== null) {
        invalid(`${path}.description`, "must be a string");
      }
      if (tool.type === "custom") {
        if (tool.format !== undefined && !isObject(tool.format)) {
          invalid(`${path}.format`, "must be an object");
        }
        toolMemo.custom = tool.format === undefined ? {} : { format: tool.format };
        toolMemo.extra = extrasOf(tool, CUSTOM_TOOL_KEYS);
      } else {
        const known = new Set(FUNCTION_TOOL_KEYS);
        if (typeof tool.description === "string") known.add("description");
        if (isObject(tool.parameters)) {
          definition.parameters = tool.parameters;
          known.add("parameters");
        } else if (tool.parameters !== undefined && tool.parameters !== null) {
          invalid(`${path}.parameters`, "must be a JSON Schema object");
        } else {
          definition.parameters = { type: "object", properties: {} };
          toolMemo.noParameters = true;
        }
        if (typeof tool.strict === "boolean") {
          definition.strict = tool.strict;
          known.add("strict");
        } else if (tool.strict !== undefined && tool.strict !== null) {
          invalid(`${path}.strict`, "must be a boolean");
        } else if (tool.strict === undefined) toolMemo.noStrict = true;
        toolMemo.extra = extrasOf(tool, known);
      }
      const data = memoData(toolMemo);
      if (data) definition.providerData = data;
      result.push(definition);
    } else {
      (memo.tools ??= []).push({ index, tool: tool as BuiltinTool });
    }
  });
  return result;
}

function decodeToolChoice(choice: unknown, memo: RequestMemo): ToolChoice | undefined {
  if (choice === undefined || choice === null) return undefined;
  if (choice === "auto" || choice === "none" || choice === "required") return { type: choice };
  if (!isObject(choice) || typeof choice.type !== "string") {
    return invalid("tool_choice", 'must be "auto", "none", "required" or an object with a type');
  }
  if (choice.type === "function" || choice.type === "custom") {
    return { type: "tool", name: requireString(choice.name, "tool_choice.name") };
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
      return invalid("text.format.type", `unknown format type ${JSON.stringify(format.type)}`);
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

export function decodeRequest(body: unknown, context: DecodeContext): CanonicalRequest {
  if (!isObject(body)) invalid("body", `must be a JSON object, got ${describe(body)}`);
  const model = body.model ?? context.model;
  if (typeof model !== "string" || model === "") invalid("model", "must be a non-empty string");

  const memo: RequestMemo = {};
  const fields: Extras = {};
  for (const key in body) {
    if (!REQUEST_KEYS.has(key)) fields[key] = body[key];
  }

  const system: TextPart[] = [];
  const instructions = body.instructions;
  if (typeof instructions === "string") {
    if (instructions !== "") system.push({ type: "text", text: instructions });
  } else if (instructions !== undefined && instructions !== null) {
    invalid("instructions", `must be a string, got ${describe(instructions)}`);
  }

  const builder = new MessageBuilder();
  const input = body.input;
  if (typeof input === "string") {
    if (input === "") invalid("input", "must not be empty");
    builder.standalone({ role: "user", content: [{ type: "text", text: input }] });
  } else if (Array.isArray(input)) {
    if (input.length === 0) invalid("input", "must not be empty");
    input.forEach((item, index) => decodeItem(item, `input[${index}]`, builder));
  } else {
    invalid("input", `must be a string or an array of items, got ${describe(input)}`);
  }
  if (builder.anchored.length > 0) memo.items = builder.anchored;

  const request: CanonicalRequest = {
    model,
    system,
    messages: builder.messages,
    tools: decodeTools(body.tools, memo),
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
