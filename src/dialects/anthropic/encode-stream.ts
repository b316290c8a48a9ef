/**
 * @module
 * Canonical stream events as Anthropic Messages SSE for the client, one
 * handler per event type. Each event costs one `JSON.stringify` (of its text or
 * block) inside a fixed frame.
 *
 * - `message_start` carries the request's model (the pipeline sets
 *   `request.model` to the model the client asked for); it is sent before the
 *   first block even when the upstream sent no `start`.
 * - Blocks are numbered 0, 1, … in order of appearance, whatever the canonical
 *   indexes. A new block closes an open text or thinking block first, and a
 *   late delta for such a closed block opens a new one of the same kind; a
 *   late argument fragment or signature goes to its block's old index
 *   (clients reassemble by index).
 * - Text → text blocks (`providerData.anthropic.citations` → `citations_delta`s
 *   before the text); reasoning → thinking (`signature_delta` for a signature)
 *   or redacted_thinking; tool calls → tool_use with `input_json_delta`s, even
 *   when the arguments come whole. Encrypted reasoning on a thinking block
 *   (OpenAI's) has no Anthropic form and is dropped.
 * - `finish` → `message_delta` (stop reason, cumulative usage) and
 *   `message_stop`; `error` → `event: error` in Anthropic's shape, which ends
 *   the stream. `end()` closes open blocks and finishes an unfinished answer.
 */
import type { StreamEncoder } from "../codec.ts";
import type { CanonicalRequest } from "../../ir/request.ts";
import type { StopReason, Usage } from "../../ir/response.ts";
import type { StreamEvent } from "../../ir/stream-event.ts";
import { encodeError } from "./encode-error.ts";
import { formatSse } from "../../sse/parse-sse.ts";
import { encodeUsage, messageId, wrapForeignReasoning } from "./encode-response.ts";
import { encodeStopReason } from "./map-stop-reason.ts";
import type { AnthropicUsage } from "./wire-types.ts";

type BlockKind = "text" | "thinking" | "redacted" | "tool";

interface Block {
  /** The Anthropic index. */
  index: number;
  kind: BlockKind;
  open: boolean;
}

interface EncoderState {
  /** The model the client asked for, named in `message_start`. */
  model: string;
  started: boolean;
  /** message_stop or an error was written: the stream is over. */
  done: boolean;
  next: number;
  /** Canonical index → the Anthropic block it writes to. */
  blocks: Map<number, Block>;
  /** The open text or thinking block, closed when another block starts. */
  current: Block | undefined;
  usage: Partial<Usage>;
  sawTool: boolean;
}

/** Where a handler collects the SSE text it writes before the part it returns. */
interface Output {
  text: string;
}

type EventOf<T extends StreamEvent["type"]> = Extract<StreamEvent, { type: T }>;

const TEXT_BLOCK = '{"type":"text","text":""}';
const CITED_TEXT_BLOCK = '{"type":"text","text":"","citations":[]}';
const THINKING_BLOCK = '{"type":"thinking","thinking":"","signature":""}';

function mergeUsage(base: Partial<Usage>, next: Partial<Usage> | undefined): Partial<Usage> {
  if (!next) return base;
  const merged = { ...base };
  for (const key in next) {
    const value = next[key as keyof Usage];
    if (value !== undefined) merged[key as keyof Usage] = value;
  }
  return merged;
}

/** `message_delta`'s usage: the counts known so far, output_tokens always. */
function deltaUsage(usage: Partial<Usage>): AnthropicUsage {
  const out: AnthropicUsage = { input_tokens: 0, output_tokens: 0 };
  const cached = usage.cachedInputTokens;
  const written = usage.cacheCreationInputTokens;
  if (usage.inputTokens !== undefined) {
    out.input_tokens = Math.max(0, usage.inputTokens - (cached ?? 0) - (written ?? 0));
  }
  if (written !== undefined) out.cache_creation_input_tokens = written;
  if (cached !== undefined) out.cache_read_input_tokens = cached;
  out.output_tokens = usage.outputTokens ?? 0;
  if (usage.reasoningTokens !== undefined) {
    out.output_tokens_details = { thinking_tokens: usage.reasoningTokens };
  }
  return out;
}

