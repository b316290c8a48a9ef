/**
 * @module
 * Anthropic Messages SSE events (from an upstream) as canonical stream events.
 * Canonical block indexes are Anthropic's own. Each event is read into the typed
 * `AnthropicStreamEvent` union (one check of its type and block index) and
 * handled by one function per event and block type.
 *
 * - `message_start` → `start` with the usage so far.
 * - text, thinking, redacted_thinking and tool_use blocks → their
 *   start/delta/end events; `signature_delta` → `reasoning-signature`;
 *   `input_json_delta` → `tool-call-delta` (empty fragments skipped).
 * - A text block that opens with `citations` (web search) waits for its first
 *   text to emit `text-start`, carrying the citations that came before it in
 *   `providerData.anthropic.citations`. Citations after the text are dropped.
 * - Blocks the canonical stream cannot carry (server_tool_use,
 *   web_search_tool_result, mcp_*, compaction, …) produce no events.
 * - `message_delta` → `finish` with the whole usage (its output_tokens are
 *   cumulative; any input counts it repeats overwrite message_start's).
 * - `ping` and `message_stop` produce nothing; an `error` event, or data that
 *   is not JSON, is an `error` event and ends decoding. A stream that ends with
 *   neither `message_delta` nor an error closes its open blocks and ends with
 *   an `error` event, so a cut-off answer never looks complete.
 */
import type { StreamDecoder } from "../codec.ts";
import type { StreamEvent } from "../../ir/stream-event.ts";
import { apiError } from "../../errors/api-error.ts";
import type { SseEvent } from "../../sse/parse-sse.ts";
import { errorFromObject } from "./decode-error.ts";
import { canonicalUsage, readUsage, type UsageCounts } from "./decode-response.ts";
import { decodeStopReason } from "./map-stop-reason.ts";
import { isObject, type Json, stringOrEmpty } from "../../ir/json.ts";
import type { AnthropicBlockStart, AnthropicDelta, AnthropicStreamEvent } from "./wire-types.ts";

type BlockKind = "text" | "reasoning" | "tool" | "skipped";

interface BlockState {
  kind: BlockKind;
  /** A text block's citations, until its first text opens it. */
  citations?: unknown[];
  open: boolean;
}

interface DecoderState {
  /** Finished (message_delta) or failed: later events are ignored. */
  done: boolean;
  /** Anthropic block index → its state. */
  blocks: Array<BlockState | undefined>;
  usage: UsageCounts;
}

type EventOf<T extends AnthropicStreamEvent["type"]> = Extract<AnthropicStreamEvent, { type: T }>;

export function createStreamDecoder(): StreamDecoder {
  const state: DecoderState = { done: false, blocks: [], usage: {} };
  return {
    decode: (event) => decodeEvent(state, event),
    end: () => endStream(state),
  };
}

function fail(message: string): StreamEvent {
  return { type: "error", error: apiError("api_error", message, { status: 502 }).error };
}

function decodeEvent(state: DecoderState, sse: SseEvent): StreamEvent[] {
  if (state.done) return [];
  const text = sse.data;
  if (text === "" || text === "[DONE]") return [];
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    parsed = undefined;
  }
  // Any JSON object will do here (an array too): it is `readStreamEvent` that checks it.
  if (!parsed || typeof parsed !== "object") {
    state.done = true;
    return [fail(`The upstream sent a malformed ${sse.event ?? "stream"} event.`)];
  }
  const event = readStreamEvent(parsed as Json);
  const out: StreamEvent[] = [];
  if (event) onEvent(state, event, out);
  return out;
}

function endStream(state: DecoderState): StreamEvent[] {
  if (state.done) return [];
  state.done = true;
  const out: StreamEvent[] = [];
  closeAll(state, out);
  out.push(fail("The upstream stream ended before the answer was complete."));
  return out;
}

/**
 * The parsed event as the typed union, when its type is one the decoder acts on and the fields
 * that route it are there: a block event names its block by a numeric `index`, and a start or
 * delta carries an object. Anything else (`ping`, `message_stop`, newer event types, a broken
 * block event) is undefined and says nothing.
 */
function readStreamEvent(data: Json): AnthropicStreamEvent | undefined {
  switch (data.type) {
    case "message_start":
    case "message_delta":
    case "error":
      return data as AnthropicStreamEvent;
    case "content_block_start":
      return typeof data.index === "number" && isObject(data.content_block)
        ? data as EventOf<"content_block_start">
        : undefined;
    case "content_block_delta":
      return typeof data.index === "number" && isObject(data.delta)
        ? data as EventOf<"content_block_delta">
        : undefined;
    case "content_block_stop":
      return typeof data.index === "number" ? data as EventOf<"content_block_stop"> : undefined;
    default:
      return undefined;
  }
}

/** Dispatches an event to its handler. */
function onEvent(state: DecoderState, event: AnthropicStreamEvent, out: StreamEvent[]): void {
  switch (event.type) {
    case "message_start":
      return onMessageStart(state, event, out);
    case "content_block_start":
      return onBlockStart(state, event.index, event.content_block, out);
    case "content_block_delta":
      return onBlockDelta(state, event.index, event.delta, out);
    case "content_block_stop":
      return close(state, event.index, out);
    case "message_delta":
      return onMessageDelta(state, event, out);
    case "error":
      state.done = true;
      out.push({ type: "error", error: errorFromObject(event.error) });
      return;
  }
}

