/**
 * @module
 * `streamGenerateContent?alt=sse` chunks (each a `GenerateContentResponse`
 * with only the new parts) as canonical stream events, one function per kind
 * of part.
 *
 * - `start` comes with the first chunk. One text or reasoning block is open
 *   at a time and stays open across chunks while parts of its kind arrive.
 * - Thought parts are reasoning; a signature on a thought part is that
 *   block's `reasoning-signature` and closes it. A signature on any other
 *   part is a reasoning block of its own (start, signature, end) right before
 *   the part's content (see decode-response.ts for why).
 * - A whole `functionCall` is `tool-call-start`, one delta with all its
 *   arguments, `tool-call-end`. A call streamed with `willContinue` /
 *   `partialArgs` starts when its name arrives; its pieces are assembled and
 *   sent as one delta when a chunk for it comes without `willContinue` (or the
 *   next call, another part, or the finish arrives).
 * - `inlineData` in a stream has no canonical event and is dropped.
 * - Usage goes out when its counts change; `finishReason` closes everything
 *   and is the `finish`. A prompt blocked before any candidate is a
 *   `content-filter` finish.
 * - An in-band `{"error":…}` chunk, data that is not JSON, or a stream that
 *   ends without a `finishReason` is an `error` event and ends decoding.
 */
import type { StreamDecoder } from "../codec.ts";
import type { Usage } from "../../ir/response.ts";
import type { StreamEvent } from "../../ir/stream-event.ts";
import { apiError } from "../../errors/api-error.ts";
import type { SseEvent } from "../../sse/parse-sse.ts";
import { errorFromStatus } from "./decode-error.ts";
import { isObject, stringOrEmpty } from "../../ir/json.ts";
import {
  callIdMaker,
  codePartData,
  createdFrom,
  decodeUsage,
  firstCandidate,
  hasTokenCounts,
  renderCodePart,
} from "./decode-response.ts";
import { decodeFinishReason } from "./map-stop-reason.ts";
import { type ArgsAssembler, createArgsAssembler } from "./partial-args.ts";
import type { GeminiFunctionCall, GeminiPart, GeminiResponse } from "./wire-types.ts";

interface OpenBlock {
  kind: "text" | "reasoning";
  index: number;
}

interface OpenCall {
  index: number;
  args: ArgsAssembler;
}

interface DecoderState {
  started: boolean;
  /** Finished or failed: later events are ignored. */
  done: boolean;
  nextIndex: number;
  open: OpenBlock | undefined;
  /** A call whose arguments are still streaming. */
  call: OpenCall | undefined;
  calls: number;
  newId: () => string;
  usage: Usage | undefined;
}

export function createStreamDecoder(): StreamDecoder {
  const state: DecoderState = {
    started: false,
    done: false,
    nextIndex: 0,
    open: undefined,
    call: undefined,
    calls: 0,
    newId: callIdMaker(undefined),
    usage: undefined,
  };
  return {
    decode: (event) => state.done ? [] : decodeEvent(state, event),
    end: () => state.done ? [] : fail(state, [], "the upstream stream ended before it finished"),
  };
}

function decodeEvent(state: DecoderState, event: SseEvent): StreamEvent[] {
  const data = event.data.trim();
  if (data === "" || data === "[DONE]") return [];
  let parsed: unknown;
  try {
    parsed = JSON.parse(data);
  } catch {
    return fail(state, [], `upstream sent a stream event that is not JSON: ${data.slice(0, 200)}`);
  }
  const chunk = readChunk(parsed);
  if (!chunk) {
    return fail(
      state,
      [],
      `upstream sent a stream event that is not a chunk: ${data.slice(0, 200)}`,
    );
  }
  return onChunk(state, chunk, []);
}

/**
 * Parsed data as a chunk: a JSON object (alone in an array, as some servers send it). Every
 * field of a chunk is optional and tested for its type where it is read.
 */
function readChunk(parsed: unknown): GeminiResponse | undefined {
  const value = Array.isArray(parsed) && parsed.length === 1 ? parsed[0] : parsed;
  return isObject(value) ? value as GeminiResponse : undefined;
}

function onChunk(state: DecoderState, chunk: GeminiResponse, out: StreamEvent[]): StreamEvent[] {
  if (chunk.error && typeof chunk.error === "object") {
    state.done = true;
    out.push({ type: "error", error: errorFromStatus(chunk.error, 0) });
    return out;
  }
  if (!state.started) onStart(state, chunk, out);
  const candidate = firstCandidate(chunk.candidates);
  const parts = candidate?.content?.parts;
  if (Array.isArray(parts)) { for (const item of parts) onPart(state, item, out); }
  if (hasTokenCounts(chunk.usageMetadata)) onUsage(state, decodeUsage(chunk.usageMetadata), out);
  if (candidate && typeof candidate.finishReason === "string") {
    finish(state, candidate.finishReason, false, out);
  } else if (!candidate && chunk.promptFeedback?.blockReason) {
    finish(state, undefined, true, out);
  }
  return out;
}

function onStart(state: DecoderState, chunk: GeminiResponse, out: StreamEvent[]): void {
  state.started = true;
  const responseId = stringOrEmpty(chunk.responseId);
  state.newId = callIdMaker(responseId || undefined);
  const start: StreamEvent = {
    type: "start",
    id: responseId,
    model: stringOrEmpty(chunk.modelVersion),
  };
  const created = createdFrom(chunk.createTime);
  if (created !== undefined) start.created = created;
  out.push(start);
}

