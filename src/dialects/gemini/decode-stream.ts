/**
 * @module
 * `streamGenerateContent?alt=sse` chunks (each a `GenerateContentResponse`
 * with only the new parts) as canonical stream events.
 *
 * - `start` comes with the first chunk. One text or reasoning block is open
 *   at a time and stays open across chunks while parts of its kind arrive.
 * - Thought parts are reasoning; a signature on a thought part is that
 *   block's `reasoning-signature` and closes it. A signature on any other
 *   part is a reasoning block of its own (start, signature, end) right before
 *   the part's content (see decode-response.ts for why).
 * - A whole `functionCall` is `tool-call-start`, one delta with all its
 *   arguments, `tool-call-end`. A call streamed with `willContinue` /
 *   `partialArgs` starts when its name arrives; its pieces are assembled and
 *   sent as one delta when a chunk for it comes without `willContinue` (or the
 *   next call, another part, or the finish arrives).
 * - `inlineData` in a stream has no canonical event and is dropped.
 * - Usage goes out when its counts change; `finishReason` closes everything
 *   and is the `finish`. A prompt blocked before any candidate is a
 *   `content-filter` finish.
 * - An in-band `{"error":…}` chunk, data that is not JSON, or a stream that
 *   ends without a `finishReason` is an `error` event and ends decoding.
 */
import type { StreamDecoder } from "../codec.ts";
import type { Usage } from "../../ir/response.ts";
import type { StreamEvent } from "../../ir/stream-event.ts";
import { apiError } from "../../errors/api-error.ts";
import type { SseEvent } from "../../sse/parse-sse.ts";
import { errorFromStatus } from "./decode-error.ts";
import { stringOrEmpty } from "../json.ts";
import {
  callIdMaker,
  codePartData,
  createdFrom,
  decodeUsage,
  firstCandidate,
  hasTokenCounts,
  renderCodePart,
} from "./decode-response.ts";
import { decodeFinishReason } from "./map-stop-reason.ts";
import { type ArgsAssembler, createArgsAssembler } from "./partial-args.ts";
import type { GeminiFunctionCall, GeminiPart, GeminiResponse } from "./wire-types.ts";

interface OpenBlock {
  kind: "text" | "reasoning";
  index: number;
}

interface OpenCall {
  index: number;
  args: ArgsAssembler;
}

interface DecoderState {
  started: boolean;
  /** Finished or failed: later events are ignored. */
  done: boolean;
  nextIndex: number;
  open: OpenBlock | undefined;
  /** A call whose arguments are still streaming. */
  call: OpenCall | undefined;
  calls: number;
  newId: () => string;
  usage: Usage | undefined;
}

function sameUsage(a: Usage | undefined, b: Usage): boolean {
  return !!a && a.inputTokens === b.inputTokens && a.outputTokens === b.outputTokens &&
    a.cachedInputTokens === b.cachedInputTokens && a.reasoningTokens === b.reasoningTokens;
}

