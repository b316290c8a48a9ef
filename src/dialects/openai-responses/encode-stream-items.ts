/**
 * @module
 * The output items of a Responses stream being written for a client (see encode-stream.ts):
 * the encoder's state, and the events with which each kind of item is added, grows and is done.
 *
 * - A text block is a message item with one content part: `output_text`, or `refusal` for
 *   refusal-marked text.
 * - A reasoning block is a reasoning item with one summary part, opened by its first text; its
 *   encrypted content (not that of a redacted block) goes on the done item.
 * - A tool call is a `function_call` item whose arguments stream, or a `custom_tool_call` (a call
 *   of one of the request's custom tools) whose input is sent in one delta when the call ends.
 *
 * Each event costs one `JSON.stringify`; every finished item is kept in `output` for the
 * terminal event's response object.
 */
import type { CanonicalRequest } from "../../ir/request.ts";
import type { Usage } from "../../ir/response.ts";
import { formatSse } from "../../sse/parse-sse.ts";
import { customInput } from "./encode-request.ts";
import type { WireToolName } from "./tool-names.ts";
import { callNameFields } from "./tool-names.ts";
import type { OutputItem, PartMemo, ResponseObject } from "./wire-types.ts";

export interface TextState {
  kind: "text";
  outputIndex: number;
  itemId: string;
  refusal: boolean;
  text: string;
  item: OutputItem;
}

export interface ReasoningState {
  kind: "reasoning";
  outputIndex: number;
  itemId: string;
  text: string;
  partOpen: boolean;
  redacted: boolean;
  encrypted?: string;
}

export interface ToolState {
  kind: "tool";
  outputIndex: number;
  itemId: string;
  callId: string;
  /** The call item's `name` (and `namespace`) as the client offered the tool. */
  named: { name: string; namespace?: string };
  custom: boolean;
  args: string;
}

type BlockState = TextState | ReasoningState | ToolState;

export interface EncoderState {
  /** The request being answered: its settings are echoed in the response object. */
  request: CanonicalRequest;
  /** The request's tools by canonical name, as the client named them. */
  names: Map<string, WireToolName>;
  sequence: number;
  /** The response object as `response.created` sent it; undefined until then. */
  shell: ResponseObject | undefined;
  /** Makes an item id from a prefix (`msg`, `rs`, `fc` …). */
  nextId: (prefix: string) => string;
  /** `response.completed` (or failed, incomplete) was sent: the stream is over. */
  terminal: boolean;
  hasToolCalls: boolean;
  hasRefusal: boolean;
  usage: Usage;
  /** Every item so far, done or not, by output index. */
  output: OutputItem[];
  /** Canonical block index → the item it writes to, while it is open. */
  blocks: Map<number, BlockState>;
  usedIds: Set<string>;
}

/** One event: `event: <type>` and its data, numbered. */
export function send(state: EncoderState, type: string, fields: Record<string, unknown>): string {
  return formatSse(
    JSON.stringify({ type, sequence_number: state.sequence++, ...fields }),
    type,
  );
}

/** `wanted` (the upstream's item id) unless it is taken, else a new id. */
function freshId(state: EncoderState, wanted: string | undefined, prefix: string): string {
  const id = wanted && !state.usedIds.has(wanted) ? wanted : state.nextId(prefix);
  state.usedIds.add(id);
  return id;
}

function itemAdded(state: EncoderState, block: BlockState): string {
  return send(state, "response.output_item.added", {
    output_index: block.outputIndex,
    item: state.output[block.outputIndex],
  });
}

// ------------------------------------------------------------ text

/** Opens a message item for canonical block `index`; returns its `added` events. */
export function addText(
  state: EncoderState,
  index: number,
  memo: PartMemo,
  chatRefusal: boolean,
): string {
  const refusal = memo.refusal === true || chatRefusal;
  if (refusal) state.hasRefusal = true;
  const itemId = freshId(state, memo.itemId, "msg");
  const block: TextState = {
    kind: "text",
    outputIndex: state.output.length,
    itemId,
    refusal,
    text: "",
    item: {
      ...memo.item,
      id: itemId,
      type: "message",
      status: "in_progress",
      content: [],
      role: "assistant",
    },
  };
  state.blocks.set(index, block);
  state.output.push(block.item);
  return itemAdded(state, block) +
    send(state, "response.content_part.added", {
      item_id: block.itemId,
      output_index: block.outputIndex,
      content_index: 0,
      part: refusal
        ? { type: "refusal", refusal: "" }
        : { type: "output_text", annotations: [], logprobs: [], text: "" },
    });
}

export function textDelta(state: EncoderState, block: TextState, delta: string): string {
  block.text += delta;
  const base = { item_id: block.itemId, output_index: block.outputIndex, content_index: 0 };
  return block.refusal
    ? send(state, "response.refusal.delta", { ...base, delta })
    : send(state, "response.output_text.delta", { ...base, delta, logprobs: [] });
}

