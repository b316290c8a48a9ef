/**
 * @module
 * Responses API stream events from an upstream (the OpenAI API or the Codex
 * backend) as canonical stream events. One `JSON.parse` per event, read into the
 * typed `ResponsesStreamEvent` union and handed to one function per event type;
 * state is kept per output item (`output_index`, see decode-stream-items.ts).
 *
 * - `response.created` (or `in_progress`/`queued`, whichever comes first) → `start`.
 * - Message items: each content part is a text block (`content_part.added`
 *   → `text-start`, `output_text.delta`/`refusal.delta` → `text-delta`,
 *   `output_text.done` → `text-end`); the first part carries the item's id
 *   and fields (Codex's `phase`) in `providerData`, refusals are marked.
 * - Reasoning items are one reasoning block each (`reasoning-start` with the
 *   item id); summary parts are joined by a blank line, `reasoning_text`
 *   deltas count too; `output_item.done` carries the final
 *   `encrypted_content` → `reasoning-signature {encrypted}` before `reasoning-end`.
 * - `function_call` items are tool calls (`call_id`, name, argument deltas;
 *   a namespaced call by its flat name, see `tool-names.ts`);
 *   `custom_tool_call` items too, their raw input streamed as the JSON string
 *   of `{"input": …}`.
 * - `*.done` events and `output_item.done` carry full text: whatever the
 *   deltas did not deliver (some servers send none) is sent as a last delta.
 * - `response.completed`/`response.incomplete` → close what is open, then
 *   `finish` with usage and the stop reason. A terminal event with output
 *   but no item events before it (non-streaming servers) is replayed from
 *   its output.
 * - `error` events and `response.failed` → one `error` event; data that is
 *   not JSON is an `error` event too; a stream that ends without a terminal
 *   event ends with an `error`. Built-in tool items and their events
 *   (web_search_call.*, code_interpreter_call.*, codex.rate_limits …) are ignored.
 */
import type { StreamDecoder } from "../codec.ts";
import type { StreamEvent } from "../../ir/stream-event.ts";
import { apiError } from "../../errors/api-error.ts";
import type { SseEvent } from "../../sse/parse-sse.ts";
import { isObject, type Json, stringOrEmpty } from "../../ir/json.ts";
import { errorFromObject } from "./decode-error.ts";
import { decodeOutput, decodeUsage } from "./decode-response.ts";
import {
  closeItem,
  type DecoderState,
  type ItemState,
  openItem,
  reasoningCatchUp,
  reasoningDelta,
  textBlock,
  textDelta,
  textEnd,
  toolCatchUp,
  toolDelta,
} from "./decode-stream-items.ts";
import { decodeStatus } from "./map-stop-reason.ts";
import type { ResponseErrorObject, ResponseObject, ResponsesStreamEvent } from "./wire-types.ts";

type EventType = ResponsesStreamEvent["type"];
type EventOf<T extends EventType> = Extract<ResponsesStreamEvent, { type: T }>;

/** The event types the decoder acts on (the compiler checks this against the union). */
const HANDLED: Record<EventType, true> = {
  "response.created": true,
  "response.in_progress": true,
  "response.queued": true,
  "response.output_item.added": true,
  "response.output_item.done": true,
  "response.content_part.added": true,
  "response.content_part.done": true,
  "response.output_text.delta": true,
  "response.refusal.delta": true,
  "response.output_text.done": true,
  "response.refusal.done": true,
  "response.reasoning_summary_part.added": true,
  "response.reasoning_summary_part.done": true,
  "response.reasoning_summary_text.delta": true,
  "response.reasoning_summary_text.done": true,
  "response.reasoning_text.delta": true,
  "response.reasoning_text.done": true,
  "response.function_call_arguments.delta": true,
  "response.custom_tool_call_input.delta": true,
  "response.function_call_arguments.done": true,
  "response.custom_tool_call_input.done": true,
  "response.completed": true,
  "response.incomplete": true,
  "response.done": true,
  "response.failed": true,
  "error": true,
};