export function createStreamEncoder(request: CanonicalRequest): StreamEncoder {
  const state: EncoderState = {
    model: request.model,
    started: false,
    done: false,
    next: 0,
    blocks: new Map(),
    current: undefined,
    usage: {},
    sawTool: false,
  };
  return {
    encode: (event) => state.done ? "" : encodeEvent(state, event),
    end: () => state.done ? "" : finish(state, state.sawTool ? "tool-calls" : "end"),
  };
}

/** Dispatches an event to its handler. */
function encodeEvent(state: EncoderState, event: StreamEvent): string {
  switch (event.type) {
    case "start":
      state.usage = mergeUsage(state.usage, event.usage);
      return state.started ? "" : messageStart(state, event.id);
    case "text-start":
      return onTextStart(state, event);
    case "text-delta":
      return onTextDelta(state, event);
    case "reasoning-start":
      return onReasoningStart(state, event);
    case "reasoning-delta":
      return onReasoningDelta(state, event);
    case "reasoning-signature":
      return onReasoningSignature(state, event);
    case "tool-call-start":
      return onToolCallStart(state, event);
    case "tool-call-delta":
      return onToolCallDelta(state, event);
    case "text-end":
    case "reasoning-end":
    case "tool-call-end":
      return onBlockEnd(state, event.index);
    case "usage":
      state.usage = mergeUsage(state.usage, event.usage);
      return "";
    case "finish":
      state.usage = mergeUsage(state.usage, event.usage);
      return finish(state, event.stopReason, event.stopSequence);
    case "error":
      state.done = true;
      return formatSse(JSON.stringify(encodeError(event.error)), "error");
  }
}

// ------------------------------------------------------------ handlers

function onTextStart(state: EncoderState, event: EventOf<"text-start">): string {
  const out: Output = { text: "" };
  const citations = event.providerData?.anthropic?.citations;
  const cited = Array.isArray(citations) && citations.length > 0;
  const block = open(state, event.index, "text", cited ? CITED_TEXT_BLOCK : TEXT_BLOCK, out);
  if (cited) {
    for (const citation of citations) {
      out.text += delta(block, `{"type":"citations_delta","citation":${JSON.stringify(citation)}}`);
    }
  }
  return out.text;
}

function onTextDelta(state: EncoderState, event: EventOf<"text-delta">): string {
  if (event.text === "") return "";
  const out: Output = { text: "" };
  const block = writable(state, event.index, "text", out);
  return out.text + delta(block, `{"type":"text_delta","text":${JSON.stringify(event.text)}}`);
}

function onReasoningStart(state: EncoderState, event: EventOf<"reasoning-start">): string {
  const out: Output = { text: "" };
  if (event.redacted) {
    const data = JSON.stringify(event.encrypted ?? "");
    open(state, event.index, "redacted", `{"type":"redacted_thinking","data":${data}}`, out);
  } else open(state, event.index, "thinking", THINKING_BLOCK, out);
  return out.text;
}

function onReasoningDelta(state: EncoderState, event: EventOf<"reasoning-delta">): string {
  if (event.text === "" || state.blocks.get(event.index)?.kind === "redacted") return "";
  const out: Output = { text: "" };
  const block = writable(state, event.index, "thinking", out);
  return out.text +
    delta(block, `{"type":"thinking_delta","thinking":${JSON.stringify(event.text)}}`);
}

