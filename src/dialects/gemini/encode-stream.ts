/**
 * @module
 * Canonical stream events as `streamGenerateContent?alt=sse` chunks for a
 * Gemini client: `data: {GenerateContentResponse}` events, no `[DONE]`.
 *
 * - Text and reasoning deltas go out at once, as `{text}` and
 *   `{text, thought: true}` parts. A signature on a reasoning block with text
 *   is an empty thought part carrying it; a block that is only a signature (a
 *   carrier, see decode-response.ts) puts it on the next text part, or on an
 *   empty text part in the next chunk that has none.
 * - Gemini never streams arguments in pieces: each call's arguments are
 *   buffered and the call goes out whole, with its id and thoughtSignature, at
 *   `tool-call-end`.
 * - Every chunk carries the usage known so far; the finish chunk carries the
 *   `finishReason` and the final usage. `end()` adds a finish chunk (`STOP`)
 *   when none came. An error is a `{"error":{code,message,status}}` chunk.
 * - Stream events do not say which model made a reasoning signature, so every
 *   one goes out (the non-streaming answer only passes Gemini's own).
 */
import type { StreamEncoder } from "../codec.ts";
import type { CanonicalRequest } from "../../ir/request.ts";
import type { StopReason, Usage } from "../../ir/response.ts";
import type { StreamEvent } from "../../ir/stream-event.ts";
import { mergeUsage } from "../../ir/usage.ts";
import { encodeError } from "./encode-error.ts";
import { formatSse } from "../../sse/parse-sse.ts";
import { ORIGIN } from "./decode-response.ts";
import { parseArguments } from "./encode-parts.ts";
import { createTime, encodeUsage } from "./encode-response.ts";
import { encodeFinishReason } from "./map-stop-reason.ts";
import type {
  GeminiCandidate,
  GeminiPart,
  GeminiResponse,
  GeminiUsageMetadata,
} from "./wire-types.ts";

interface BufferedCall {
  id: string;
  name: string;
  signature?: string;
  args: string;
}

interface EncoderState {
  id: string;
  /** The upstream's model once `start` names it; the request's until then. */
  model: string;
  createTime?: string;
  usage: Usage | undefined;
  /** `usage` as Gemini's usageMetadata (made again only when the usage changes). */
  usageMetadata: GeminiUsageMetadata | undefined;
  /** Reasoning blocks that have sent text, by index. */
  reasoningWithText: Set<number>;
  /** Blocks whose deltas are not sent (a Gemini part sent whole at its start). */
  silent: Set<number>;
  calls: Map<number, BufferedCall>;
  /** A carrier's signature waiting for the next text part. */
  pending: string | undefined;
  done: boolean;
}

type EventOf<T extends StreamEvent["type"]> = Extract<StreamEvent, { type: T }>;

export function createStreamEncoder(request: CanonicalRequest): StreamEncoder {
  const state: EncoderState = {
    id: "",
    model: request.model,
    usage: undefined,
    usageMetadata: undefined,
    reasoningWithText: new Set(),
    silent: new Set(),
    calls: new Map(),
    pending: undefined,
    done: false,
  };
  return {
    encode: (event) => state.done ? "" : encodeEvent(state, event),
    end: () => state.done ? "" : finish(state, "end"),
  };
}

/** Dispatches an event to its handler. */
function encodeEvent(state: EncoderState, event: StreamEvent): string {
  switch (event.type) {
    case "start":
      return onStart(state, event);
    case "text-start":
      return onTextStart(state, event);
    case "text-delta":
      if (state.silent.has(event.index) || event.text === "") return "";
      return chunk(state, [withPending(state, { text: event.text })]);
    case "reasoning-delta":
      if (event.text === "") return "";
      state.reasoningWithText.add(event.index);
      return flushPending(state) + chunk(state, [{ text: event.text, thought: true }]);
    case "reasoning-signature":
      return onReasoningSignature(state, event);
    case "tool-call-start":
      return onToolCallStart(state, event);
    case "tool-call-delta":
      return onToolCallDelta(state, event);
    case "tool-call-end":
      return onToolCallEnd(state, event);
    case "usage":
      addUsage(state, event.usage);
      return "";
    case "finish":
      if (event.usage) addUsage(state, event.usage);
      return finish(state, event.stopReason);
    case "error":
      state.done = true;
      return flushPending(state) + formatSse(JSON.stringify(encodeError(event.error)));
    case "text-end":
    case "reasoning-start":
    case "reasoning-end":
      return "";
  }
}