function onMessageStart(
  state: DecoderState,
  event: EventOf<"message_start">,
  out: StreamEvent[],
): void {
  const message = event.message;
  const start: StreamEvent = {
    type: "start",
    id: stringOrEmpty(message?.id),
    model: stringOrEmpty(message?.model),
  };
  if (message?.usage && typeof message.usage === "object") {
    start.usage = canonicalUsage(readUsage(message.usage, state.usage));
  }
  out.push(start);
}

function onMessageDelta(
  state: DecoderState,
  event: EventOf<"message_delta">,
  out: StreamEvent[],
): void {
  readUsage(event.usage, state.usage);
  const finish: StreamEvent = {
    type: "finish",
    stopReason: decodeStopReason(event.delta?.stop_reason),
    usage: canonicalUsage(state.usage),
  };
  const stopSequence = event.delta?.stop_sequence;
  if (typeof stopSequence === "string") finish.stopSequence = stopSequence;
  closeAll(state, out);
  out.push(finish);
  state.done = true;
}

// ------------------------------------------------------------ block starts

function onBlockStart(
  state: DecoderState,
  index: number,
  block: AnthropicBlockStart,
  out: StreamEvent[],
): void {
  switch (block.type) {
    case "text":
      return startText(state, index, block, out);
    case "thinking":
      return startThinking(state, index, block, out);
    case "redacted_thinking":
      state.blocks[index] = { kind: "reasoning", open: true };
      out.push({
        type: "reasoning-start",
        index,
        redacted: true,
        encrypted: stringOrEmpty(block.data),
      });
      return;
    case "tool_use":
      return startToolUse(state, index, block, out);
    default:
      state.blocks[index] = { kind: "skipped", open: false };
  }
}

/** A text block with citations waits for its first text to say `text-start` (see the module doc). */
function startText(
  state: DecoderState,
  index: number,
  block: Extract<AnthropicBlockStart, { type: "text" }>,
  out: StreamEvent[],
): void {
  const text: BlockState = { kind: "text", open: true };
  state.blocks[index] = text;
  if (Array.isArray(block.citations)) text.citations = [...block.citations];
  else openText(index, text, out);
  if (typeof block.text === "string" && block.text !== "") {
    if (text.citations) openText(index, text, out);
    out.push({ type: "text-delta", index, text: block.text });
  }
}

/** Says `text-start` for a text block, with the citations that came before its text. */
function openText(index: number, block: BlockState, out: StreamEvent[]): void {
  const citations = block.citations;
  block.citations = undefined;
  out.push(
    citations && citations.length > 0
      ? { type: "text-start", index, providerData: { anthropic: { citations } } }
      : { type: "text-start", index },
  );
}

function startThinking(
  state: DecoderState,
  index: number,
  block: Extract<AnthropicBlockStart, { type: "thinking" }>,
  out: StreamEvent[],
): void {
  state.blocks[index] = { kind: "reasoning", open: true };
  out.push({ type: "reasoning-start", index });
  if (typeof block.thinking === "string" && block.thinking !== "") {
    out.push({ type: "reasoning-delta", index, text: block.thinking });
  }
  if (typeof block.signature === "string" && block.signature !== "") {
    out.push({ type: "reasoning-signature", index, signature: block.signature });
  }
}

function startToolUse(
  state: DecoderState,
  index: number,
  block: Extract<AnthropicBlockStart, { type: "tool_use" }>,
  out: StreamEvent[],
): void {
  state.blocks[index] = { kind: "tool", open: true };
  out.push({
    type: "tool-call-start",
    index,
    id: stringOrEmpty(block.id),
    name: stringOrEmpty(block.name),
  });
  // The input usually streams as input_json_delta; some servers send it whole here.
  const input = block.input;
  if (input && typeof input === "object" && Object.keys(input).length > 0) {
    out.push({ type: "tool-call-delta", index, argumentsDelta: JSON.stringify(input) });
  }
}

// ------------------------------------------------------------ deltas and stops

function onBlockDelta(
  state: DecoderState,
  index: number,
  delta: AnthropicDelta,
  out: StreamEvent[],
): void {
  const block = state.blocks[index];
  if (!block || block.kind === "skipped") return;
  switch (delta.type) {
    case "text_delta":
      if (block.kind !== "text" || typeof delta.text !== "string") return;
      if (block.citations) openText(index, block, out);
      if (delta.text !== "") out.push({ type: "text-delta", index, text: delta.text });
      return;
    case "citations_delta":
      if (block.citations && delta.citation !== undefined) block.citations.push(delta.citation);
      return;
    case "thinking_delta":
      if (block.kind === "reasoning" && typeof delta.thinking === "string" && delta.thinking) {
        out.push({ type: "reasoning-delta", index, text: delta.thinking });
      }
      return;
    case "signature_delta":
      if (block.kind === "reasoning" && typeof delta.signature === "string") {
        out.push({ type: "reasoning-signature", index, signature: delta.signature });
      }
      return;
    case "input_json_delta":
      if (block.kind === "tool" && typeof delta.partial_json === "string" && delta.partial_json) {
        out.push({ type: "tool-call-delta", index, argumentsDelta: delta.partial_json });
      }
      return;
  }
}

function close(state: DecoderState, index: number, out: StreamEvent[]): void {
  const block = state.blocks[index];
  if (!block?.open) return;
  block.open = false;
  switch (block.kind) {
    case "text":
      if (block.citations) openText(index, block, out);
      out.push({ type: "text-end", index });
      return;
    case "reasoning":
      out.push({ type: "reasoning-end", index });
      return;
    case "tool":
      out.push({ type: "tool-call-end", index });
      return;
  }
}

function closeAll(state: DecoderState, out: StreamEvent[]): void {
  for (let index = 0; index < state.blocks.length; index++) close(state, index, out);
}
