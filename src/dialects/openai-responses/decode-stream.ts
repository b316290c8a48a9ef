/**
 * @module
 * Responses API stream events from an upstream (the OpenAI API or the Codex
 * backend) as canonical stream events. One `JSON.parse` per event; state is
 * kept per output item (`output_index`).
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
import type { ProviderData } from "../../ir/message.ts";
import { apiError } from "../../errors/api-error.ts";
import type { SseEvent } from "../../sse/parse-sse.ts";
import { DIALECT } from "./decode-request.ts";
import { extrasOf, isObject, stringOrEmpty } from "../json.ts";
import { errorFromObject } from "./decode-error.ts";
import { decodeOutput, decodeUsage } from "./decode-response.ts";
import { decodeStatus } from "./map-stop-reason.ts";
import { decodeCallName } from "./tool-names.ts";
import type {
  PartMemo,
  ResponseErrorObject,
  ResponseObject,
  ResponsesUsage,
  StreamEventWire,
} from "./wire-types.ts";

type RawItem = Record<string, unknown>;

interface TextBlock {
  index: number;
  emitted: number;
  open: boolean;
}

type ItemKind = "message" | "reasoning" | "function_call" | "custom_tool_call" | "other";

interface ItemState {
  kind: ItemKind;
  /** The canonical block (reasoning and tool calls). */
  index: number;
  open: boolean;
  /** Characters of arguments / custom input delivered. */
  emitted: number;
  /** Message content parts by content_index. */
  parts: Map<number, TextBlock>;
  /** Reasoning: characters delivered per summary_index / content_index. */
  summary: number[];
  content: number[];
  /** Message: providerData for its first text block. */
  memo?: PartMemo;
}

const MESSAGE_KEYS = new Set(["type", "id", "role", "content", "status"]);
const CUSTOM_PREFIX = '{"input":"';
const CUSTOM_SUFFIX = '"}';

/** A raw string as the inside of a JSON string literal. */
function escapeJson(text: string): string {
  return JSON.stringify(text).slice(1, -1);
}

