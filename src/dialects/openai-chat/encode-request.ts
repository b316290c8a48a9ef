/**
 * @module
 * A canonical request as a Chat Completions body for an OpenAI-compatible
 * upstream. What the client's own Chat request looked like (kept by
 * decode-request in `providerData["openai-chat"]`) is reproduced; requests
 * from other dialects get the plainest, most widely accepted form:
 *
 * - leading system text → one `system` message per part; system messages
 *   later in the conversation stay in place;
 * - tool results → one `tool` message each, string content; files in a tool
 *   result (Chat tool messages take text only) move to a `user` message right
 *   after the tool messages (with a warning);
 * - reasoning is sent back (as `reasoning_content`) only when it came from a
 *   Chat dialect; other reasoning is dropped, with a warning when a signature
 *   or encrypted content is lost;
 * - `max_tokens` unless the client used `max_completion_tokens`;
 *   `stream_options.include_usage` is always on for streams, so usage can be
 *   reported;
 * - a token budget without an effort becomes `reasoning_effort`
 *   (< 4096 low, < 16384 medium, else high); `topK` is dropped with a warning;
 * - documents by URL and audio other than wav/mp3 cannot be sent: the request
 *   is refused (`invalid_request`) rather than answered without them.
 */
import type { EncodeContext } from "../codec.ts";
import type { FilePart, Message, TextPart, ToolResultPart } from "../../ir/message.ts";
import type { CanonicalRequest, ReasoningConfig } from "../../ir/request.ts";
import { apiError } from "../../errors/api-error.ts";
import { keptPartCount, withKeptParts } from "../kept-parts.ts";
import type {
  ChatAssistantMessage,
  ChatContentForm,
  ChatFunctionTool,
  ChatMessage,
  ChatMessageLayout,
  ChatPartLayout,
  ChatReasoningEffort,
  ChatRequest,
  ChatRequestLayout,
  ChatSystemLayout,
  ChatTextPart,
  ChatToolCall,
  ChatToolChoice,
  ChatUnknown,
  ChatUserPart,
  Extras,
} from "./wire-types.ts";

function partLayout(part: { providerData?: Record<string, unknown> }): ChatPartLayout | undefined {
  return part.providerData?.["openai-chat"] as ChatPartLayout | undefined;
}

function messageLayout(message: Message): ChatMessageLayout | undefined {
  return message.providerData?.["openai-chat"] as ChatMessageLayout | undefined;
}

const DIALECT = "openai-chat";

function chatText(part: TextPart): ChatTextPart {
  const extra = partLayout(part)?.extra;
  return extra ? { ...extra, type: "text", text: part.text } : { type: "text", text: part.text };
}

/** `wire`, the encoded `part`, with the parts of unknown types kept around it back in place. */
function kept<W>(part: TextPart | FilePart, wire: W): Array<W | ChatUnknown> {
  return withKeptParts(part, DIALECT, wire) as Array<W | ChatUnknown>;
}

/** A part that can go as a plain string: no fields of its own, nothing kept around it. */
function plain(part: TextPart): boolean {
  return !partLayout(part)?.extra && keptPartCount(part, DIALECT) === 0;
}

/**
 * Text parts as a string when nothing is lost by it, else as an array of parts; `verbatim` is
 * the content kept whole when none of its parts was of a type subgate knows.
 */
function textContent(
  parts: TextPart[],
  array: boolean,
  verbatim?: ChatUnknown[],
): string | Array<ChatTextPart | ChatUnknown> {
  if (verbatim) return verbatim;
  if (!array && parts.length === 1 && plain(parts[0])) return parts[0].text;
  return parts.flatMap((part) => kept(part, chatText(part)));
}

function withExtra<T extends object>(message: T, extra: Extras | undefined): T {
  return extra ? { ...extra, ...message } : message;
}

