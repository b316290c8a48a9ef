/**
 * @module
 * A canonical request as a Responses API body for an upstream (the OpenAI API
 * or the Codex backend; the provider adds what the Codex backend insists on).
 *
 * - `request.system` → `instructions` (parts joined by a blank line; always
 *   present, "" when empty, because the Codex backend requires it). System
 *   messages inside the conversation → `developer` message items.
 * - Text and files → message items (`input_text`/`input_image`/`input_file`,
 *   `output_text`/`refusal` for the assistant); tool calls → `function_call`
 *   (or `custom_tool_call` for a custom tool); tool results →
 *   `function_call_output` (string, or parts when they hold images).
 * - Reasoning → a `reasoning` item only when it came from the Responses API
 *   (`origin: "openai-responses"`) with encrypted content; any other reasoning
 *   is dropped with a warning (the upstream could not verify it).
 * - Tools → flat `{type:"function",name,description,parameters,strict}`;
 *   `strict` is false unless the tool says otherwise (a Responses upstream
 *   would otherwise treat schemas written for other dialects as strict).
 * - `reasoning.effort` from the effort, or from a token budget (≤1024 low,
 *   ≤8192 medium, more high); `summary: "auto"` when thoughts are wanted.
 * - What decode-request kept in `providerData["openai-responses"]` (built-in
 *   tools and items, top-level fields, unknown fields) goes back in place.
 * - Warned and dropped: stop sequences and top_k (no such parameters), a
 *   tool result's error flag, files in assistant turns.
 */
import type { EncodeContext } from "../codec.ts";
import type {
  AssistantPart,
  FilePart,
  Message,
  ProviderData,
  ReasoningPart,
  TextPart,
  ToolCallPart,
  ToolResultPart,
} from "../../ir/message.ts";
import type { CanonicalRequest, ReasoningConfig, ToolDefinition } from "../../ir/request.ts";
import { DIALECT } from "./decode-request.ts";
import type {
  Extras,
  FunctionOutputPart,
  InputItem,
  MessageContentPart,
  MessageItem,
  MessageMemo,
  PartMemo,
  ReasoningWire,
  RequestMemo,
  TextFormat,
  Tool,
  ToolChoiceWire,
  ToolMemo,
} from "./wire-types.ts";

export function partMemo(part: { providerData?: ProviderData }): PartMemo {
  return (part.providerData?.[DIALECT] ?? {}) as PartMemo;
}

export function requestMemo(request: CanonicalRequest): RequestMemo {
  return (request.providerData?.[DIALECT] ?? {}) as RequestMemo;
}

/** A text part to go back as a refusal (marked by this codec or by the Chat codec). */
export function isRefusal(part: TextPart): boolean {
  return partMemo(part).refusal === true || part.providerData?.["openai-chat"]?.refusal === true;
}

/** Names of the request's custom (freeform) tools. */
export function customToolNames(request: CanonicalRequest): Set<string> {
  const names = new Set<string>();
  for (const tool of request.tools) {
    if ((tool.providerData?.[DIALECT] as ToolMemo | undefined)?.custom) names.add(tool.name);
  }
  return names;
}

/** A custom tool call's input from canonical `{"input": …}` arguments (the raw text otherwise). */
export function customInput(args: string): string {
  try {
    const parsed = JSON.parse(args) as unknown;
    if (parsed && typeof parsed === "object" && typeof (parsed as Extras).input === "string") {
      return (parsed as { input: string }).input;
    }
  } catch { /* not JSON: the text itself */ }
  return args;
}

