/**
 * @module
 * Canonical stream events as `data: {chat.completion.chunk}` lines for an
 * OpenAI client. The chunk's fixed head and tail are built once per stream;
 * each event costs one `JSON.stringify` of its delta.
 *
 * - `start` → the role chunk `{"role":"assistant","content":""}`. Chunks name
 *   the model the client asked for (as the non-streaming answer does), not the
 *   upstream's.
 * - Text → `content`, refusal-marked text → `refusal`, reasoning →
 *   `reasoning_content` (what OpenAI-compatible clients read).
 * - Tool calls are numbered 0, 1, … in order of appearance; the first chunk of
 *   each carries id, type, name and `arguments: ""`, later ones fragments.
 * - `finish` → a chunk with `finish_reason`; with `include_usage` every chunk
 *   has `usage: null` and a last chunk with `choices: []` carries the usage.
 * - `error` → `data: {"error":{message,type,param,code}}`.
 * - `end()` finishes the answer if nothing did, then `data: [DONE]`.
 */
import type { StreamEncoder } from "../codec.ts";
import type { CanonicalRequest } from "../../ir/request.ts";
import type { Usage } from "../../ir/response.ts";
import type { StreamEvent } from "../../ir/stream-event.ts";
import { mergeUsage } from "../../ir/usage.ts";
import { encodeError } from "./encode-error.ts";
import { formatSse } from "../../sse/parse-sse.ts";
import { chatId, encodeUsage } from "./encode-response.ts";
import { encodeFinishReason } from "./map-stop-reason.ts";

/** What a canonical block index stands for: a delta field, or a Chat tool-call index. */
type Block = "content" | "refusal" | "reasoning_content" | number;

interface EncoderState {
  /** The model the client asked for, named in every chunk. */
  model: string;
  /** `stream_options.include_usage`: every chunk has `usage: null`, and a usage chunk ends. */
  includeUsage: boolean;
  /** `{"id":…,"object":…,"created":…,"model":…,` */
  head: string;
  /** What closes every chunk after its choices. */
  tail: string;
  started: boolean;
  finished: boolean;
  failed: boolean;
  blocks: Map<number, Block>;
  toolCount: number;
  hasRefusal: boolean;
  usage: Usage;
}

type EventOf<T extends StreamEvent["type"]> = Extract<StreamEvent, { type: T }>;

const DONE = "data: [DONE]\n\n";

export function createStreamEncoder(request: CanonicalRequest): StreamEncoder {
  const includeUsage = request.includeUsage === true;
  const state: EncoderState = {
    model: request.model,
    includeUsage,
    head: "",
    tail: includeUsage ? ',"usage":null}' : "}",
    started: false,
    finished: false,
    failed: false,
    blocks: new Map(),
    toolCount: 0,
    hasRefusal: false,
    usage: { inputTokens: 0, outputTokens: 0 },
  };
  return {
    // After the finish chunk or an error, the answer is over.
    encode: (event) => state.finished || state.failed ? "" : encodeEvent(state, event),
    end: () => endStream(state),
  };
}

/** Dispatches an event to its handler. */
function encodeEvent(state: EncoderState, event: StreamEvent): string {
  switch (event.type) {
    case "start":
      state.usage = mergeUsage(state.usage, event.usage);
      return state.started ? "" : start(state, event.id, event.model, event.created);
    case "text-start":
      return onTextStart(state, event);
    case "reasoning-start":
      state.blocks.set(event.index, "reasoning_content");
      return "";
    case "text-delta":
    case "reasoning-delta":
      return onDelta(state, event);
    case "tool-call-start":
      return onToolCallStart(state, event);
    case "tool-call-delta":
      return onToolCallDelta(state, event);
    case "usage":
      state.usage = mergeUsage(state.usage, event.usage);
      return "";
    case "finish":
      return ensureStarted(state) + finish(state, event);
    case "error":
      state.failed = true;
      return formatSse(JSON.stringify(encodeError(event.error)));
    case "text-end":
    case "reasoning-signature":
    case "reasoning-end":
    case "tool-call-end":
      return "";
  }
}

function endStream(state: EncoderState): string {
  if (state.failed || state.finished) return DONE;
  const stopReason = state.toolCount > 0 ? "tool-calls" : "end";
  return ensureStarted(state) + finish(state, { type: "finish", stopReason }) + DONE;
}

function onTextStart(state: EncoderState, event: EventOf<"text-start">): string {
  if (event.providerData?.["openai-chat"]?.refusal === true) {
    state.hasRefusal = true;
    state.blocks.set(event.index, "refusal");
  } else state.blocks.set(event.index, "content");
  return "";
}

function onDelta(state: EncoderState, event: EventOf<"text-delta" | "reasoning-delta">): string {
  if (event.text === "") return "";
  const field = state.blocks.get(event.index) ??
    (event.type === "text-delta" ? "content" : "reasoning_content");
  if (typeof field === "number") return "";
  return ensureStarted(state) + chunk(state, `{"${field}":${JSON.stringify(event.text)}}`);
}

function onToolCallStart(state: EncoderState, event: EventOf<"tool-call-start">): string {
  const toolIndex = state.toolCount++;
  state.blocks.set(event.index, toolIndex);
  const call = {
    index: toolIndex,
    id: event.id,
    type: "function",
    function: { name: event.name, arguments: "" },
  };
  return ensureStarted(state) + chunk(state, `{"tool_calls":[${JSON.stringify(call)}]}`);
}

function onToolCallDelta(state: EncoderState, event: EventOf<"tool-call-delta">): string {
  const toolIndex = state.blocks.get(event.index);
  if (typeof toolIndex !== "number" || event.argumentsDelta === "") return "";
  return chunk(
    state,
    `{"tool_calls":[{"index":${toolIndex},"function":{"arguments":${
      JSON.stringify(event.argumentsDelta)
    }}}]}`,
  );
}

function chunk(state: EncoderState, delta: string, finishReason: string | null = null): string {
  return formatSse(
    `${state.head}"choices":[{"index":0,"delta":${delta},"logprobs":null,"finish_reason":${
      finishReason === null ? "null" : `"${finishReason}"`
    }}]${state.tail}`,
  );
}

function start(state: EncoderState, id: string, model: string, created?: number): string {
  state.started = true;
  state.head = `{"id":${JSON.stringify(chatId(id))},"object":"chat.completion.chunk","created":${
    created ?? Math.floor(Date.now() / 1000)
  },"model":${JSON.stringify(state.model || model)},`;
  return chunk(state, '{"role":"assistant","content":""}');
}

function ensureStarted(state: EncoderState): string {
  return state.started ? "" : start(state, "", state.model);
}

function finish(state: EncoderState, reason: EventOf<"finish">): string {
  state.finished = true;
  state.usage = mergeUsage(state.usage, reason.usage);
  let text = chunk(state, "{}", encodeFinishReason(reason.stopReason, state.hasRefusal));
  if (state.includeUsage) {
    text += formatSse(
      `${state.head}"choices":[],"usage":${JSON.stringify(encodeUsage(state.usage))}}`,
    );
  }
  return text;
}