export function createStreamDecoder(): StreamDecoder {
  let started = false;
  let done = false;
  let sawItems = false;
  let nextIndex = 0;
  let hasToolCalls = false;
  let hasRefusal = false;
  const items = new Map<number, ItemState>();

  const start = (out: StreamEvent[], response?: Partial<ResponseObject>) => {
    if (started) return;
    started = true;
    const event: StreamEvent = {
      type: "start",
      id: stringOrEmpty(response?.id),
      model: stringOrEmpty(response?.model),
    };
    if (typeof response?.created_at === "number") event.created = response.created_at;
    out.push(event);
  };

  const newItem = (kind: ItemKind, index = -1): ItemState => ({
    kind,
    index,
    open: index >= 0,
    emitted: 0,
    parts: new Map(),
    summary: [],
    content: [],
  });

  // ------------------------------------------------------------ message text

  const textBlock = (
    item: ItemState,
    contentIndex: number,
    refusal: boolean,
    out: StreamEvent[],
  ): TextBlock => {
    let block = item.parts.get(contentIndex);
    if (block) return block;
    block = { index: nextIndex++, emitted: 0, open: true };
    item.parts.set(contentIndex, block);
    const memo: PartMemo = item.parts.size === 1 && item.memo ? { ...item.memo } : {};
    if (refusal) {
      memo.refusal = true;
      hasRefusal = true;
    }
    const event: StreamEvent = { type: "text-start", index: block.index };
    if (Object.keys(memo).length > 0) {
      event.providerData = { [DIALECT]: memo as Record<string, unknown> } as ProviderData;
    }
    out.push(event);
    return block;
  };

  const textDelta = (block: TextBlock, text: string, out: StreamEvent[]) => {
    if (!text || !block.open) return;
    block.emitted += text.length;
    out.push({ type: "text-delta", index: block.index, text });
  };

  /** Delivers what `full` has beyond what was streamed, then closes the block. */
  const textEnd = (block: TextBlock, full: string | undefined, out: StreamEvent[]) => {
    if (!block.open) return;
    if (full !== undefined && full.length > block.emitted) {
      textDelta(block, full.slice(block.emitted), out);
    }
    block.open = false;
    out.push({ type: "text-end", index: block.index });
  };

  // ------------------------------------------------------------ reasoning

  const reasoningDelta = (
    item: ItemState,
    counts: number[],
    partIndex: number,
    text: string,
    out: StreamEvent[],
  ) => {
    if (!item.open) return;
    if (counts[partIndex] === undefined) {
      counts[partIndex] = 0;
      if (partIndex > 0) out.push({ type: "reasoning-delta", index: item.index, text: "\n\n" });
    }
    if (!text) return;
    counts[partIndex] += text.length;
    out.push({ type: "reasoning-delta", index: item.index, text });
  };

  const reasoningCatchUp = (
    item: ItemState,
    counts: number[],
    partIndex: number,
    full: string,
    out: StreamEvent[],
  ) => {
    reasoningDelta(item, counts, partIndex, "", out);
    if (full.length > counts[partIndex]) {
      reasoningDelta(item, counts, partIndex, full.slice(counts[partIndex]), out);
    }
  };

  // ------------------------------------------------------------ tool calls

  const toolDelta = (item: ItemState, text: string, out: StreamEvent[]) => {
    if (!text || !item.open) return;
    item.emitted += text.length;
    out.push({
      type: "tool-call-delta",
      index: item.index,
      argumentsDelta: item.kind === "custom_tool_call" ? escapeJson(text) : text,
    });
  };

  const toolCatchUp = (item: ItemState, full: string | undefined, out: StreamEvent[]) => {
    if (full !== undefined && full.length > item.emitted) {
      toolDelta(item, full.slice(item.emitted), out);
    }
  };

  // ------------------------------------------------------------ items

  const closeItem = (item: ItemState, out: StreamEvent[], final?: RawItem) => {
    switch (item.kind) {
      case "message": {
        const content = final && Array.isArray(final.content) ? final.content : [];
        content.forEach((part, contentIndex) => {
          if (!isObject(part)) return;
          const refusal = part.type === "refusal";
          const full = stringOrEmpty(refusal ? part.refusal : part.text);
          const block = item.parts.get(contentIndex) ??
            (full ? textBlock(item, contentIndex, refusal, out) : undefined);
          if (block) textEnd(block, full, out);
        });
        for (const block of item.parts.values()) textEnd(block, undefined, out);
        return;
      }
      case "reasoning": {
        if (!item.open) return;
        if (final) {
          const summary = Array.isArray(final.summary) ? final.summary : [];
          summary.forEach((part, partIndex) =>
            reasoningCatchUp(
              item,
              item.summary,
              partIndex,
              stringOrEmpty(isObject(part) ? part.text : ""),
              out,
            )
          );
          if (summary.length === 0 && Array.isArray(final.content)) {
            final.content.forEach((part, partIndex) =>
              reasoningCatchUp(
                item,
                item.content,
                partIndex,
                stringOrEmpty(isObject(part) ? part.text : ""),
                out,
              )
            );
          }
          if (typeof final.encrypted_content === "string") {
            out.push({
              type: "reasoning-signature",
              index: item.index,
              encrypted: final.encrypted_content,
            });
          }
        }
        item.open = false;
        out.push({ type: "reasoning-end", index: item.index });
        return;
      }
      case "function_call":
      case "custom_tool_call": {
        if (!item.open) return;
        if (final) {
          toolCatchUp(
            item,
            item.kind === "custom_tool_call"
              ? stringOrEmpty(final.input)
              : stringOrEmpty(final.arguments),
            out,
          );
        }
        if (item.kind === "custom_tool_call") {
          out.push({ type: "tool-call-delta", index: item.index, argumentsDelta: CUSTOM_SUFFIX });
        }
        item.open = false;
        out.push({ type: "tool-call-end", index: item.index });
        return;
      }
      case "other":
        return;
    }
  };

  const openItem = (outputIndex: number, raw: RawItem, out: StreamEvent[]): ItemState => {
    sawItems = true;
    let item: ItemState;
    switch (raw.type) {
      case "message": {
        item = newItem("message");
        const memo: PartMemo = { item: extrasOf(raw, MESSAGE_KEYS) ?? {} };
        if (typeof raw.id === "string") memo.itemId = raw.id;
        item.memo = memo;
        break;
      }
      case "reasoning": {
        item = newItem("reasoning", nextIndex++);
        const event: StreamEvent = { type: "reasoning-start", index: item.index };
        if (typeof raw.id === "string") event.id = raw.id;
        out.push(event);
        break;
      }
      case "function_call":
      case "custom_tool_call": {
        item = newItem(raw.type, nextIndex++);
        hasToolCalls = true;
        out.push({
          type: "tool-call-start",
          index: item.index,
          id: stringOrEmpty(raw.call_id) || stringOrEmpty(raw.id),
          name: decodeCallName(raw.namespace, stringOrEmpty(raw.name)).name,
        });
        if (raw.type === "custom_tool_call") {
          out.push({ type: "tool-call-delta", index: item.index, argumentsDelta: CUSTOM_PREFIX });
          toolDelta(item, stringOrEmpty(raw.input), out);
        } else toolDelta(item, stringOrEmpty(raw.arguments), out);
        break;
      }
      default:
        item = newItem("other");
    }
    items.set(outputIndex, item);
    return item;
  };

  /** The item an event names; a message item when its `added` never came. */
  const itemFor = (event: StreamEventWire, out: StreamEvent[]): ItemState => {
    const outputIndex = event.output_index ?? -1;
    return items.get(outputIndex) ??
      openItem(outputIndex, { type: "message", id: stringOrEmpty(event.item_id) }, out);
  };

  // ------------------------------------------------------------ terminal events

  /** A terminal event's output replayed, when no item events came before it. */
  const replayOutput = (output: unknown, out: StreamEvent[]) => {
    const decoded = decodeOutput(output);
    hasToolCalls ||= decoded.hasToolCalls;
    hasRefusal ||= decoded.hasRefusal;
    for (const part of decoded.content) {
      const index = nextIndex++;
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
  };

  const finish = (response: Partial<ResponseObject> | undefined, out: StreamEvent[]) => {
    start(out, response);
    if (!sawItems && response) replayOutput(response.output, out);
    for (const item of items.values()) closeItem(item, out);
    const incomplete = isObject(response?.incomplete_details)
      ? stringOrEmpty(response.incomplete_details.reason)
      : undefined;
    const event: StreamEvent = {
      type: "finish",
      stopReason: decodeStatus(
        stringOrEmpty(response?.status) || "completed",
        incomplete,
        hasToolCalls,
        hasRefusal,
      ),
    };
    const usage = decodeUsage(response?.usage as ResponsesUsage | undefined);
    if (Object.keys(usage).length > 0) event.usage = usage;
    out.push(event);
    done = true;
  };

  const fail = (error: ResponseErrorObject | undefined, out: StreamEvent[]) => {
    out.push({
      type: "error",
      error: errorFromObject(error ?? { message: "the upstream response failed" }, 0),
    });
    done = true;
  };

  // ------------------------------------------------------------ dispatch

  const handle = (event: StreamEventWire, out: StreamEvent[]) => {
    switch (event.type) {
      case "response.created":
      case "response.in_progress":
      case "response.queued":
        return start(out, event.response);
      case "response.output_item.added":
        start(out);
        if (isObject(event.item)) openItem(event.output_index ?? -1, event.item, out);
        return;
      case "response.output_item.done": {
        if (!isObject(event.item)) return;
        start(out);
        const item = items.get(event.output_index ?? -1) ??
          openItem(event.output_index ?? -1, event.item, out);
        return closeItem(item, out, event.item);
      }
      case "response.content_part.added": {
        const item = itemFor(event, out);
        if (item.kind === "message") {
          textBlock(item, event.content_index ?? 0, event.part?.type === "refusal", out);
        }
        return;
      }
      case "response.output_text.delta":
      case "response.refusal.delta": {
        const item = itemFor(event, out);
        if (item.kind !== "message") return;
        const refusal = event.type === "response.refusal.delta";
        textDelta(
          textBlock(item, event.content_index ?? 0, refusal, out),
          stringOrEmpty(event.delta),
          out,
        );
        return;
      }
      case "response.output_text.done":
      case "response.refusal.done": {
        const item = itemFor(event, out);
        if (item.kind !== "message") return;
        const refusal = event.type === "response.refusal.done";
        const block = textBlock(item, event.content_index ?? 0, refusal, out);
        return textEnd(
          block,
          refusal ? stringOrEmpty(event.refusal) : stringOrEmpty(event.text),
          out,
        );
      }
      case "response.content_part.done": {
        const item = itemFor(event, out);
        const block = item.parts.get(event.content_index ?? 0);
        if (!block) return;
        const part = event.part;
        return textEnd(block, part?.type === "refusal" ? part.refusal : part?.text, out);
      }
      case "response.reasoning_summary_part.added":
      case "response.reasoning_summary_text.delta":
      case "response.reasoning_summary_text.done":
      case "response.reasoning_summary_part.done":
      case "response.reasoning_text.delta":
      case "response.reasoning_text.done": {
        const item = items.get(event.output_index ?? -1);
        if (item?.kind !== "reasoning") return;
        const summary = event.type.startsWith("response.reasoning_summary");
        const counts = summary ? item.summary : item.content;
        const partIndex = (summary ? event.summary_index : event.content_index) ?? 0;
        if (event.type.endsWith(".delta")) {
          return reasoningDelta(item, counts, partIndex, stringOrEmpty(event.delta), out);
        }
        const full = event.type.endsWith("part.done") ? event.part?.text : event.text;
        return reasoningCatchUp(item, counts, partIndex, stringOrEmpty(full), out);
      }
      case "response.function_call_arguments.delta":
      case "response.custom_tool_call_input.delta": {
        const item = items.get(event.output_index ?? -1);
        if (item?.kind === "function_call" || item?.kind === "custom_tool_call") {
          toolDelta(item, stringOrEmpty(event.delta), out);
        }
        return;
      }
      case "response.function_call_arguments.done":
      case "response.custom_tool_call_input.done": {
        const item = items.get(event.output_index ?? -1);
        if (item?.kind === "function_call" || item?.kind === "custom_tool_call") {
          toolCatchUp(item, item.kind === "function_call" ? event.arguments : event.input, out);
        }
        return;
      }
      case "response.completed":
      case "response.incomplete":
      case "response.done":
        return finish(event.response, out);
      case "response.failed":
        start(out, event.response);
        return fail(
          isObject(event.response?.error) ? event.response.error : undefined,
          out,
        );
      case "error":
        start(out);
        return fail(
          isObject(event.error) ? event.error : { code: event.code, message: event.message },
          out,
        );
    }
  };

  return {
    decode(sse: SseEvent): StreamEvent[] {
      if (done) return [];
      const data = sse.data.trim();
      if (data === "" || data === "[DONE]") return [];
      let event: StreamEventWire;
      try {
        event = JSON.parse(data) as StreamEventWire;
      } catch {
        done = true;
        return [{
          type: "error",
          error: apiError(
            "api_error",
            `upstream sent an event that is not JSON: ${data.slice(0, 200)}`,
            {
              status: 502,
            },
          ).error,
        }];
      }
      if (!isObject(event)) return [];
      if (typeof event.type !== "string" && sse.event) event.type = sse.event;
      const out: StreamEvent[] = [];
      handle(event, out);
      return out;
    },
    end(): StreamEvent[] {
      if (done) return [];
      done = true;
      return [{
        type: "error",
        error: apiError("api_error", "upstream stream ended before the response completed", {
          status: 502,
        }).error,
      }];
    },
  };
}
