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
 *   Calls of a Responses client's namespaced tools are named as it offered
 *   them (`namespace` and name, see `tool-names.ts`).
 * - `reasoning.effort` from the effort, or from a token budget (≤1024 low,
 *   ≤8192 medium, more high); `summary: "auto"` when thoughts are wanted.
 * - What decode-request kept in `providerData["openai-responses"]` (built-in
 *   tools and items, code mode's `additional_tools` item and namespace tools,
 *   items and content parts of unknown types, top-level fields, unknown
 *   fields) goes back in place; tools the wire carries in those containers
 *   are not repeated in `tools`.
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
import { withKeptParts as keptAround } from "../kept-parts.ts";
import { DIALECT } from "./decode-request.ts";
import { callNameFields, type WireToolName, wireToolNames } from "./tool-names.ts";
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
  UnknownPart,
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

/** `wire` with the parts of unknown types that stood around it (kept by decode-request) in place. */
export function withKeptParts<T>(
  part: { providerData?: ProviderData },
  wire: T,
): Array<T | UnknownPart> {
  return keptAround(part, DIALECT, wire) as Array<T | UnknownPart>;
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
  const output = memo.output ??
    (typeof part.content === "string"
      ? part.content
      : part.content.flatMap((item) =>
        withKeptParts<FunctionOutputPart>(
          item,
          item.type === "text"
            ? { ...partMemo(item).extra, type: "input_text", text: item.text }
            : encodeFilePart(item),
        )
      ));
  return custom || memo.custom
    ? { ...memo.extra, type: "custom_tool_call_output", call_id: part.toolCallId, output }
    : { ...memo.extra, type: "function_call_output", call_id: part.toolCallId, output };
}

function encodeToolCall(
  part: ToolCallPart,
  custom: boolean,
  names: Map<string, WireToolName>,
): InputItem {
  const extra = partMemo(part).extra;
  const named = callNameFields(part.name, names, part);
  return custom
    ? {
      ...extra,
      type: "custom_tool_call",
      call_id: part.id,
      ...named,
      input: customInput(part.arguments),
    }
    : {
      ...extra,
      type: "function_call",
      call_id: part.id,
      ...named,
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
  private current: (MessageItem & { content: Array<MessageContentPart | UnknownPart> }) | undefined;
  private next = 0;
  private readonly customCalls = new Set<string>();

  constructor(
    private readonly memo: RequestMemo,
    private readonly names: Map<string, WireToolName>,
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
          content: message.content.flatMap((part) =>
            withKeptParts<MessageContentPart>(part, {
              ...partMemo(part).extra,
              type: "input_text",
              text: part.text,
            })
          ),
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
              ...withKeptParts<MessageContentPart>(
                part,
                part.type === "text"
                  ? { ...partMemo(part).extra, type: "input_text", text: part.text }
                  : encodeFilePart(part),
              ),
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
          ...withKeptParts<MessageContentPart>(
            part,
            isRefusal(part)
              ? { ...memo.extra, type: "refusal", refusal: part.text }
              : { ...memo.extra, type: "output_text", text: part.text },
          ),
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
        const custom = partMemo(part).custom === true || !!this.names.get(part.name)?.custom;
        if (custom) this.customCalls.add(part.id);
        this.push(encodeToolCall(part, custom, this.names));
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

/**
 * The `tools` array: canonical tools, with kept built-in and namespace tools back at their
 * positions. Tools the wire carries elsewhere (in a namespace tool or an `additional_tools`
 * item, both kept verbatim) are not repeated.
 */
export function encodeTools(request: CanonicalRequest): Tool[] | undefined {
  const tools: Tool[] = request.tools
    .filter((tool) => !(tool.providerData?.[DIALECT] as ToolMemo | undefined)?.kept)
    .map(encodeTool);
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
  const names = wireToolNames(request);
  const named = callNameFields(choice.name, names);
  return names.get(choice.name)?.custom
    ? { type: "custom", ...named }
    : { type: "function", ...named };
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

  const builder = new InputBuilder(memo, wireToolNames(request), context);
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