// ------------------------------------------------------------ handlers

function onStart(state: EncoderState, event: EventOf<"start">): string {
  state.id = event.id;
  if (event.model) state.model = event.model;
  state.createTime = createTime(event.created);
  if (event.usage) addUsage(state, event.usage);
  return "";
}

/** A text block that stands for a Gemini part (code execution) sends that part, whole. */
function onTextStart(state: EncoderState, event: EventOf<"text-start">): string {
  const original = event.providerData?.[ORIGIN]?.part;
  if (!original || typeof original !== "object") return "";
  state.silent.add(event.index);
  return chunk(state, [withPending(state, { ...(original as GeminiPart) })]);
}

function onReasoningSignature(state: EncoderState, event: EventOf<"reasoning-signature">): string {
  // Only Gemini's own signatures mean anything to Gemini.
  if (!event.signature || (event.origin !== undefined && event.origin !== "gemini")) return "";
  if (state.reasoningWithText.has(event.index)) {
    return flushPending(state) +
      chunk(state, [{ text: "", thought: true, thoughtSignature: event.signature }]);
  }
  const before = flushPending(state);
  state.pending = event.signature;
  return before;
}

function onToolCallStart(state: EncoderState, event: EventOf<"tool-call-start">): string {
  state.calls.set(event.index, {
    id: event.id,
    name: event.name,
    ...(event.signature && (event.origin === undefined || event.origin === "gemini")
      ? { signature: event.signature }
      : {}),
    args: "",
  });
  return flushPending(state);
}

function onToolCallDelta(state: EncoderState, event: EventOf<"tool-call-delta">): string {
  const call = state.calls.get(event.index);
  if (call) call.args += event.argumentsDelta;
  return "";
}

function onToolCallEnd(state: EncoderState, event: EventOf<"tool-call-end">): string {
  const call = state.calls.get(event.index);
  if (!call) return "";
  state.calls.delete(event.index);
  return chunk(state, [callPart(call)]);
}

// ------------------------------------------------------------ chunks

function chunk(state: EncoderState, parts: GeminiPart[], stopReason?: StopReason): string {
  const candidate: GeminiCandidate = { content: { role: "model", parts } };
  if (stopReason) candidate.finishReason = encodeFinishReason(stopReason);
  candidate.index = 0;
  const body: GeminiResponse = { candidates: [candidate] };
  if (state.usageMetadata) body.usageMetadata = state.usageMetadata;
  body.modelVersion = state.model;
  body.responseId = state.id;
  if (state.createTime) body.createTime = state.createTime;
  return formatSse(JSON.stringify(body));
}

/** The pending signature as a part of its own ("" when there is none). */
function flushPending(state: EncoderState): string {
  if (state.pending === undefined) return "";
  const text = chunk(state, [{ text: "", thoughtSignature: state.pending }]);
  state.pending = undefined;
  return text;
}

/** `part` carrying the pending signature, if there is one. */
function withPending(state: EncoderState, part: GeminiPart): GeminiPart {
  if (state.pending !== undefined) part.thoughtSignature = state.pending;
  state.pending = undefined;
  return part;
}

function callPart(call: BufferedCall): GeminiPart {
  const part: GeminiPart = {
    functionCall: { id: call.id, name: call.name, args: parseArguments(call.args).args },
  };
  if (call.signature) part.thoughtSignature = call.signature;
  return part;
}

function addUsage(state: EncoderState, usage: Partial<Usage>): void {
  state.usage = mergeUsage(state.usage ?? { inputTokens: 0, outputTokens: 0 }, usage);
  state.usageMetadata = encodeUsage(state.usage);
}

/** The finish chunk: calls still buffered, a pending signature, the reason and the usage. */
function finish(state: EncoderState, stopReason: StopReason): string {
  const parts: GeminiPart[] = [];
  for (const call of state.calls.values()) parts.push(callPart(call));
  state.calls.clear();
  if (state.pending !== undefined) parts.push(withPending(state, { text: "" }));
  if (parts.length === 0) parts.push({ text: "" });
  state.done = true;
  return chunk(state, parts, stopReason);
}