function systemMessages(parts: TextPart[], layout: ChatSystemLayout[] | undefined): ChatMessage[] {
  const total = layout?.reduce((sum, entry) => sum + entry.parts, 0);
  if (!layout || total !== parts.length) {
    return parts.map((part) => ({ role: "system", content: textContent([part], false) }));
  }
  let offset = 0;
  return layout.map((entry) => {
    const group = parts.slice(offset, offset += entry.parts);
    const content = textContent(group, entry.array, entry.kept);
    return withExtra({ role: entry.role, content }, entry.extra);
  });
}

function decodeBase64Text(data: string): string {
  const bytes = Uint8Array.from(atob(data), (char) => char.charCodeAt(0));
  return new TextDecoder().decode(bytes);
}

function filePart(part: FilePart, context: EncodeContext): ChatUserPart | ChatTextPart {
  const layout = partLayout(part);
  const mediaType = part.mediaType ?? "";
  let wire: ChatUserPart;
  if (mediaType.startsWith("image/") || (!mediaType && part.url)) {
    const url = part.data !== undefined
      ? `data:${mediaType || "image/png"};base64,${part.data}`
      : part.url ?? "";
    wire = {
      type: "image_url",
      image_url: layout?.detail ? { url, detail: layout.detail } : { url },
    };
  } else if (mediaType.startsWith("audio/")) {
    const format = layout?.format ??
      (mediaType === "audio/mpeg" || mediaType === "audio/mp3"
        ? "mp3"
        : mediaType === "audio/wav" || mediaType === "audio/x-wav"
        ? "wav"
        : undefined);
    if (part.data === undefined || format === undefined) {
      throw apiError(
        "invalid_request",
        `a ${mediaType} audio input${part.data === undefined ? " by URL" : ""} cannot be sent ` +
          "to a Chat Completions upstream (base64 wav or mp3 only)",
      );
    }
    wire = { type: "input_audio", input_audio: { data: part.data, format } };
  } else if (part.data === undefined) {
    throw apiError(
      "invalid_request",
      `a ${mediaType || "file"} by URL cannot be sent to a Chat Completions upstream; ` +
        "send its contents",
    );
  } else if (mediaType.startsWith("text/")) {
    context.warn("file", `a ${mediaType} file was sent as text`);
    return { type: "text", text: decodeBase64Text(part.data) };
  } else {
    const extension = mediaType === "application/pdf" ? "pdf" : "bin";
    wire = {
      type: "file",
      file: {
        filename: part.filename ?? `document.${extension}`,
        file_data: `data:${mediaType || "application/octet-stream"};base64,${part.data}`,
      },
    };
  }
  return layout?.extra ? { ...layout.extra, ...wire } : wire;
}

/** One `tool` message per result; files in results are collected for a following user message. */
function toolMessages(
  results: ToolResultPart[],
  context: EncodeContext,
  out: ChatMessage[],
): FilePart[] {
  const files: FilePart[] = [];
  for (const result of results) {
    const layout = partLayout(result);
    if (result.isError) {
      context.warn("tool-result.isError", "Chat tool messages cannot mark a result as an error");
    }
    let content: string | Array<ChatTextPart | ChatUnknown>;
    if (typeof result.content === "string") content = result.content;
    else {
      const texts: TextPart[] = [];
      for (const part of result.content) {
        if (part.type === "text") texts.push(part);
        else {
          files.push(part);
          texts.push({ type: "text", text: "(file attached in the next user message)" });
        }
      }
      content = layout?.content === "array"
        ? textContent(texts, true, layout.kept)
        : texts.map((part) => part.text).join("\n");
    }
    out.push(withExtra({ role: "tool", tool_call_id: result.toolCallId, content }, layout?.extra));
  }
  if (files.length > 0) {
    context.warn("tool-result.content", "files in tool results were moved to a user message");
  }
  return files;
}