export function createStreamDecoder(): StreamDecoder {
  const state: DecoderState = {
    started: false,
    done: false,
    sawItems: false,
    nextIndex: 0,
    hasToolCalls: false,
    hasRefusal: false,
    items: new Map(),
  };
  return {
    decode: (event) => state.done ? [] : decodeEvent(state, event),
    end: () => state.done ? [] : endStream(state),
  };
}

function decodeEvent(state: DecoderState, sse: SseEvent): StreamEvent[] {
  const data = sse.data.trim();
  if (data === "" || data === "[DONE]") return [];
  let parsed: unknown;
  try {
    parsed = JSON.parse(data);
  } catch {
    state.done = true;
    return [upstreamFailure(`upstream sent an event that is not JSON: ${data.slice(0, 200)}`)];
  }
  if (!isObject(parsed)) return [];
  const event = readStreamEvent(parsed, sse.event);
  const out: StreamEvent[] = [];
  if (event) onEvent(state, event, out);
  return out;
}

function endStream(state: DecoderState): StreamEvent[] {
  state.done = true;
  return [upstreamFailure("upstream stream ended before the response completed")];
}

function upstreamFailure(message: string): StreamEvent {
  return { type: "error", error: apiError("api_error", message, { status: 502 }).error };
}

/**
 * The parsed event as the typed union, when its type (from the data, else from the SSE
 * `event:` name) is one the decoder acts on; undefined for built-in tools' events
 * (web_search_call.*, code_interpreter_call.*, codex.rate_limits …) and newer types.
 */
function readStreamEvent(data: Json, name: string | undefined): ResponsesStreamEvent | undefined {
  if (typeof data.type !== "string" && name) data.type = name;
  return typeof data.type === "string" && Object.hasOwn(HANDLED, data.type)
    ? data as ResponsesStreamEvent
    : undefined;
}

/** Dispatches an event to its handler. */
function onEvent(state: DecoderState, event: ResponsesStreamEvent, out: StreamEvent[]): void {
  switch (event.type) {
    case "response.created":
    case "response.in_progress":
    case "response.queued":
      return start(state, out, event.response);
    case "response.output_item.added":
      return onItemAdded(state, event, out);
    case "response.output_item.done":
      return onItemDone(state, event, out);
    case "response.content_part.added":
      return onContentPartAdded(state, event, out);
    case "response.content_part.done":
      return onContentPartDone(state, event, out);
    case "response.output_text.delta":
    case "response.refusal.delta":
      return onTextDelta(state, event, out);
    case "response.output_text.done":
    case "response.refusal.done":
      return onTextDone(state, event, out);
    case "response.reasoning_summary_text.delta":
    case "response.reasoning_text.delta":
      return onReasoningDelta(state, event, out);
    case "response.reasoning_summary_part.added":
    case "response.reasoning_summary_part.done":
    case "response.reasoning_summary_text.done":
    case "response.reasoning_text.done":
      return onReasoningDone(state, event, out);
    case "response.function_call_arguments.delta":
    case "response.custom_tool_call_input.delta":
      return onToolDelta(state, event, out);
    case "response.function_call_arguments.done":
    case "response.custom_tool_call_input.done":
      return onToolDone(state, event, out);
    case "response.completed":
    case "response.incomplete":
    case "response.done":
      return finish(state, event.response, out);
    case "response.failed":
      start(state, out, event.response);
      return fail(state, isObject(event.response?.error) ? event.response.error : undefined, out);
    case "error":
      start(state, out);
      return fail(
        state,
        isObject(event.error) ? event.error : { code: event.code, message: event.message },
        out,
      );
  }
}

/** `start`, once: from the first event that carries the response, or from any first event. */
function start(state: DecoderState, out: StreamEvent[], response?: Partial<ResponseObject>): void {
  if (state.started) return;
  state.started = true;
  const event: StreamEvent = {
    type: "start",
    id: stringOrEmpty(response?.id),
    model: stringOrEmpty(response?.model),
  };
  if (typeof response?.created_at === "number") event.created = response.created_at;
  out.push(event);
}