export function encodeFilePart(part: FilePart): FunctionOutputPart {
  const extra = partMemo(part).extra;
  const image = part.mediaType
    ? part.mediaType.startsWith("image/")
    : part.url !== undefined && !/\.pdf(\?|#|$)/i.test(part.url);
  const dataUrl = part.data !== undefined
    ? `data:${part.mediaType ?? "application/octet-stream"};base64,${part.data}`
    : undefined;
  if (image) return { ...extra, type: "input_image", image_url: dataUrl ?? part.url ?? "" };
  if (dataUrl !== undefined) {
    return { ...extra, type: "input_file", file_data: dataUrl, filename: part.filename ?? "file" };
  }
  const file: FunctionOutputPart = { ...extra, type: "input_file", file_url: part.url ?? "" };
  if (part.filename !== undefined) file.filename = part.filename;
  return file;
}

function encodeToolResult(
  part: ToolResultPart,
  custom: boolean,
  context: EncodeContext,
): InputItem {
  const memo = partMemo(part);
  if (part.isError) {
    context.warn("tool-result.isError", "the Responses API has no error flag on a tool result");
  }
  const output = typeof part.content === "string" ? part.content : part.content.map(
    (item): FunctionOutputPart =>
      item.type === "text"
        ? { ...partMemo(item).extra, type: "input_text", text: item.text }
        : encodeFilePart(item),
  );
  return custom || memo.custom
    ? { ...memo.extra, type: "custom_tool_call_output", call_id: part.toolCallId, output }
    : { ...memo.extra, type: "function_call_output", call_id: part.toolCallId, output };
}

function encodeToolCall(part: ToolCallPart, custom: boolean): InputItem {
  const extra = partMemo(part).extra;
  return custom
    ? {
      ...extra,
      type: "custom_tool_call",
      call_id: part.id,
      name: part.name,
      input: customInput(part.arguments),
    }
    : {
      ...extra,
      type: "function_call",
      call_id: part.id,
      name: part.name,
      arguments: part.arguments,
    };
}

/** A reasoning part as a reasoning item (the caller checked that it may go). */
export function encodeReasoningItem(part: ReasoningPart): InputItem {
  const memo = partMemo(part);
  const item: InputItem = {
    ...memo.extra,
    type: "reasoning",
    summary: memo.summary ??
      (memo.fromContent || part.text === "" ? [] : [{ type: "summary_text", text: part.text }]),
  };
  if (part.id !== undefined) item.id = part.id;
  if (part.encrypted !== undefined) item.encrypted_content = part.encrypted;
  return item;
}

/** Builds the input item list message by message, putting kept items back in place. */
class InputBuilder {
  readonly items: InputItem[] = [];
  private current: (MessageItem & { content: MessageContentPart[] }) | undefined;
  private next = 0;
  private readonly customCalls = new Set<string>();

  constructor(
    private readonly memo: RequestMemo,
    private readonly customNames: Set<string>,
    private readonly context: EncodeContext,
  ) {}

  /** Kept items that stood before part `part` of message `message`. */
  anchors(message: number, part: number): void {
    const anchored = this.memo.items;
    if (!anchored) return;
    while (this.next < anchored.length) {
      const entry = anchored[this.next];
      if (entry.message > message || (entry.message === message && entry.part > part)) return;
      this.current = undefined;
      this.items.push(entry.item);
      this.next++;
    }
  }

  private push(item: InputItem): void {
    this.current = undefined;
    this.items.push(item);
  }

  private open(role: MessageItem["role"], extra: Extras | undefined, fresh: boolean) {
    if (!this.current || fresh) {
      this.current = { ...extra, type: "message", role, content: [] };
      this.items.push(this.current);
    }
    return this.current;
  }

  message(message: Message, index: number): void {
    this.current = undefined;
    const memo = (message.providerData?.[DIALECT] ?? {}) as MessageMemo;
    switch (message.role) {
      case "system": {
        this.anchors(index, 0);
        this.push({
          ...memo.item,
          type: "message",
          role: memo.role ?? "developer",
          content: message.content.map((part) => ({
            ...partMemo(part).extra,
            type: "input_text",
            text: part.text,
          })),
        });
        return;
      }
      case "user":
        message.content.forEach((part, partIndex) => {
          this.anchors(index, partIndex);
          if (part.type === "tool-result") {
            this.push(encodeToolResult(part, this.customCalls.has(part.toolCallId), this.context));
          } else {
            const item = this.open("user", memo.item, false);
            item.content.push(
              part.type === "text"
                ? { ...partMemo(part).extra, type: "input_text", text: part.text }
                : encodeFilePart(part),
            );
          }
        });
        return;
      case "assistant":
        message.content.forEach((part, partIndex) => {
          this.anchors(index, partIndex);
          this.assistantPart(part);
        });
        return;
      case "tool":
        message.content.forEach((part, partIndex) => {
          this.anchors(index, partIndex);
          this.push(encodeToolResult(part, this.customCalls.has(part.toolCallId), this.context));
        });
        return;
    }
  }

  private assistantPart(part: AssistantPart): void {
    switch (part.type) {
      case "text": {
        const memo = partMemo(part);
        const item = this.open("assistant", memo.item, memo.item !== undefined);
        item.content.push(
          isRefusal(part)
            ? { ...memo.extra, type: "refusal", refusal: part.text }
            : { ...memo.extra, type: "output_text", text: part.text },
        );
        return;
      }
      case "reasoning":
        if (part.origin === DIALECT && part.encrypted !== undefined) {
          this.push(encodeReasoningItem(part));
        } else {
          this.current = undefined;
          this.context.warn(
            "reasoning",
            part.origin === DIALECT
              ? "a Responses reasoning item without encrypted_content cannot be sent back"
              : `reasoning from ${
                part.origin ?? "another dialect"
              } cannot be sent to the Responses API`,
          );
        }
        return;
      case "tool-call": {
        const custom = partMemo(part).custom === true || this.customNames.has(part.name);
        if (custom) this.customCalls.add(part.id);
        this.push(encodeToolCall(part, custom));
        return;
      }
      case "file":
        this.current = undefined;
        this.context.warn("assistant.file", "the Responses API takes no files in assistant turns");
        return;
    }
  }
}

function encodeTool(tool: ToolDefinition): Tool {
  const memo = (tool.providerData?.[DIALECT] ?? {}) as ToolMemo & { custom?: unknown };
  if (memo.custom) {
    const custom = memo.custom as { format?: Record<string, unknown> };
    const result: Tool = { ...memo.extra, type: "custom", name: tool.name };
    if (tool.description !== undefined) result.description = tool.description;
    if (custom.format !== undefined) result.format = custom.format;
    return result;
  }
  const result: Tool = { ...memo.extra, type: "function", name: tool.name };
  if (tool.description !== undefined) result.description = tool.description;
  if (!memo.noParameters) result.parameters = tool.parameters;
  if (tool.strict !== undefined) result.strict = tool.strict;
  else if (tool.providerData?.[DIALECT] === undefined) result.strict = false;
  return result;
}

/** The `tools` array: canonical tools, with kept built-in tools back at their positions. */
export function encodeTools(request: CanonicalRequest): Tool[] | undefined {
  const tools: Tool[] = request.tools.map(encodeTool);
  for (const { index, tool } of requestMemo(request).tools ?? []) {
    tools.splice(Math.min(index, tools.length), 0, tool);
  }
  return tools.length > 0 ? tools : undefined;
}

export function encodeToolChoice(request: CanonicalRequest): ToolChoiceWire | undefined {
  const kept = requestMemo(request).toolChoice;
  if (kept !== undefined) return kept;
  const choice = request.toolChoice;
  if (!choice) return undefined;
  if (choice.type !== "tool") return choice.type;
  return customToolNames(request).has(choice.name)
    ? { type: "custom", name: choice.name }
    : { type: "function", name: choice.name };
}

/** The `text` object (format plus kept fields such as verbosity). */
export function encodeText(request: CanonicalRequest): Extras | undefined {
  const memo = requestMemo(request);
  const text: Extras = { ...memo.text };
  const format = request.responseFormat;
  if (format) {
    let wire: TextFormat;
    if (format.type === "text") wire = { type: "text" };
    else if (format.type === "json") wire = { type: "json_object" };
    else {
      wire = {
        ...memo.format,
        type: "json_schema",
        name: format.name ?? "response",
        schema: format.schema,
      };
      if (format.strict !== undefined) wire.strict = format.strict;
    }
    text.format = wire;
  }
  return Object.keys(text).length > 0 ? text : undefined;
}

function effortFor(config: ReasoningConfig): ReasoningWire["effort"] | undefined {
  if (config.effort) return config.effort;
  if (config.budgetTokens === undefined || config.enabled === false) return undefined;
  if (config.budgetTokens <= 1024) return "low";
  return config.budgetTokens <= 8192 ? "medium" : "high";
}

export function encodeReasoning(request: CanonicalRequest): ReasoningWire | undefined {
  const config = request.reasoning;
  const kept = requestMemo(request).reasoning;
  if (!config) return kept && Object.keys(kept).length > 0 ? { ...kept } : undefined;
  const reasoning: ReasoningWire = { ...kept };
  delete reasoning.summary;
  const effort = effortFor(config);
  if (effort) reasoning.effort = effort;
  const keptSummary = kept?.summary;
  if (config.includeThoughts === true) {
    reasoning.summary = typeof keptSummary === "string" && keptSummary !== "none"
      ? keptSummary
      : "auto";
  } else if (config.includeThoughts === false && kept && "summary" in kept) {
    reasoning.summary = keptSummary as string | null;
  }
  return Object.keys(reasoning).length > 0 ? reasoning : undefined;
}

export function encodeRequest(
  request: CanonicalRequest,
  context: EncodeContext,
): Record<string, unknown> {
  const memo = requestMemo(request);
  const body: Record<string, unknown> = { ...memo.fields };
  body.model = context.model;
  body.instructions = request.system.map((part) => part.text).join("\n\n");

  const builder = new InputBuilder(memo, customToolNames(request), context);
  request.messages.forEach((message, index) => builder.message(message, index));
  builder.anchors(Infinity, 0);
  body.input = builder.items;

  const tools = encodeTools(request);
  if (tools) body.tools = tools;
  const toolChoice = encodeToolChoice(request);
  if (toolChoice !== undefined) body.tool_choice = toolChoice;
  if (request.parallelToolCalls !== undefined) body.parallel_tool_calls = request.parallelToolCalls;
  const text = encodeText(request);
  if (text) body.text = text;
  if (request.maxOutputTokens !== undefined) body.max_output_tokens = request.maxOutputTokens;
  if (request.temperature !== undefined) body.temperature = request.temperature;
  if (request.topP !== undefined) body.top_p = request.topP;
  if (request.topK !== undefined) {
    context.warn("top_k", "the Responses API has no top_k");
  }
  if (request.stopSequences?.length) {
    context.warn("stop_sequences", "the Responses API has no stop sequences");
  }
  const reasoning = encodeReasoning(request);
  if (reasoning) body.reasoning = reasoning;
  body.stream = request.stream;
  return body;
}