function textDone(state: EncoderState, block: TextState): string {
  const base = { item_id: block.itemId, output_index: block.outputIndex, content_index: 0 };
  const part = block.refusal
    ? { type: "refusal", refusal: block.text }
    : { type: "output_text", annotations: [], logprobs: [], text: block.text };
  const item = { ...block.item, status: "completed", content: [part] };
  state.output[block.outputIndex] = item;
  return (block.refusal
    ? send(state, "response.refusal.done", { ...base, refusal: block.text })
    : send(state, "response.output_text.done", { ...base, text: block.text, logprobs: [] })) +
    send(state, "response.content_part.done", { ...base, part }) +
    send(state, "response.output_item.done", { output_index: block.outputIndex, item });
}

// ------------------------------------------------------------ reasoning

/** Opens a reasoning item for canonical block `index`; returns its `added` event. */
export function addReasoning(
  state: EncoderState,
  index: number,
  id: string | undefined,
  redacted: boolean,
  encrypted: string | undefined,
): string {
  const block: ReasoningState = {
    kind: "reasoning",
    outputIndex: state.output.length,
    itemId: freshId(state, id, "rs"),
    text: "",
    partOpen: false,
    redacted,
  };
  if (encrypted !== undefined && !redacted) block.encrypted = encrypted;
  state.blocks.set(index, block);
  state.output.push({ id: block.itemId, type: "reasoning", summary: [] });
  return itemAdded(state, block);
}

/** Reasoning text, in the item's one summary part (added with its first text). */
export function reasoningDelta(state: EncoderState, block: ReasoningState, delta: string): string {
  let text = "";
  const base = { item_id: block.itemId, output_index: block.outputIndex, summary_index: 0 };
  if (!block.partOpen) {
    block.partOpen = true;
    text += send(state, "response.reasoning_summary_part.added", {
      ...base,
      part: { type: "summary_text", text: "" },
    });
  }
  block.text += delta;
  return text + send(state, "response.reasoning_summary_text.delta", { ...base, delta });
}

function reasoningDone(state: EncoderState, block: ReasoningState): string {
  let text = "";
  const base = { item_id: block.itemId, output_index: block.outputIndex, summary_index: 0 };
  const summary = block.partOpen ? [{ type: "summary_text", text: block.text }] : [];
  if (block.partOpen) {
    text += send(state, "response.reasoning_summary_text.done", { ...base, text: block.text }) +
      send(state, "response.reasoning_summary_part.done", { ...base, part: summary[0] });
  }
  const item: OutputItem = { id: block.itemId, type: "reasoning", summary };
  if (block.encrypted !== undefined) item.encrypted_content = block.encrypted;
  state.output[block.outputIndex] = item;
  return text + send(state, "response.output_item.done", { output_index: block.outputIndex, item });
}

// ------------------------------------------------------------ tool calls

/** Opens a call item for canonical block `index`; returns its `added` event. */
export function addToolCall(
  state: EncoderState,
  index: number,
  callId: string,
  name: string,
): string {
  const custom = state.names.get(name)?.custom === true;
  state.hasToolCalls = true;
  const block: ToolState = {
    kind: "tool",
    outputIndex: state.output.length,
    itemId: freshId(state, undefined, custom ? "ctc" : "fc"),
    callId,
    named: callNameFields(name, state.names),
    custom,
    args: "",
  };
  state.blocks.set(index, block);
  state.output.push(callItem(block, "in_progress"));
  return itemAdded(state, block);
}

/** A call item as it stands: a custom call's input is known only when the call is done. */
function callItem(block: ToolState, status: string, input = ""): OutputItem {
  return block.custom
    ? {
      id: block.itemId,
      type: "custom_tool_call",
      status,
      call_id: block.callId,
      ...block.named,
      input,
    }
    : {
      id: block.itemId,
      type: "function_call",
      status,
      arguments: block.args,
      call_id: block.callId,
      ...block.named,
    };
}

export function toolDelta(state: EncoderState, block: ToolState, delta: string): string {
  block.args += delta;
  if (block.custom) return "";
  return send(state, "response.function_call_arguments.delta", {
    item_id: block.itemId,
    output_index: block.outputIndex,
    delta,
  });
}

function toolDone(state: EncoderState, block: ToolState): string {
  const base = { item_id: block.itemId, output_index: block.outputIndex };
  let text = "";
  let item: OutputItem;
  if (block.custom) {
    const input = customInput(block.args);
    if (input) {
      text += send(state, "response.custom_tool_call_input.delta", { ...base, delta: input });
    }
    item = callItem(block, "completed", input);
  } else {
    text += send(state, "response.function_call_arguments.done", {
      ...base,
      ...block.named,
      arguments: block.args,
    });
    item = callItem(block, "completed");
  }
  state.output[block.outputIndex] = item;
  return text + send(state, "response.output_item.done", { output_index: block.outputIndex, item });
}

// ------------------------------------------------------------ ending blocks

/** The `done` events of canonical block `index`'s item, if it is open. */
export function endBlock(state: EncoderState, index: number): string {
  const block = state.blocks.get(index);
  if (!block) return "";
  state.blocks.delete(index);
  switch (block.kind) {
    case "text":
      return textDone(state, block);
    case "reasoning":
      return reasoningDone(state, block);
    case "tool":
      return toolDone(state, block);
  }
}

export function endAll(state: EncoderState): string {
  let text = "";
  for (const index of [...state.blocks.keys()]) text += endBlock(state, index);
  return text;
}