function userMessages(message: Message & { role: "user" }, context: EncodeContext): ChatMessage[] {
  const out: ChatMessage[] = [];
  const results: ToolResultPart[] = [];
  const rest: Array<TextPart | FilePart> = [];
  for (const part of message.content) {
    if (part.type === "tool-result") results.push(part);
    else rest.push(part);
  }
  const moved = toolMessages(results, context, out);
  const parts: Array<TextPart | FilePart> = [...moved, ...rest];
  const layout = messageLayout(message);
  if (parts.length === 0 && !layout?.kept) return out;
  let content: string | Array<ChatUserPart | ChatUnknown>;
  if (layout?.kept) content = layout.kept;
  else if (
    layout?.content !== "array" && parts.length === 1 && parts[0].type === "text" &&
    plain(parts[0])
  ) content = parts[0].text;
  else {
    content = parts.flatMap((part) =>
      kept(part, part.type === "text" ? chatText(part) : filePart(part, context))
    );
  }
  out.push(withExtra({ role: "user", content }, layout?.extra));
  return out;
}

function assistantMessage(
  message: Message & { role: "assistant" },
  context: EncodeContext,
): ChatMessage {
  const layout = messageLayout(message);
  const array = layout?.content === "array";
  const texts: Array<ChatTextPart | { type: "refusal"; refusal: string } | ChatUnknown> = [];
  let text: string | undefined;
  let refusal: string | undefined;
  const reasoning: Partial<Record<"reasoning_content" | "reasoning", string>> = {};
  const toolCalls: ChatToolCall[] = [];
  for (const part of message.content) {
    switch (part.type) {
      case "text":
        if (partLayout(part)?.refusal) {
          if (array) texts.push(...kept(part, { type: "refusal", refusal: part.text }));
          else refusal = (refusal ?? "") + part.text;
        } else if (array) texts.push(...kept(part, chatText(part)));
        else text = (text ?? "") + part.text;
        break;
      case "reasoning":
        if (partLayout(part)?.field || part.origin === "openai-chat") {
          const field = partLayout(part)?.field ?? "reasoning_content";
          reasoning[field] = (reasoning[field] ?? "") + part.text;
        } else if (part.signature || part.encrypted || part.redacted) {
          context.warn(
            "reasoning",
            "signed or encrypted reasoning cannot be sent to Chat; dropped",
          );
        }
        break;
      case "tool-call":
        toolCalls.push({
          id: part.id,
          type: "function",
          function: { name: part.name, arguments: part.arguments || "{}" },
        });
        break;
      case "file":
        context.warn("file", "files in an assistant message cannot be sent to Chat; dropped");
        break;
    }
  }
  const wire: ChatAssistantMessage = { role: "assistant", ...reasoning };
  const form: ChatContentForm | undefined = layout?.content;
  if (layout?.kept) wire.content = layout.kept;
  else if (array) wire.content = texts;
  else if (text !== undefined) wire.content = text;
  else if (form === "null" || (form === undefined && toolCalls.length > 0)) wire.content = null;
  else if (form !== "absent") wire.content = "";
  if (refusal !== undefined) wire.refusal = refusal;
  const calls: Array<ChatToolCall | ChatUnknown> = toolCalls;
  for (const { index, call } of layout?.toolCalls ?? []) {
    calls.splice(Math.min(index, calls.length), 0, call);
  }
  if (calls.length > 0) wire.tool_calls = calls;
  return withExtra(wire, layout?.extra);
}

function encodeMessages(request: CanonicalRequest, context: EncodeContext): ChatMessage[] {
  const layout = request.providerData?.["openai-chat"] as ChatRequestLayout | undefined;
  const out = systemMessages(request.system, layout?.system);
  for (const message of request.messages) {
    switch (message.role) {
      case "system": {
        const entry = messageLayout(message);
        out.push(withExtra({
          role: entry?.role ?? "system",
          content: textContent(message.content, entry?.content === "array", entry?.kept),
        }, entry?.extra));
        break;
      }
      case "user":
        out.push(...userMessages(message, context));
        break;
      case "assistant":
        out.push(assistantMessage(message, context));
        break;
      case "tool": {
        const files = toolMessages(message.content, context, out);
        if (files.length > 0) {
          out.push({ role: "user", content: files.map((file) => filePart(file, context)) });
        }
        break;
      }
    }
  }
  return out;
}

