/**
 * @module
 * The output items of a Responses stream as the decoder (decode-stream.ts) follows them: its
 * state, and how each kind of item opens, grows and closes as canonical blocks.
 *
 * - A message item's content parts are text blocks, one per `content_index`; the first carries
 *   the item's id and unknown fields (Codex's `phase`) in `providerData`, a refusal part is
 *   marked.
 * - A reasoning item is one reasoning block: its summary parts (or, without a summary, its
 *   `reasoning_text` parts) joined by a blank line, and its `encrypted_content` as a
 *   `reasoning-signature` when it closes.
 * - A `function_call` or `custom_tool_call` item is one tool call; a custom call's raw input is
 *   sent as the JSON string of `{"input": …}`, escaped as it streams.
 * - The `*.done` events and `output_item.done` carry full text: whatever the deltas did not
 *   deliver (some servers send none) goes out as a last delta.
 */
import type { StreamEvent } from "../../ir/stream-event.ts";
import type { ProviderData } from "../../ir/message.ts";
import { extrasOf, isObject, stringOrEmpty } from "../../ir/json.ts";
import { DIALECT } from "./decode-common.ts";
import { decodeCallName } from "./tool-names.ts";
import type { PartMemo, StreamItem } from "./wire-types.ts";

export interface TextBlock {
  index: number;
  /** Characters delivered. */
  emitted: number;
  open: boolean;
}

type ItemKind = "message" | "reasoning" | "function_call" | "custom_tool_call" | "other";

