/**
 * @module
 * `chat.completion.chunk` events from an upstream as canonical stream events.
 * Each event's data is read as a `ChatChunk` (any JSON object is one: every
 * field is optional and tested where it is read).
 *
 * - `start` comes with the first chunk that has an id or a choice (Azure's
 *   leading `prompt_filter_results` chunk has neither and is skipped).
 * - One block is open at a time: text, refusal text, reasoning
 *   (`reasoning_content` or `reasoning`) or a tool call (keyed by its `index`;
 *   the first fragment carries id and name). A new kind of delta closes the
 *   open block. A late argument fragment for a tool call already closed is
 *   still passed on under that call's index (interleaved blocks reassemble by
 *   index).
 * - `finish_reason` closes the open block; the `finish` event itself waits for
 *   `data: [DONE]` (or the end of the stream), because OpenAI sends the usage
 *   in a chunk after the finish chunk and `finish` carries the final usage.
 * - An in-band `{"error":{…}}` chunk, or data that is not JSON, closes the
 *   open block and ends decoding with an `error` event; so does a stream that
 *   stops with neither `finish_reason` nor `[DONE]`.
 */
import type { StreamDecoder } from "../codec.ts";
import type { Usage } from "../../ir/response.ts";
import type { StreamEvent } from "../../ir/stream-event.ts";
import { mergeUsage } from "../../ir/usage.ts";
import { type ApiError, apiError } from "../../errors/api-error.ts";
import type { SseEvent } from "../../sse/parse-sse.ts";
import { errorFromObject } from "./decode-error.ts";
import { isObject, stringOrEmpty } from "../../ir/json.ts";
import { decodeUsage, refusalMark } from "./decode-response.ts";
import { decodeFinishReason } from "./map-stop-reason.ts";
import type {
  ChatChunk,
  ChatChunkChoice,
  ChatDelta,
  ChatErrorObject,
  ChatToolCallDelta,
} from "./wire-types.ts";

type BlockKind = "text" | "refusal" | "reasoning" | "tool";

interface OpenBlock {
  kind: BlockKind;
  index: number;
  /** The Chat tool-call index, for tool blocks. */
  toolKey?: number;
}

interface DecoderState {
  started: boolean;
  /** Finished or failed: later events are ignored. */
  done: boolean;
  nextIndex: number;
  open: OpenBlock | undefined;
  /** Chat tool-call index → canonical block index. */
  tools: Map<number, number>;
  /** Tool-call id → Chat tool-call index, for servers that leave the index out. */
  toolIds: Map<string, number>;
  finishReason: string | undefined;
  hasRefusal: boolean;
  usage: Usage | undefined;
}

type EventOf<T extends StreamEvent["type"]> = Extract<StreamEvent, { type: T }>;

export function createStreamDecoder(): StreamDecoder {
  const state: DecoderState = {
    started: false,
    done: false,
    nextIndex: 0,
    open: undefined,
    tools: new Map(),
    toolIds: new Map(),
    finishReason: undefined,
    hasRefusal: false,
    usage: undefined,
  };
  return {
    decode: (event) => state.done ? [] : decodeEvent(state, event),
    end: () => state.done ? [] : endStream(state),
  };
}

function decodeEvent(state: DecoderState, event: SseEvent): StreamEvent[] {
  const data = event.data;
  if (data.length < 16) {
    const short = data.trim();
    if (short === "") return [];
    if (short === "[DONE]") return finish(state, []);
  }
  let chunk: unknown;
  try {
    chunk = JSON.parse(data);
  } catch {
    if (event.event === "error") return fail(state, [], errorFromObject({ message: data }, 0));
    return fail(state, [], unreadable(`is not JSON: ${data.slice(0, 200)}`));
  }
  if (!isChunk(chunk)) return fail(state, [], unreadable(`is not a chunk: ${data.slice(0, 200)}`));
  return onChunk(state, chunk, event.event === "error", []);
}

function endStream(state: DecoderState): StreamEvent[] {
  if (state.finishReason !== undefined) return finish(state, []);
  return fail(
    state,
    [],
    apiError("api_error", "the upstream stream ended before it finished").error,
  );
}

/**
 * Whether parsed data is a chunk: any JSON object is, since every field of one is optional and
 * each is tested for its type where it is read.
 */
function isChunk(value: unknown): value is ChatChunk {
  return isObject(value);
}

function unreadable(problem: string): ApiError {
  return apiError("api_error", `upstream sent a stream event that ${problem}`).error;
}