/** Function tools, with the tools of other types a Chat client sent back at their positions. */
function encodeTools(
  request: CanonicalRequest,
  layout: ChatRequestLayout | undefined,
): Array<ChatFunctionTool | ChatUnknown> {
  const tools: Array<ChatFunctionTool | ChatUnknown> = request.tools.map((tool) => {
    const fn: ChatFunctionTool["function"] = { name: tool.name };
    if (tool.description !== undefined) fn.description = tool.description;
    if (!partLayout(tool)?.noParameters) fn.parameters = tool.parameters;
    if (tool.strict !== undefined) fn.strict = tool.strict;
    return { type: "function", function: fn };
  });
  for (const { index, tool } of layout?.tools ?? []) {
    tools.splice(Math.min(index, tools.length), 0, tool);
  }
  return tools;
}

function encodeToolChoice(
  request: CanonicalRequest,
  layout: ChatRequestLayout | undefined,
): ChatToolChoice | ChatUnknown | undefined {
  if (layout?.toolChoice) return layout.toolChoice;
  const choice = request.toolChoice;
  if (!choice) return undefined;
  if (choice.type === "tool") return { type: "function", function: { name: choice.name } };
  return choice.type;
}

function effortFor(reasoning: ReasoningConfig): ChatReasoningEffort | undefined {
  if (reasoning.effort) return reasoning.effort;
  const budget = reasoning.budgetTokens;
  if (budget === undefined || reasoning.enabled === false || budget <= 0) return undefined;
  return budget < 4096 ? "low" : budget < 16384 ? "medium" : "high";
}

export function encodeRequest(
  request: CanonicalRequest,
  context: EncodeContext,
): Record<string, unknown> {
  const layout = request.providerData?.["openai-chat"] as ChatRequestLayout | undefined;
  const body: ChatRequest = {
    model: context.model,
    messages: encodeMessages(request, context),
    stream: request.stream,
  };
  const tools = encodeTools(request, layout);
  if (tools.length > 0) {
    body.tools = tools;
    const choice = encodeToolChoice(request, layout);
    if (choice) body.tool_choice = choice;
    if (request.parallelToolCalls !== undefined) {
      body.parallel_tool_calls = request.parallelToolCalls;
    }
  } else if (request.toolChoice?.type === "required" || request.toolChoice?.type === "tool") {
    throw apiError("invalid_request", "tool_choice: a tool call was required but no tools given");
  }
  const format = request.responseFormat;
  if (layout?.responseFormat) body.response_format = layout.responseFormat;
  else if (format?.type === "text") body.response_format = { type: "text" };
  else if (format?.type === "json") body.response_format = { type: "json_object" };
  else if (format?.type === "json-schema") {
    const spec: Extract<ChatRequest["response_format"], { type: "json_schema" }>["json_schema"] = {
      name: format.name ?? "response",
      schema: format.schema,
    };
    if (layout?.responseFormatDescription !== undefined) {
      spec.description = layout.responseFormatDescription;
    }
    if (format.strict !== undefined) spec.strict = format.strict;
    body.response_format = { type: "json_schema", json_schema: spec };
  }
  if (request.maxOutputTokens !== undefined) {
    body[layout?.maxTokensField ?? "max_tokens"] = request.maxOutputTokens;
  }
  if (request.temperature !== undefined) body.temperature = request.temperature;
  if (request.topP !== undefined) body.top_p = request.topP;
  if (request.topK !== undefined) context.warn("topK", "Chat Completions has no top_k; dropped");
  const stop = request.stopSequences;
  if (stop && stop.length > 0) body.stop = layout?.stopString && stop.length === 1 ? stop[0] : stop;
  if (request.reasoning) {
    const effort = effortFor(request.reasoning);
    if (effort) {
      body.reasoning_effort = effort === "xhigh" && layout?.reasoningEffort === "max"
        ? "max"
        : effort;
    }
  }
  if (request.stream) body.stream_options = { ...layout?.streamOptions, include_usage: true };
  if (request.user !== undefined) body.user = request.user;
  return layout?.extra ? { ...layout.extra, ...body } : { ...body };
}