export interface ItemState {
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

export interface DecoderState {
  started: boolean;
  /** A terminal event or a failure came: later events are ignored. */
  done: boolean;
  /** Some item event came (else a terminal event's output is replayed). */
  sawItems: boolean;
  nextIndex: number;
  hasToolCalls: boolean;
  hasRefusal: boolean;
  /** `output_index` → its item. */
  items: Map<number, ItemState>;
}

const MESSAGE_KEYS = new Set(["type", "id", "role", "content", "status"]);
const CUSTOM_PREFIX = '{"input":"';
const CUSTOM_SUFFIX = '"}';

function newItem(kind: ItemKind, index = -1): ItemState {
  return {
    kind,
    index,
    open: index >= 0,
    emitted: 0,
    parts: new Map(),
    summary: [],
    content: [],
  };
}

// ------------------------------------------------------------ opening items

/** Starts following the item at `outputIndex`, with the events its start says. */
export function openItem(
  state: DecoderState,
  outputIndex: number,
  raw: StreamItem,
  out: StreamEvent[],
): ItemState {
  state.sawItems = true;
  let item: ItemState;
  switch (raw.type) {
    case "message":
      item = openMessage(raw);
      break;
    case "reasoning":
      item = openReasoning(state, raw, out);
      break;
    case "function_call":
    case "custom_tool_call":
      item = openToolCall(state, raw.type, raw, out);
      break;
    default:
      item = newItem("other");
  }
  state.items.set(outputIndex, item);
  return item;
}

/** A message opens no block yet: each content part will. */
function openMessage(raw: StreamItem): ItemState {
  const item = newItem("message");
  const memo: PartMemo = { item: extrasOf(raw, MESSAGE_KEYS) ?? {} };
  if (typeof raw.id === "string") memo.itemId = raw.id;
  item.memo = memo;
  return item;
}

function openReasoning(state: DecoderState, raw: StreamItem, out: StreamEvent[]): ItemState {
  const item = newItem("reasoning", state.nextIndex++);
  const event: StreamEvent = { type: "reasoning-start", index: item.index };
  if (typeof raw.id === "string") event.id = raw.id;
  out.push(event);
  return item;
}

function openToolCall(
  state: DecoderState,
  kind: "function_call" | "custom_tool_call",
  raw: StreamItem,
  out: StreamEvent[],
): ItemState {
  const item = newItem(kind, state.nextIndex++);
  state.hasToolCalls = true;
  out.push({
    type: "tool-call-start",
    index: item.index,
    id: stringOrEmpty(raw.call_id) || stringOrEmpty(raw.id),
    name: decodeCallName(raw.namespace, stringOrEmpty(raw.name)).name,
  });
  if (kind === "custom_tool_call") {
    out.push({ type: "tool-call-delta", index: item.index, argumentsDelta: CUSTOM_PREFIX });
    toolDelta(item, stringOrEmpty(raw.input), out);
  } else toolDelta(item, stringOrEmpty(raw.arguments), out);
  return item;
}

// ------------------------------------------------------------ message text

/** The text block of a message's content part, opened when it is new. */
export function textBlock(
  state: DecoderState,
  item: ItemState,
  contentIndex: number,
  refusal: boolean,
  out: StreamEvent[],
): TextBlock {
  let block = item.parts.get(contentIndex);
  if (block) return block;
  block = { index: state.nextIndex++, emitted: 0, open: true };
  item.parts.set(contentIndex, block);
  const memo: PartMemo = item.parts.size === 1 && item.memo ? { ...item.memo } : {};
  if (refusal) {
    memo.refusal = true;
    state.hasRefusal = true;
  }
  const event: StreamEvent = { type: "text-start", index: block.index };
  if (Object.keys(memo).length > 0) {
    event.providerData = { [DIALECT]: memo as Record<string, unknown> } as ProviderData;
  }
  out.push(event);
  return block;
}

export function textDelta(block: TextBlock, text: string, out: StreamEvent[]): void {
  if (!text || !block.open) return;
  block.emitted += text.length;
  out.push({ type: "text-delta", index: block.index, text });
}

/** Delivers what `full` has beyond what was streamed, then closes the block. */
export function textEnd(block: TextBlock, full: string | undefined, out: StreamEvent[]): void {
  if (!block.open) return;
  if (full !== undefined && full.length > block.emitted) {
    textDelta(block, full.slice(block.emitted), out);
  }
  block.open = false;
  out.push({ type: "text-end", index: block.index });
}

// ------------------------------------------------------------ reasoning

/** Text of reasoning part `partIndex` (`counts` says how much each part has delivered). */
export function reasoningDelta(
  item: ItemState,
  counts: number[],
  partIndex: number,
  text: string,
  out: StreamEvent[],
): void {
  if (!item.open) return;
  if (counts[partIndex] === undefined) {
    counts[partIndex] = 0;
    if (partIndex > 0) out.push({ type: "reasoning-delta", index: item.index, text: "\n\n" });
  }
  if (!text) return;
  counts[partIndex] += text.length;
  out.push({ type: "reasoning-delta", index: item.index, text });
}

/** Delivers what reasoning part `partIndex`'s `full` text has beyond what was streamed. */
export function reasoningCatchUp(
  item: ItemState,
  counts: number[],
  partIndex: number,
  full: string,
  out: StreamEvent[],
): void {
  reasoningDelta(item, counts, partIndex, "", out);
  if (full.length > counts[partIndex]) {
    reasoningDelta(item, counts, partIndex, full.slice(counts[partIndex]), out);
  }
}

// ------------------------------------------------------------ tool calls

export function toolDelta(item: ItemState, text: string, out: StreamEvent[]): void {
  if (!text || !item.open) return;
  item.emitted += text.length;
  out.push({
    type: "tool-call-delta",
    index: item.index,
    argumentsDelta: item.kind === "custom_tool_call" ? escapeJson(text) : text,
  });
}

/** Delivers what `full` (the whole arguments or input) has beyond what was streamed. */
export function toolCatchUp(item: ItemState, full: string | undefined, out: StreamEvent[]): void {
  if (full !== undefined && full.length > item.emitted) {
    toolDelta(item, full.slice(item.emitted), out);
  }
}

/** A raw string as the inside of a JSON string literal. */
function escapeJson(text: string): string {
  return JSON.stringify(text).slice(1, -1);
}

// ------------------------------------------------------------ closing items

/** Closes an item's blocks, first catching up on what `final` (its whole form) says. */
export function closeItem(
  state: DecoderState,
  item: ItemState,
  out: StreamEvent[],
  final?: StreamItem,
): void {
  switch (item.kind) {
    case "message":
      return closeMessage(state, item, final, out);
    case "reasoning":
      return closeReasoning(item, final, out);
    case "function_call":
    case "custom_tool_call":
      return closeToolCall(item, final, out);
    case "other":
      return;
  }
}

function closeMessage(
  state: DecoderState,
  item: ItemState,
  final: StreamItem | undefined,
  out: StreamEvent[],
): void {
  const content = final && Array.isArray(final.content) ? final.content : [];
  for (let contentIndex = 0; contentIndex < content.length; contentIndex++) {
    const part = content[contentIndex];
    if (!isObject(part)) continue;
    const refusal = part.type === "refusal";
    const full = stringOrEmpty(refusal ? part.refusal : part.text);
    // A part no event announced still counts when it has text.
    const block = item.parts.get(contentIndex) ??
      (full ? textBlock(state, item, contentIndex, refusal, out) : undefined);
    if (block) textEnd(block, full, out);
  }
  for (const block of item.parts.values()) textEnd(block, undefined, out);
}

function closeReasoning(item: ItemState, final: StreamItem | undefined, out: StreamEvent[]): void {
  if (!item.open) return;
  if (final) {
    const summary = Array.isArray(final.summary) ? final.summary : [];
    catchUpParts(item, item.summary, summary, out);
    if (summary.length === 0 && Array.isArray(final.content)) {
      catchUpParts(item, item.content, final.content, out);
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
}

function catchUpParts(item: ItemState, counts: number[], parts: unknown[], out: StreamEvent[]) {
  for (let partIndex = 0; partIndex < parts.length; partIndex++) {
    const part = parts[partIndex];
    reasoningCatchUp(item, counts, partIndex, stringOrEmpty(isObject(part) ? part.text : ""), out);
  }
}

function closeToolCall(item: ItemState, final: StreamItem | undefined, out: StreamEvent[]): void {
  if (!item.open) return;
  const custom = item.kind === "custom_tool_call";
  if (final) toolCatchUp(item, stringOrEmpty(custom ? final.input : final.arguments), out);
  if (custom) {
    out.push({ type: "tool-call-delta", index: item.index, argumentsDelta: CUSTOM_SUFFIX });
  }
  item.open = false;
  out.push({ type: "tool-call-end", index: item.index });
}