export function createStreamDecoder(): StreamDecoder {
  const state: DecoderState = {
    started: false,
    done: false,
    nextIndex: 0,
    open: undefined,
    call: undefined,
    calls: 0,
    newId: callIdMaker(undefined),
    usage: undefined,
  };

  const closeBlock = (out: StreamEvent[]) => {
    const open = state.open;
    if (!open) return;
    state.open = undefined;
    out.push(
      open.kind === "text"
        ? { type: "text-end", index: open.index }
        : { type: "reasoning-end", index: open.index },
    );
  };

  const endCall = (out: StreamEvent[]) => {
    const call = state.call;
    if (!call) return;
    state.call = undefined;
    out.push({
      type: "tool-call-delta",
      index: call.index,
      argumentsDelta: JSON.stringify(call.args.result()),
    });
    out.push({ type: "tool-call-end", index: call.index });
  };

  const closeAll = (out: StreamEvent[]) => {
    endCall(out);
    closeBlock(out);
  };

  const blockFor = (kind: OpenBlock["kind"], out: StreamEvent[]): number => {
    if (state.open?.kind === kind) return state.open.index;
    closeAll(out);
    const index = state.nextIndex++;
    state.open = { kind, index };
    out.push(kind === "text" ? { type: "text-start", index } : { type: "reasoning-start", index });
    return index;
  };

  const carrier = (signature: string, out: StreamEvent[]) => {
    closeAll(out);
    const index = state.nextIndex++;
    out.push({ type: "reasoning-start", index });
    out.push({ type: "reasoning-signature", index, signature });
    out.push({ type: "reasoning-end", index });
  };

  const functionCall = (
    call: GeminiFunctionCall,
    signature: string | undefined,
    out: StreamEvent[],
  ) => {
    const name = typeof call.name === "string" && call.name ? call.name : undefined;
    const open = state.call;
    if (open && !name) {
      if (call.args && typeof call.args === "object") open.args.seed(call.args);
      if (Array.isArray(call.partialArgs)) open.args.add(call.partialArgs);
      if (call.willContinue !== true) endCall(out);
      return;
    }
    if (!name) return; // a stray end marker (`{"functionCall":{}}`) with no call open
    closeAll(out);
    const index = state.nextIndex++;
    state.calls++;
    const id = typeof call.id === "string" && call.id ? call.id : state.newId();
    out.push({
      type: "tool-call-start",
      index,
      id,
      name,
      ...(signature ? { signature } : {}),
    });
    const args = createArgsAssembler();
    if (call.args && typeof call.args === "object") args.seed(call.args);
    if (Array.isArray(call.partialArgs)) args.add(call.partialArgs);
    state.call = { index, args };
    if (call.willContinue !== true) endCall(out);
  };

  const part = (item: GeminiPart, out: StreamEvent[]) => {
    if (!item || typeof item !== "object") return;
    const signature = typeof item.thoughtSignature === "string" && item.thoughtSignature
      ? item.thoughtSignature
      : undefined;
    if (item.functionCall && typeof item.functionCall === "object") {
      return functionCall(item.functionCall, signature, out);
    }
    if (item.thought === true) {
      const text = stringOrEmpty(item.text);
      if (text === "" && !signature) return;
      const index = blockFor("reasoning", out);
      if (text !== "") out.push({ type: "reasoning-delta", index, text });
      if (signature) {
        out.push({ type: "reasoning-signature", index, signature });
        closeBlock(out);
      }
      return;
    }
    if (signature) carrier(signature, out);
    if (typeof item.text === "string") {
      if (item.text !== "") {
        out.push({ type: "text-delta", index: blockFor("text", out), text: item.text });
      }
      return;
    }
    const rendered = renderCodePart(item);
    if (rendered !== undefined) {
      closeAll(out);
      const index = state.nextIndex++;
      out.push({
        type: "text-start",
        index,
        providerData: { gemini: { part: codePartData(item) } },
      });
      out.push({ type: "text-delta", index, text: rendered });
      out.push({ type: "text-end", index });
    }
  };

  const finish = (reason: string | undefined, blocked: boolean, out: StreamEvent[]) => {
    closeAll(out);
    const stopReason = blocked ? "content-filter" : decodeFinishReason(reason, state.calls > 0);
    out.push(
      state.usage ? { type: "finish", stopReason, usage: state.usage } : {
        type: "finish",
        stopReason,
      },
    );
    state.done = true;
  };

  const fail = (out: StreamEvent[], message: string): StreamEvent[] => {
    state.done = true;
    out.push({ type: "error", error: apiError("api_error", message).error });
    return out;
  };

  const onChunk = (chunk: GeminiResponse, out: StreamEvent[]): StreamEvent[] => {
    if (chunk.error && typeof chunk.error === "object") {
      state.done = true;
      out.push({ type: "error", error: errorFromStatus(chunk.error, 0) });
      return out;
    }
    if (!state.started) {
      state.started = true;
      const responseId = stringOrEmpty(chunk.responseId);
      state.newId = callIdMaker(responseId || undefined);
      const start: StreamEvent = {
        type: "start",
        id: responseId,
        model: stringOrEmpty(chunk.modelVersion),
      };
      const created = createdFrom(chunk.createTime);
      if (created !== undefined) start.created = created;
      out.push(start);
    }
    const candidate = firstCandidate(chunk.candidates);
    const parts = candidate?.content?.parts;
    if (Array.isArray(parts)) { for (const item of parts) part(item, out); }
    if (hasTokenCounts(chunk.usageMetadata)) {
      const usage = decodeUsage(chunk.usageMetadata);
      if (!sameUsage(state.usage, usage)) {
        state.usage = usage;
        out.push({ type: "usage", usage });
      }
    }
    if (candidate && typeof candidate.finishReason === "string") {
      finish(candidate.finishReason, false, out);
    } else if (!candidate && chunk.promptFeedback?.blockReason) {
      finish(undefined, true, out);
    }
    return out;
  };

  return {
    decode(event: SseEvent): StreamEvent[] {
      if (state.done) return [];
      const data = event.data.trim();
      if (data === "" || data === "[DONE]") return [];
      let chunk: unknown;
      try {
        chunk = JSON.parse(data);
      } catch {
        return fail([], `upstream sent a stream event that is not JSON: ${data.slice(0, 200)}`);
      }
      if (Array.isArray(chunk) && chunk.length === 1) chunk = chunk[0];
      if (!chunk || typeof chunk !== "object" || Array.isArray(chunk)) {
        return fail([], `upstream sent a stream event that is not a chunk: ${data.slice(0, 200)}`);
      }
      return onChunk(chunk as GeminiResponse, []);
    },
    end(): StreamEvent[] {
      if (state.done) return [];
      return fail([], "the upstream stream ended before it finished");
    },
  };
}