// ------------------------------------------------------------ items and message text

function onItemAdded(
  state: DecoderState,
  event: EventOf<"response.output_item.added">,
  out: StreamEvent[],
): void {
  start(state, out);
  if (isObject(event.item)) openItem(state, event.output_index ?? -1, event.item, out);
}

function onItemDone(
  state: DecoderState,
  event: EventOf<"response.output_item.done">,
  out: StreamEvent[],
): void {
  if (!isObject(event.item)) return;
  start(state, out);
  const outputIndex = event.output_index ?? -1;
  const item = state.items.get(outputIndex) ?? openItem(state, outputIndex, event.item, out);
  closeItem(state, item, out, event.item);
}

/** The item an event names; a message item when its `added` never came. */
function itemFor(
  state: DecoderState,
  event: { output_index?: number; item_id?: string },
  out: StreamEvent[],
): ItemState {
  const outputIndex = event.output_index ?? -1;
  return state.items.get(outputIndex) ??
    openItem(state, outputIndex, { type: "message", id: stringOrEmpty(event.item_id) }, out);
}

function onContentPartAdded(
  state: DecoderState,
  event: EventOf<"response.content_part.added">,
  out: StreamEvent[],
): void {
  const item = itemFor(state, event, out);
  if (item.kind !== "message") return;
  textBlock(state, item, event.content_index ?? 0, event.part?.type === "refusal", out);
}

function onContentPartDone(
  state: DecoderState,
  event: EventOf<"response.content_part.done">,
  out: StreamEvent[],
): void {
  const item = itemFor(state, event, out);
  const block = item.parts.get(event.content_index ?? 0);
  if (!block) return;
  const part = event.part;
  textEnd(block, part?.type === "refusal" ? part.refusal : part?.text, out);
}

function onTextDelta(
  state: DecoderState,
  event: EventOf<"response.output_text.delta" | "response.refusal.delta">,
  out: StreamEvent[],
): void {
  const item = itemFor(state, event, out);
  if (item.kind !== "message") return;
  const refusal = event.type === "response.refusal.delta";
  const block = textBlock(state, item, event.content_index ?? 0, refusal, out);
  textDelta(block, stringOrEmpty(event.delta), out);
}

function onTextDone(
  state: DecoderState,
  event: EventOf<"response.output_text.done" | "response.refusal.done">,
  out: StreamEvent[],
): void {
  const item = itemFor(state, event, out);
  if (item.kind !== "message") return;
  const refusal = event.type === "response.refusal.done";
  const block = textBlock(state, item, event.content_index ?? 0, refusal, out);
  textEnd(block, stringOrEmpty(refusal ? event.refusal : event.text), out);
}

// ------------------------------------------------------------ reasoning and tool calls

function onReasoningDelta(
  state: DecoderState,
  event: EventOf<"response.reasoning_summary_text.delta" | "response.reasoning_text.delta">,
  out: StreamEvent[],
): void {
  const item = state.items.get(event.output_index ?? -1);
  if (item?.kind !== "reasoning") return;
  const summary = event.type === "response.reasoning_summary_text.delta";
  const counts = summary ? item.summary : item.content;
  const partIndex = (summary ? event.summary_index : event.content_index) ?? 0;
  reasoningDelta(item, counts, partIndex, stringOrEmpty(event.delta), out);
}

/** A reasoning part begins or ends: its full text (none for `added`) catches up. */
function onReasoningDone(
  state: DecoderState,
  event: EventOf<
    | "response.reasoning_summary_part.added"
    | "response.reasoning_summary_part.done"
    | "response.reasoning_summary_text.done"
    | "response.reasoning_text.done"
  >,
  out: StreamEvent[],
): void {
  const item = state.items.get(event.output_index ?? -1);
  if (item?.kind !== "reasoning") return;
  if (event.type === "response.reasoning_text.done") {
    reasoningCatchUp(item, item.content, event.content_index ?? 0, stringOrEmpty(event.text), out);
    return;
  }
  const full = event.type === "response.reasoning_summary_text.done"
    ? event.text
    : event.type === "response.reasoning_summary_part.done"
    ? event.part?.text
    : undefined;
  reasoningCatchUp(item, item.summary, event.summary_index ?? 0, stringOrEmpty(full), out);
}