function onReasoningSignature(state: EncoderState, event: EventOf<"reasoning-signature">): string {
  // Another provider's signature or encrypted reasoning travels wrapped, so the client can
  // send it back and a later turn to that provider gets it unchanged.
  const foreign = event.origin !== undefined && event.origin !== "anthropic";
  const signature = foreign
    ? wrapForeignReasoning({
      type: "reasoning",
      text: "",
      origin: event.origin,
      signature: event.signature,
      encrypted: event.encrypted,
    })
    : event.signature;
  if (!signature) return "";
  const known = state.blocks.get(event.index);
  if (known?.kind === "redacted") return "";
  const out: Output = { text: "" };
  const block = known ?? writable(state, event.index, "thinking", out);
  return out.text +
    delta(block, `{"type":"signature_delta","signature":${JSON.stringify(signature)}}`);
}

function onToolCallStart(state: EncoderState, event: EventOf<"tool-call-start">): string {
  state.sawTool = true;
  const out: Output = { text: "" };
  const contentBlock = JSON.stringify({
    type: "tool_use",
    id: event.id,
    name: event.name,
    input: {},
  });
  open(state, event.index, "tool", contentBlock, out);
  return out.text;
}

function onToolCallDelta(state: EncoderState, event: EventOf<"tool-call-delta">): string {
  const block = state.blocks.get(event.index);
  if (block?.kind !== "tool" || event.argumentsDelta === "") return "";
  return delta(
    block,
    `{"type":"input_json_delta","partial_json":${JSON.stringify(event.argumentsDelta)}}`,
  );
}

function onBlockEnd(state: EncoderState, index: number): string {
  const block = state.blocks.get(index);
  return block?.open ? stop(state, block) : "";
}

// ------------------------------------------------------------ frames and blocks

function messageStart(state: EncoderState, id: string): string {
  state.started = true;
  const message = {
    id: messageId(id),
    type: "message",
    role: "assistant",
    model: state.model,
    content: [],
    stop_reason: null,
    stop_sequence: null,
    usage: encodeUsage(state.usage),
  };
  return formatSse(JSON.stringify({ type: "message_start", message }), "message_start");
}

function ensureStarted(state: EncoderState): string {
  return state.started ? "" : messageStart(state, "");
}

function stop(state: EncoderState, block: Block): string {
  block.open = false;
  if (state.current === block) state.current = undefined;
  return formatSse(`{"type":"content_block_stop","index":${block.index}}`, "content_block_stop");
}

function delta(block: Block, body: string): string {
  return formatSse(
    `{"type":"content_block_delta","index":${block.index},"delta":${body}}`,
    "content_block_delta",
  );
}

/** Opens a new Anthropic block for canonical block `key`; the text to send goes to `out`. */
function open(
  state: EncoderState,
  key: number,
  kind: BlockKind,
  contentBlock: string,
  out: Output,
): Block {
  out.text += ensureStarted(state);
  if (state.current?.open) out.text += stop(state, state.current);
  const previous = state.blocks.get(key);
  if (previous?.open) out.text += stop(state, previous);
  const block: Block = { index: state.next++, kind, open: true };
  state.blocks.set(key, block);
  if (kind !== "tool") state.current = block;
  out.text += formatSse(
    `{"type":"content_block_start","index":${block.index},"content_block":${contentBlock}}`,
    "content_block_start",
  );
  return block;
}

/** The open block of `kind` for `key`, opening one when there is none. */
function writable(
  state: EncoderState,
  key: number,
  kind: "text" | "thinking",
  out: Output,
): Block {
  const block = state.blocks.get(key);
  if (block?.open && block.kind === kind) return block;
  return open(state, key, kind, kind === "text" ? TEXT_BLOCK : THINKING_BLOCK, out);
}

function finish(state: EncoderState, stopReason: StopReason, stopSequence?: string): string {
  state.done = true;
  const body = {
    type: "message_delta",
    delta: { stop_reason: encodeStopReason(stopReason), stop_sequence: stopSequence ?? null },
    usage: deltaUsage(state.usage),
  };
  let text = ensureStarted(state);
  for (const block of state.blocks.values()) if (block.open) text += stop(state, block);
  return text + formatSse(JSON.stringify(body), "message_delta") +
    formatSse('{"type":"message_stop"}', "message_stop");
}