/** `isError`: the event was named `error` (Groq), whatever its data says. */
function onChunk(
  state: DecoderState,
  chunk: ChatChunk,
  isError: boolean,
  out: StreamEvent[],
): StreamEvent[] {
  const choices = Array.isArray(chunk.choices) ? chunk.choices : [];
  if (!state.started && (chunk.id || choices.length > 0)) onStart(state, chunk, out);
  const choice = choices.length > 0 ? choiceZero(choices) : undefined;
  if (choice?.delta) onDelta(state, choice.delta, out);
  if (typeof choice?.finish_reason === "string") {
    close(state, out);
    state.finishReason = choice.finish_reason;
  }
  if (chunk.usage && typeof chunk.usage === "object") {
    const usage = decodeUsage(chunk.usage);
    // Usage so far; `finish` carries the last of it.
    state.usage = mergeUsage(state.usage ?? { inputTokens: 0, outputTokens: 0 }, usage);
    out.push({ type: "usage", usage });
  }
  if (chunk.error) fail(state, out, errorFromObject(chunk.error, 0));
  else if (isError) fail(state, out, errorFromObject(chunk as ChatErrorObject, 0));
  return out;
}

function onStart(state: DecoderState, chunk: ChatChunk, out: StreamEvent[]): void {
  state.started = true;
  const start: EventOf<"start"> = {
    type: "start",
    id: stringOrEmpty(chunk.id),
    model: stringOrEmpty(chunk.model),
  };
  if (typeof chunk.created === "number" && chunk.created > 0) start.created = chunk.created;
  out.push(start);
}

function choiceZero(choices: ChatChunkChoice[]): ChatChunkChoice | undefined {
  const first = choices[0];
  if (!first || (first.index ?? 0) === 0) return first;
  return choices.find((choice) => (choice.index ?? 0) === 0);
}

function onDelta(state: DecoderState, delta: ChatDelta, out: StreamEvent[]): void {
  const reasoning = delta.reasoning_content ?? delta.reasoning;
  if (typeof reasoning === "string" && reasoning !== "") {
    out.push({
      type: "reasoning-delta",
      index: blockFor(state, "reasoning", out),
      text: reasoning,
    });
  }
  if (typeof delta.content === "string" && delta.content !== "") {
    out.push({ type: "text-delta", index: blockFor(state, "text", out), text: delta.content });
  }
  if (typeof delta.refusal === "string" && delta.refusal !== "") {
    out.push({ type: "text-delta", index: blockFor(state, "refusal", out), text: delta.refusal });
  }
  if (Array.isArray(delta.tool_calls)) {
    for (const call of delta.tool_calls) if (call) onToolCall(state, call, out);
  }
}

function close(state: DecoderState, out: StreamEvent[]): void {
  const open = state.open;
  if (!open) return;
  state.open = undefined;
  if (open.kind === "reasoning") out.push({ type: "reasoning-end", index: open.index });
  else if (open.kind === "tool") out.push({ type: "tool-call-end", index: open.index });
  else out.push({ type: "text-end", index: open.index });
}

/** The block a delta of this kind goes to, opening it (and closing another) when needed. */
function blockFor(
  state: DecoderState,
  kind: "text" | "refusal" | "reasoning",
  out: StreamEvent[],
): number {
  if (state.open?.kind === kind) return state.open.index;
  close(state, out);
  const index = state.nextIndex++;
  state.open = { kind, index };
  if (kind === "reasoning") out.push({ type: "reasoning-start", index });
  else if (kind === "refusal") {
    state.hasRefusal = true;
    out.push({ type: "text-start", index, providerData: refusalMark() });
  } else out.push({ type: "text-start", index });
  return index;
}

function onToolCall(state: DecoderState, call: ChatToolCallDelta, out: StreamEvent[]): void {
  let key = call.index;
  if (typeof key !== "number") {
    // No index (a few compatible servers): a known id is its call, a new id a new call,
    // no id the open call.
    const openKey = state.open?.kind === "tool" ? state.open.toolKey : undefined;
    key = (call.id ? state.toolIds.get(call.id) : openKey) ?? state.tools.size;
  }
  let index = state.tools.get(key);
  if (index === undefined) {
    close(state, out);
    index = state.nextIndex++;
    state.tools.set(key, index);
    if (call.id) state.toolIds.set(call.id, key);
    state.open = { kind: "tool", index, toolKey: key };
    out.push({
      type: "tool-call-start",
      index,
      id: call.id || `call_${crypto.randomUUID().replaceAll("-", "").slice(0, 24)}`,
      name: call.function?.name ?? "",
    });
  }
  const fragment = call.function?.arguments;
  if (typeof fragment === "string" && fragment !== "") {
    out.push({ type: "tool-call-delta", index, argumentsDelta: fragment });
  }
}

function finish(state: DecoderState, out: StreamEvent[]): StreamEvent[] {
  if (!state.started) {
    state.started = true;
    out.push({ type: "start", id: "", model: "" });
  }
  close(state, out);
  const stopReason = decodeFinishReason(state.finishReason, state.tools.size > 0, state.hasRefusal);
  out.push(
    state.usage
      ? { type: "finish", stopReason, usage: state.usage }
      : { type: "finish", stopReason },
  );
  state.done = true;
  return out;
}

/** Closes the open block and ends the stream with an error. */
function fail(state: DecoderState, out: StreamEvent[], error: ApiError): StreamEvent[] {
  close(state, out);
  state.done = true;
  out.push({ type: "error", error });
  return out;
}
