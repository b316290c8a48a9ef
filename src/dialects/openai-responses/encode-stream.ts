/**
 * @module
 * Canonical stream events as a Responses API event stream for a client
 * (`event: <type>` + `data: {"type":…,"sequence_number":n,…}`), in the order
 * the API sends them, so that the openai SDKs' stream helpers (which check
 * every `output_index` and `content_index`) and Codex CLI (which reads items
 * from `output_item.done` and the end from `response.completed`) work.
 *
 * - `start` → `response.created` + `response.in_progress` with the response
 *   object (the request's settings echoed, built once per stream).
 * - Each text block is one message item: `output_item.added`,
 *   `content_part.added`, `output_text.delta`…, `output_text.done`,
 *   `content_part.done`, `output_item.done`. Refusal-marked text uses the
 *   `refusal` part and events. The upstream's item id and Codex `phase` are
 *   kept when the upstream spoke Responses.
 * - Each reasoning block is one reasoning item with one summary part
 *   (`reasoning_summary_part.added`, `reasoning_summary_text.delta`…,
 *   `.done`, `reasoning_summary_part.done`); encrypted content (not that of a
 *   redacted block) goes on the done item; signatures of other dialects are dropped.
 * - Tool calls are `function_call` items with `function_call_arguments.delta`
 *   and `.done`; a call of one of the request's custom tools is a
 *   `custom_tool_call` whose input is sent in one delta when the call ends
 *   (it arrives as the JSON `{"input": …}`). A call is named as the request
 *   offered the tool: `namespace` and name for one in a namespace (Codex CLI's
 *   code mode), see `tool-names.ts`.
 * - `finish` → `response.completed` (or `response.incomplete` for max
 *   tokens / content filter) carrying the full response object with all
 *   output items and usage, built once.
 * - `error` → an `error` event and `response.failed`.
 * - `end()` closes what is open and sends `response.completed` if no
 *   terminal event was sent. Events after the terminal event are dropped.
 * - One `JSON.stringify` per event; output item ids are the upstream's when
 *   known, else derived from the response id. The items' events are written by
 *   encode-stream-items.ts; this module dispatches each canonical event and
 *   writes the response's own events.
 */
import type { StreamEncoder } from "../codec.ts";
import type { CanonicalRequest } from "../../ir/request.ts";
import type { StopReason } from "../../ir/response.ts";
import type { StreamEvent } from "../../ir/stream-event.ts";
import { emptyUsage, mergeUsage } from "../../ir/usage.ts";
import type { ApiError } from "../../errors/api-error.ts";
import { encodeError } from "./encode-error.ts";
import { DIALECT } from "./decode-common.ts";
import {
  encodeUsage,
  failureObject,
  itemIds,
  responseId,
  responseShell,
} from "./encode-response.ts";
import {
  addReasoning,
  addText,
  addToolCall,
  type EncoderState,
  endAll,
  endBlock,
  reasoningDelta,
  send,
  textDelta,
  toolDelta,
} from "./encode-stream-items.ts";
import { encodeStatus } from "./map-stop-reason.ts";
import { wireToolNames } from "./tool-names.ts";
import type { PartMemo, ResponseObject } from "./wire-types.ts";

type EventOf<T extends StreamEvent["type"]> = Extract<StreamEvent, { type: T }>;

export function createStreamEncoder(request: CanonicalRequest): StreamEncoder {
  const state: EncoderState = {
    request,
    names: wireToolNames(request),
    sequence: 0,
    shell: undefined,
    nextId: itemIds("resp_"),
    terminal: false,
    hasToolCalls: false,
    hasRefusal: false,
    usage: emptyUsage(),
    output: [],
    blocks: new Map(),
    usedIds: new Set(),
  };
  return {
    encode: (event) => state.terminal ? "" : encodeEvent(state, event),
    end: () => state.terminal ? "" : finish(state, state.hasToolCalls ? "tool-calls" : "end"),
  };
}

/** Dispatches an event to its handler. */
function encodeEvent(state: EncoderState, event: StreamEvent): string {
  switch (event.type) {
    case "start":
      if (event.usage) state.usage = mergeUsage(state.usage, event.usage);
      return state.shell ? "" : start(state, event.id, event.model, event.created);
    case "text-start":
      return onTextStart(state, event);
    case "text-delta":
      return onTextDelta(state, event);
    case "reasoning-start":
      return ensureStarted(state) + endBlock(state, event.index) +
        addReasoning(state, event.index, event.id, event.redacted === true, event.encrypted);
    case "reasoning-delta":
      return onReasoningDelta(state, event);
    case "reasoning-signature":
      return onReasoningSignature(state, event);
    case "tool-call-start":
      return ensureStarted(state) + endBlock(state, event.index) +
        addToolCall(state, event.index, event.id, event.name);
    case "tool-call-delta":
      return onToolCallDelta(state, event);
    case "text-end":
    case "reasoning-end":
    case "tool-call-end":
      return endBlock(state, event.index);
    case "usage":
      state.usage = mergeUsage(state.usage, event.usage);
      return "";
    case "finish":
      state.usage = mergeUsage(state.usage, event.usage);
      return finish(state, event.stopReason);
    case "error":
      return fail(state, event.error);
  }
}

