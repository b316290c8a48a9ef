/**
 * @module
 * Anthropic Messages SSE events (from an upstream) as canonical stream events.
 * Canonical block indexes are Anthropic's own.
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
import { type Json, stringOrEmpty } from "../json.ts";

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

function fail(message: string): StreamEvent {
  return { type: "error", error: apiError("api_error", message, { status: 502 }).error };
}

export function createStreamDecoder(): StreamDecoder {
  const state: DecoderState = { done: false, blocks: [], usage: {} };

  const openText = (index: number, block: BlockState, out: StreamEvent[]) => {
    const citations = block.citations;
    block.citations = undefined;
    out.push(
      citations && citations.length > 0
        ? { type: "text-start", index, providerData: { anthropic: { citations } } }
        : { type: "text-start", index },
    );
  };

  const onBlockStart = (index: number, content: Json, out: StreamEvent[]) => {
    switch (content.type) {
      case "text": {
        const block: BlockState = { kind: "text", open: true };
        state.blocks[index] = block;
        if (Array.isArray(content.citations)) block.citations = [...content.citations];
        else openText(index, block, out);
        if (typeof content.text === "string" && content.text !== "") {
          if (block.citations) openText(index, block, out);
          out.push({ type: "text-delta", index, text: content.text });
        }
        return;
      }
      case "thinking":
        state.blocks[index] = { kind: "reasoning", open: true };
        out.push({ type: "reasoning-start", index });
        if (typeof content.thinking === "string" && content.thinking !== "") {
          out.push({ type: "reasoning-delta", index, text: content.thinking });
        }
        if (typeof content.signature === "string" && content.signature !== "") {
          out.push({ type: "reasoning-signature", index, signature: content.signature });
        }
        return;
      case "redacted_thinking":
        state.blocks[index] = { kind: "reasoning", open: true };
        out.push({
          type: "reasoning-start",
          index,
          redacted: true,
          encrypted: stringOrEmpty(content.data),
        });
        return;
      case "tool_use": {
        state.blocks[index] = { kind: "tool", open: true };
        out.push({
          type: "tool-call-start",
          index,
          id: stringOrEmpty(content.id),
          name: stringOrEmpty(content.name),
        });
        const input = content.input;
        if (input && typeof input === "object" && Object.keys(input).length > 0) {
          out.push({ type: "tool-call-delta", index, argumentsDelta: JSON.stringify(input) });
        }
        return;
      }
      default:
        state.blocks[index] = { kind: "skipped", open: false };
    }
  };

  const onBlockDelta = (index: number, delta: Json, out: StreamEvent[]) => {
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
  };

  const close = (index: number, out: StreamEvent[]) => {
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
  };

  const onEvent = (event: Json, out: StreamEvent[]) => {
    switch (event.type) {
      case "message_start": {
        const message = (event.message ?? {}) as Json;
        const start: StreamEvent = {
          type: "start",
          id: stringOrEmpty(message.id),
          model: stringOrEmpty(message.model),
        };
        if (message.usage && typeof message.usage === "object") {
          start.usage = canonicalUsage(readUsage(message.usage, state.usage));
        }
        out.push(start);
        return;
      }
      case "content_block_start":
        if (typeof event.index === "number" && event.content_block) {
          onBlockStart(event.index, event.content_block as Json, out);
        }
        return;
      case "content_block_delta":
        if (typeof event.index === "number" && event.delta) {
          onBlockDelta(event.index, event.delta as Json, out);
        }
        return;
      case "content_block_stop":
        if (typeof event.index === "number") close(event.index, out);
        return;
      case "message_delta": {
        const delta = (event.delta ?? {}) as Json;
        readUsage(event.usage, state.usage);
        const finish: StreamEvent = {
          type: "finish",
          stopReason: decodeStopReason(delta.stop_reason),
          usage: canonicalUsage(state.usage),
        };
        if (typeof delta.stop_sequence === "string") finish.stopSequence = delta.stop_sequence;
        for (let index = 0; index < state.blocks.length; index++) close(index, out);
        out.push(finish);
        state.done = true;
        return;
      }
      case "error":
        state.done = true;
        out.push({ type: "error", error: errorFromObject(event.error) });
        return;
    }
  };

  return {
    decode(event: SseEvent): StreamEvent[] {
      if (state.done) return [];
      const text = event.data;
      if (text === "" || text === "[DONE]") return [];
      let parsed: unknown;
      try {
        parsed = JSON.parse(text);
      } catch {
        state.done = true;
        return [fail(`The upstream sent a malformed ${event.event ?? "stream"} event.`)];
      }
      if (!parsed || typeof parsed !== "object") {
        state.done = true;
        return [fail(`The upstream sent a malformed ${event.event ?? "stream"} event.`)];
      }
      const out: StreamEvent[] = [];
      onEvent(parsed as Json, out);
      return out;
    },
    end(): StreamEvent[] {
      if (state.done) return [];
      state.done = true;
      const out: StreamEvent[] = [];
      for (let index = 0; index < state.blocks.length; index++) close(index, out);
      out.push(fail("The upstream stream ended before the answer was complete."));
      return out;
    },
  };
}
