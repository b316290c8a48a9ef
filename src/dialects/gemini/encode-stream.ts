/**
 * @module
 * Canonical stream events as `streamGenerateContent?alt=sse` chunks for a
 * Gemini client: `data: {GenerateContentResponse}` events, no `[DONE]`.
 *
 * - Text and reasoning deltas go out at once, as `{text}` and
 *   `{text, thought: true}` parts. A signature on a reasoning block with text
 *   is an empty thought part carrying it; a block that is only a signature (a
 *   carrier, see decode-response.ts) puts it on the next text part, or on an
 *   empty text part in the next chunk that has none.
 * - Gemini never streams arguments in pieces: each call's arguments are
 *   buffered and the call goes out whole, with its id and thoughtSignature, at
 *   `tool-call-end`.
 * - Every chunk carries the usage known so far; the finish chunk carries the
 *   `finishReason` and the final usage. `end()` adds a finish chunk (`STOP`)
 *   when none came. An error is a `{"error":{code,message,status}}` chunk.
 * - Stream events do not say which model made a reasoning signature, so every
 *   one goes out (the non-streaming answer only passes Gemini's own).
 */
import type { StreamEncoder } from "../codec.ts";
import type { CanonicalRequest } from "../../ir/request.ts";
import type { StopReason, Usage } from "../../ir/response.ts";
import type { StreamEvent } from "../../ir/stream-event.ts";
import { mergeUsage } from "../../ir/usage.ts";
import { encodeError } from "./encode-error.ts";
import { formatSse } from "../../sse/parse-sse.ts";
import { ORIGIN } from "./decode-response.ts";
import { parseArguments } from "./encode-parts.ts";
import { createTime, encodeUsage } from "./encode-response.ts";
import { encodeFinishReason } from "./map-stop-reason.ts";
import type {
  GeminiCandidate,
  GeminiPart,
  GeminiResponse,
  GeminiUsageMetadata,
} from "./wire-types.ts";

interface BufferedCall {
  id: string;
  name: string;
  signature?: string;
  args: string;
}

interface EncoderState {
  id: string;
  model: string;
  createTime?: string;
  usage: Usage | undefined;
  /** `usage` as Gemini's usageMetadata (made again only when the usage changes). */
  usageMetadata: GeminiUsageMetadata | undefined;
  /** Reasoning blocks that have sent text, by index. */
  reasoningWithText: Set<number>;
  /** Blocks whose deltas are not sent (a Gemini part sent whole at its start). */
  silent: Set<number>;
  calls: Map<number, BufferedCall>;
  /** A carrier's signature waiting for the next text part. */
  pending: string | undefined;
  done: boolean;
}

export function createStreamEncoder(request: CanonicalRequest): StreamEncoder {
  const state: EncoderState = {
    id: "",
    model: request.model,
    usage: undefined,
    usageMetadata: undefined,
    reasoningWithText: new Set(),
    silent: new Set(),
    calls: new Map(),
    pending: undefined,
    done: false,
  };

  const chunk = (parts: GeminiPart[], stopReason?: StopReason): string => {
    const candidate: GeminiCandidate = { content: { role: "model", parts } };
    if (stopReason) candidate.finishReason = encodeFinishReason(stopReason);
    candidate.index = 0;
    const body: GeminiResponse = { candidates: [candidate] };
    if (state.usageMetadata) body.usageMetadata = state.usageMetadata;
    body.modelVersion = state.model;
    body.responseId = state.id;
    if (state.createTime) body.createTime = state.createTime;
    return formatSse(JSON.stringify(body));
  };

  /** The pending signature as a part of its own ("" when there is none). */
  const flushPending = (): string => {
    if (state.pending === undefined) return "";
    const text = chunk([{ text: "", thoughtSignature: state.pending }]);
    state.pending = undefined;
    return text;
  };

  const withPending = (part: GeminiPart): GeminiPart => {
    if (state.pending !== undefined) part.thoughtSignature = state.pending;
    state.pending = undefined;
    return part;
  };

  const callPart = (call: BufferedCall): GeminiPart => {
    const part: GeminiPart = {
      functionCall: { id: call.id, name: call.name, args: parseArguments(call.args).args },
    };
    if (call.signature) part.thoughtSignature = call.signature;
    return part;
  };

  const addUsage = (usage: Partial<Usage>) => {
    state.usage = mergeUsage(state.usage ?? { inputTokens: 0, outputTokens: 0 }, usage);
    state.usageMetadata = encodeUsage(state.usage);
  };

  const finish = (stopReason: StopReason): string => {
    const parts: GeminiPart[] = [];
    for (const call of state.calls.values()) parts.push(callPart(call));
    state.calls.clear();
    if (state.pending !== undefined) parts.push(withPending({ text: "" }));
    if (parts.length === 0) parts.push({ text: "" });
    state.done = true;
    return chunk(parts, stopReason);
  };

  return {
    encode(event: StreamEvent): string {
      if (state.done) return "";
      switch (event.type) {
        case "start":
          state.id = event.id;
          if (event.model) state.model = event.model;
          state.createTime = createTime(event.created);
          if (event.usage) addUsage(event.usage);
          return "";
        case "text-start": {
          const original = event.providerData?.[ORIGIN]?.part;
          if (!original || typeof original !== "object") return "";
          state.silent.add(event.index);
          return chunk([withPending({ ...(original as GeminiPart) })]);
        }
        case "text-delta":
          if (state.silent.has(event.index) || event.text === "") return "";
          return chunk([withPending({ text: event.text })]);
        case "reasoning-delta":
          if (event.text === "") return "";
          state.reasoningWithText.add(event.index);
          return flushPending() + chunk([{ text: event.text, thought: true }]);
        case "reasoning-signature": {
          // Only Gemini's own signatures mean anything to Gemini.
          if (!event.signature || (event.origin !== undefined && event.origin !== "gemini")) {
            return "";
          }
          if (state.reasoningWithText.has(event.index)) {
            return flushPending() +
              chunk([{ text: "", thought: true, thoughtSignature: event.signature }]);
          }
          const before = flushPending();
          state.pending = event.signature;
          return before;
        }
        case "tool-call-start":
          state.calls.set(event.index, {
            id: event.id,
            name: event.name,
            ...(event.signature && (event.origin === undefined || event.origin === "gemini")
              ? { signature: event.signature }
              : {}),
            args: "",
          });
          return flushPending();
        case "tool-call-delta": {
          const call = state.calls.get(event.index);
          if (call) call.args += event.argumentsDelta;
          return "";
        }
        case "tool-call-end": {
          const call = state.calls.get(event.index);
          if (!call) return "";
          state.calls.delete(event.index);
          return chunk([callPart(call)]);
        }
        case "usage":
          addUsage(event.usage);
          return "";
        case "finish":
          if (event.usage) addUsage(event.usage);
          return finish(event.stopReason);
        case "error":
          state.done = true;
          return flushPending() + formatSse(JSON.stringify(encodeError(event.error)));
        case "text-end":
        case "reasoning-start":
        case "reasoning-end":
          return "";
      }
    },
    end(): string {
      if (state.done) return "";
      return finish("end");
    },
  };
}