// ------------------------------------------------------------ handlers

function onTextStart(
  state: EncoderState,
  event: EventOf<"text-start">,
): string {
  const memo = (event.providerData?.[DIALECT] ?? {}) as PartMemo;
  const chatRefusal = event.providerData?.["openai-chat"]?.refusal === true;
  return ensureStarted(state) + endBlock(state, event.index) +
    addText(state, event.index, memo, chatRefusal);
}

/** Text for a block that never started (or is not text) starts a message item first. */
function onTextDelta(
  state: EncoderState,
  event: EventOf<"text-delta">,
): string {
  if (!event.text) return "";
  let text = ensureStarted(state);
  let block = state.blocks.get(event.index);
  if (block?.kind !== "text") {
    text += addText(state, event.index, {}, false);
    block = state.blocks.get(event.index);
  }
  return block?.kind === "text" ? text + textDelta(state, block, event.text) : text;
}

function onReasoningDelta(
  state: EncoderState,
  event: EventOf<"reasoning-delta">,
): string {
  if (!event.text) return "";
  let text = ensureStarted(state);
  let block = state.blocks.get(event.index);
  if (block?.kind !== "reasoning") {
    text += addReasoning(state, event.index, undefined, false, undefined);
    block = state.blocks.get(event.index);
  }
  return block?.kind === "reasoning" ? text + reasoningDelta(state, block, event.text) : text;
}

/** Only the Responses API's own encrypted reasoning goes back, on the done item. */
function onReasoningSignature(state: EncoderState, event: EventOf<"reasoning-signature">): string {
  const block = state.blocks.get(event.index);
  const own = event.origin === undefined || event.origin === "openai-responses";
  if (own && block?.kind === "reasoning" && event.encrypted !== undefined && !block.redacted) {
    block.encrypted = event.encrypted;
  }
  return "";
}

function onToolCallDelta(state: EncoderState, event: EventOf<"tool-call-delta">): string {
  const block = state.blocks.get(event.index);
  return block?.kind === "tool" && event.argumentsDelta
    ? toolDelta(state, block, event.argumentsDelta)
    : "";
}

// ------------------------------------------------------------ the response's own events

/** `response.created` and `response.in_progress`, with the response object built once. */
function start(
  state: EncoderState,
  id: string,
  model: string,
  created?: number,
): string {
  const responseIdValue = responseId(id);
  state.nextId = itemIds(responseIdValue);
  state.shell = responseShell(
    state.request,
    responseIdValue,
    model || state.request.model,
    created ?? Math.floor(Date.now() / 1000),
  );
  return send(state, "response.created", { response: state.shell }) +
    send(state, "response.in_progress", { response: state.shell });
}

function ensureStarted(state: EncoderState): string {
  return state.shell ? "" : start(state, "", state.request.model);
}

/** The terminal event, carrying the whole response: completed, incomplete or failed. */
function finish(
  state: EncoderState,
  stopReason: StopReason,
  error?: ApiError,
): string {
  let text = ensureStarted(state);
  // A failure leaves open items as they were (in progress), as the API does.
  if (error) state.blocks.clear();
  else text += endAll(state);
  state.terminal = true;
  const outcome = encodeStatus(stopReason, state.hasRefusal);
  const response: ResponseObject = {
    ...(state.shell as ResponseObject),
    status: outcome.status,
    output: state.output,
    usage: encodeUsage(state.usage),
  };
  if (outcome.status === "incomplete") response.incomplete_details = { reason: outcome.reason };
  if (outcome.status === "failed") {
    response.error = failureObject(error);
    return text + send(state, "response.failed", { response });
  }
  const type = outcome.status === "incomplete" ? "response.incomplete" : "response.completed";
  return text + send(state, type, { response });
}

/** An `error` event, then `response.failed`. */
function fail(state: EncoderState, error: ApiError): string {
  const wire = encodeError(error).error;
  const text = ensureStarted(state) +
    send(state, "error", {
      error: { ...wire, message: error.message },
      code: wire.code ?? wire.type,
      message: error.message,
      param: null,
    });
  return text + finish(state, "error", error);
}