/** Usage goes out only when its counts change (Gemini repeats it on every chunk). */
function onUsage(state: DecoderState, usage: Usage, out: StreamEvent[]): void {
  if (sameUsage(state.usage, usage)) return;
  state.usage = usage;
  out.push({ type: "usage", usage });
}

function sameUsage(a: Usage | undefined, b: Usage): boolean {
  return !!a && a.inputTokens === b.inputTokens && a.outputTokens === b.outputTokens &&
    a.cachedInputTokens === b.cachedInputTokens && a.reasoningTokens === b.reasoningTokens;
}

// ------------------------------------------------------------ parts

function onPart(state: DecoderState, item: GeminiPart, out: StreamEvent[]): void {
  if (!item || typeof item !== "object") return;
  const signature = typeof item.thoughtSignature === "string" && item.thoughtSignature
    ? item.thoughtSignature
    : undefined;
  if (item.functionCall && typeof item.functionCall === "object") {
    return onFunctionCall(state, item.functionCall, signature, out);
  }
  if (item.thought === true) return onThought(state, stringOrEmpty(item.text), signature, out);
  if (signature) carrier(state, signature, out);
  if (typeof item.text === "string") {
    if (item.text !== "") {
      out.push({ type: "text-delta", index: blockFor(state, "text", out), text: item.text });
    }
    return;
  }
  onCodePart(state, item, out);
}

function onThought(
  state: DecoderState,
  text: string,
  signature: string | undefined,
  out: StreamEvent[],
): void {
  if (text === "" && !signature) return;
  const index = blockFor(state, "reasoning", out);
  if (text !== "") out.push({ type: "reasoning-delta", index, text });
  if (signature) {
    out.push({ type: "reasoning-signature", index, signature });
    closeBlock(state, out);
  }
}

/** A signature on a part that is not a thought: a reasoning block of its own (a carrier). */
function carrier(state: DecoderState, signature: string, out: StreamEvent[]): void {
  closeAll(state, out);
  const index = state.nextIndex++;
  out.push({ type: "reasoning-start", index });
  out.push({ type: "reasoning-signature", index, signature });
  out.push({ type: "reasoning-end", index });
}

/** `executableCode` / `codeExecutionResult`: a whole text block that keeps the part. */
function onCodePart(state: DecoderState, item: GeminiPart, out: StreamEvent[]): void {
  const rendered = renderCodePart(item);
  if (rendered === undefined) return;
  closeAll(state, out);
  const index = state.nextIndex++;
  out.push({ type: "text-start", index, providerData: { gemini: { part: codePartData(item) } } });
  out.push({ type: "text-delta", index, text: rendered });
  out.push({ type: "text-end", index });
}

function onFunctionCall(
  state: DecoderState,
  call: GeminiFunctionCall,
  signature: string | undefined,
  out: StreamEvent[],
): void {
  const name = typeof call.name === "string" && call.name ? call.name : undefined;
  const open = state.call;
  if (open && !name) {
    addArgs(open.args, call);
    if (call.willContinue !== true) endCall(state, out);
    return;
  }
  if (!name) return; // a stray end marker (`{"functionCall":{}}`) with no call open
  closeAll(state, out);
  const index = state.nextIndex++;
  state.calls++;
  const id = typeof call.id === "string" && call.id ? call.id : state.newId();
  out.push({ type: "tool-call-start", index, id, name, ...(signature ? { signature } : {}) });
  const args = createArgsAssembler();
  addArgs(args, call);
  state.call = { index, args };
  if (call.willContinue !== true) endCall(state, out);
}

function addArgs(args: ArgsAssembler, call: GeminiFunctionCall): void {
  if (call.args && typeof call.args === "object") args.seed(call.args);
  if (Array.isArray(call.partialArgs)) args.add(call.partialArgs);
}

// ------------------------------------------------------------ blocks and the end

function closeBlock(state: DecoderState, out: StreamEvent[]): void {
  const open = state.open;
  if (!open) return;
  state.open = undefined;
  out.push(
    open.kind === "text"
      ? { type: "text-end", index: open.index }
      : { type: "reasoning-end", index: open.index },
  );
}

/** Sends a streamed call's assembled arguments as one delta, and ends the call. */
function endCall(state: DecoderState, out: StreamEvent[]): void {
  const call = state.call;
  if (!call) return;
  state.call = undefined;
  out.push({
    type: "tool-call-delta",
    index: call.index,
    argumentsDelta: JSON.stringify(call.args.result()),
  });
  out.push({ type: "tool-call-end", index: call.index });
}

function closeAll(state: DecoderState, out: StreamEvent[]): void {
  endCall(state, out);
  closeBlock(state, out);
}

/** The open block of `kind`, opening it (and closing what is open) when needed. */
function blockFor(state: DecoderState, kind: OpenBlock["kind"], out: StreamEvent[]): number {
  if (state.open?.kind === kind) return state.open.index;
  closeAll(state, out);
  const index = state.nextIndex++;
  state.open = { kind, index };
  out.push(kind === "text" ? { type: "text-start", index } : { type: "reasoning-start", index });
  return index;
}

function finish(
  state: DecoderState,
  reason: string | undefined,
  blocked: boolean,
  out: StreamEvent[],
): void {
  closeAll(state, out);
  const stopReason = blocked ? "content-filter" : decodeFinishReason(reason, state.calls > 0);
  out.push(
    state.usage
      ? { type: "finish", stopReason, usage: state.usage }
      : { type: "finish", stopReason },
  );
  state.done = true;
}

function fail(state: DecoderState, out: StreamEvent[], message: string): StreamEvent[] {
  state.done = true;
  out.push({ type: "error", error: apiError("api_error", message).error });
  return out;
}
