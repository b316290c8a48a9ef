/**
 * @module
 * `chat.completion.chunk` events from an upstream as canonical stream events.
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
import { stringOrEmpty } from "../json.ts";
import { decodeUsage, refusalMark } from "./decode-response.ts";
import { decodeFinishReason } from "./map-stop-reason.ts";
import type {
  ChatChunk,
  ChatChunkChoice,
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

function unreadable(problem: string): ApiError {
  return apiError("api_error", `upstream sent a stream event that ${problem}`).error;
}

function choiceZero(choices: ChatChunkChoice[]): ChatChunkChoice | undefined {
  const first = choices[0];
  if (!first || (first.index ?? 0) === 0) return first;
  return choices.find((choice) => (choice.index ?? 0) === 0);
}

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

  const close = (out: StreamEvent[]) => {
    const open = state.open;
    if (!open) return;
    state.open = undefined;
    if (open.kind === "reasoning") out.push({ type: "reasoning-end", index: open.index });
    else if (open.kind === "tool") out.push({ type: "tool-call-end", index: open.index });
    else out.push({ type: "text-end", index: open.index });
  };

  /** The block a delta of this kind goes to, opening it (and closing another) when needed. */
  const blockFor = (kind: "text" | "refusal" | "reasoning", out: StreamEvent[]): number => {
    if (state.open?.kind === kind) return state.open.index;
    close(out);
    const index = state.nextIndex++;
    state.open = { kind, index };
    if (kind === "reasoning") out.push({ type: "reasoning-start", index });
    else if (kind === "refusal") {
      state.hasRefusal = true;
      out.push({ type: "text-start", index, providerData: refusalMark() });
    } else out.push({ type: "text-start", index });
    return index;
  };

  const toolCall = (call: ChatToolCallDelta, out: StreamEvent[]) => {
    let key = call.index;
    if (typeof key !== "number") {
      // No index (a few compatible servers): a known id is its call, a new id a new call,
      // no id the open call.
      const openKey = state.open?.kind === "tool" ? state.open.toolKey : undefined;
      key = (call.id ? state.toolIds.get(call.id) : openKey) ?? state.tools.size;
    }
    let index = state.tools.get(key);
    if (index === undefined) {
      close(out);
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
  };

  const finish = (out: StreamEvent[]): StreamEvent[] => {
    if (!state.started) {
      state.started = true;
      out.push({ type: "start", id: "", model: "" });
    }
    close(out);
    const stopReason = decodeFinishReason(
      state.finishReason,
      state.tools.size > 0,
      state.hasRefusal,
    );
    out.push(
      state.usage ? { type: "finish", stopReason, usage: state.usage } : {
        type: "finish",
        stopReason,
      },
    );
    state.done = true;
    return out;
  };

  /** Closes the open block and ends the stream with an error. */
  const fail = (out: StreamEvent[], error: ApiError): StreamEvent[] => {
    close(out);
    state.done = true;
    out.push({ type: "error", error });
    return out;
  };

  /** `isError`: the event was named `error` (Groq), whatever its data says. */
  const onChunk = (chunk: ChatChunk, isError: boolean, out: StreamEvent[]): StreamEvent[] => {
    const choices = Array.isArray(chunk.choices) ? chunk.choices : [];
    if (!state.started && (chunk.id || choices.length > 0)) {
      state.started = true;
      const start: StreamEvent = {
        type: "start",
        id: stringOrEmpty(chunk.id),
        model: stringOrEmpty(chunk.model),
      };
      if (typeof chunk.created === "number" && chunk.created > 0) start.created = chunk.created;
      out.push(start);
    }
    const choice = choices.length > 0 ? choiceZero(choices) : undefined;
    const delta = choice?.delta;
    if (delta) {
      const reasoning = delta.reasoning_content ?? delta.reasoning;
      if (typeof reasoning === "string" && reasoning !== "") {
        out.push({ type: "reasoning-delta", index: blockFor("reasoning", out), text: reasoning });
      }
      if (typeof delta.content === "string" && delta.content !== "") {
        out.push({ type: "text-delta", index: blockFor("text", out), text: delta.content });
      }
      if (typeof delta.refusal === "string" && delta.refusal !== "") {
        out.push({ type: "text-delta", index: blockFor("refusal", out), text: delta.refusal });
      }
      if (Array.isArray(delta.tool_calls)) {
        for (const call of delta.tool_calls) if (call) toolCall(call, out);
      }
    }
    if (typeof choice?.finish_reason === "string") {
      close(out);
      state.finishReason = choice.finish_reason;
    }
    if (chunk.usage && typeof chunk.usage === "object") {
      const usage = decodeUsage(chunk.usage);
      // Usage so far; `finish` carries the last of it.
      state.usage = mergeUsage(state.usage ?? { inputTokens: 0, outputTokens: 0 }, usage);
      out.push({ type: "usage", usage });
    }
    if (chunk.error) fail(out, errorFromObject(chunk.error, 0));
    else if (isError) fail(out, errorFromObject(chunk as ChatErrorObject, 0));
    return out;
  };

  return {
    decode(event: SseEvent): StreamEvent[] {
      if (state.done) return [];
      const data = event.data;
      if (data.length < 16) {
        const short = data.trim();
        if (short === "") return [];
        if (short === "[DONE]") return finish([]);
      }
      let chunk: unknown;
      try {
        chunk = JSON.parse(data);
      } catch {
        if (event.event === "error") return fail([], errorFromObject({ message: data }, 0));
        return fail([], unreadable(`is not JSON: ${data.slice(0, 200)}`));
      }
      if (!chunk || typeof chunk !== "object" || Array.isArray(chunk)) {
        return fail([], unreadable(`is not a chunk: ${data.slice(0, 200)}`));
      }
      return onChunk(chunk as ChatChunk, event.event === "error", []);
    },
    end(): StreamEvent[] {
      if (state.done) return [];
      if (state.finishReason !== undefined) return finish([]);
      return fail([], apiError("api_error", "the upstream stream ended before it finished").error);
    },
  };
}