function onToolDelta(
  state: DecoderState,
  event: EventOf<
    "response.function_call_arguments.delta" | "response.custom_tool_call_input.delta"
  >,
  out: StreamEvent[],
): void {
  const item = state.items.get(event.output_index ?? -1);
  if (item?.kind === "function_call" || item?.kind === "custom_tool_call") {
    toolDelta(item, stringOrEmpty(event.delta), out);
  }
}

function onToolDone(
  state: DecoderState,
  event: EventOf<"response.function_call_arguments.done" | "response.custom_tool_call_input.done">,
  out: StreamEvent[],
): void {
  const item = state.items.get(event.output_index ?? -1);
  if (item?.kind !== "function_call" && item?.kind !== "custom_tool_call") return;
  const full = event.type === "response.function_call_arguments.done"
    ? event.arguments
    : event.input;
  toolCatchUp(item, full, out);
}

// ------------------------------------------------------------ terminal events

/**
 * `response.completed` / `incomplete`: what is open closes, then `finish`. A terminal event
 * with output but no item events before it (a server that does not stream) is replayed.
 */
function finish(
  state: DecoderState,
  response: Partial<ResponseObject> | undefined,
  out: StreamEvent[],
): void {
  start(state, out, response);
  if (!state.sawItems && response) replayOutput(state, response.output, out);
  for (const item of state.items.values()) closeItem(state, item, out);
  const incomplete = isObject(response?.incomplete_details)
    ? stringOrEmpty(response.incomplete_details.reason)
    : undefined;
  const event: StreamEvent = {
    type: "finish",
    stopReason: decodeStatus(
      stringOrEmpty(response?.status) || "completed",
      incomplete,
      state.hasToolCalls,
      state.hasRefusal,
    ),
  };
  const usage = decodeUsage(response?.usage);
  if (Object.keys(usage).length > 0) event.usage = usage;
  out.push(event);
  state.done = true;
}

function fail(
  state: DecoderState,
  error: ResponseErrorObject | undefined,
  out: StreamEvent[],
): void {
  out.push({
    type: "error",
    error: errorFromObject(error ?? { message: "the upstream response failed" }, 0),
  });
  state.done = true;
}

/** A terminal event's output as the events a streaming server would have sent. */
function replayOutput(state: DecoderState, output: unknown, out: StreamEvent[]): void {
  const decoded = decodeOutput(output);
  state.hasToolCalls ||= decoded.hasToolCalls;
  state.hasRefusal ||= decoded.hasRefusal;
  for (const part of decoded.content) {
    const index = state.nextIndex++;
    switch (part.type) {
      case "text": {
        const event: StreamEvent = { type: "text-start", index };
        if (part.providerData) event.providerData = part.providerData;
        out.push(event);
        if (part.text) out.push({ type: "text-delta", index, text: part.text });
        out.push({ type: "text-end", index });
        break;
      }
      case "reasoning": {
        const event: StreamEvent = { type: "reasoning-start", index };
        if (part.id) event.id = part.id;
        out.push(event);
        if (part.text) out.push({ type: "reasoning-delta", index, text: part.text });
        if (part.encrypted) {
          out.push({ type: "reasoning-signature", index, encrypted: part.encrypted });
        }
        out.push({ type: "reasoning-end", index });
        break;
      }
      case "tool-call":
        out.push({ type: "tool-call-start", index, id: part.id, name: part.name });
        if (part.arguments) {
          out.push({ type: "tool-call-delta", index, argumentsDelta: part.arguments });
        }
        out.push({ type: "tool-call-end", index });
        break;
      case "file":
        break;
    }
  }
}
