/**
 * @module
 * Canonical stream events as `data: {chat.completion.chunk}` lines for an
 * OpenAI client. The chunk's fixed head and tail are built once per stream;
 * each event costs one `JSON.stringify` of its delta.
 *
 * - `start` → the role chunk `{"role":"assistant","content":""}`. Chunks name
 *   the model the client asked for (as the non-streaming answer does), not the
 *   upstream's.
 * - Text → `content`, refusal-marked text → `refusal`, reasoning →
 *   `reasoning_content` (what OpenAI-compatible clients read).
 * - Tool calls are numbered 0, 1, … in order of appearance; the first chunk of
 *   each carries id, type, name and `arguments: ""`, later ones fragments.
 * - `finish` → a chunk with `finish_reason`; with `include_usage` every chunk
 *   has `usage: null` and a last chunk with `choices: []` carries the usage.
 * - `error` → `data: {"error":{message,type,param,code}}`.
 * - `end()` finishes the answer if nothing did, then `data: [DONE]`.
 */
import type { StreamEncoder } from "../codec.ts";
import type { CanonicalRequest } from "../../ir/request.ts";
import type { Usage } from "../../ir/response.ts";
import type { StreamEvent } from "../../ir/stream-event.ts";
import { mergeUsage } from "../../ir/usage.ts";
import { encodeError } from "./encode-error.ts";
import { formatSse } from "../../sse/parse-sse.ts";
import { chatId, encodeUsage } from "./encode-response.ts";
import { encodeFinishReason } from "./map-stop-reason.ts";

/** What a canonical block index stands for: a delta field, or a Chat tool-call index. */
type Block = "content" | "refusal" | "reasoning_content" | number;

interface EncoderState {
  started: boolean;
  finished: boolean;
  failed: boolean;
  /** `{"id":…,"object":…,"created":…,"model":…,` */
  head: string;
  blocks: Map<number, Block>;
  toolCount: number;
  hasRefusal: boolean;
  usage: Usage;
}

const DONE = "data: [DONE]\n\n";

export function createStreamEncoder(request: CanonicalRequest): StreamEncoder {
  const includeUsage = request.includeUsage === true;
  const tail = includeUsage ? ',"usage":null}' : "}";
  const state: EncoderState = {
    started: false,
    finished: false,
    failed: false,
    head: "",
    blocks: new Map(),
    toolCount: 0,
    hasRefusal: false,
    usage: { inputTokens: 0, outputTokens: 0 },
  };

  const chunk = (delta: string, finishReason: string | null = null) =>
    formatSse(
      `${state.head}"choices":[{"index":0,"delta":${delta},"logprobs":null,"finish_reason":${
        finishReason === null ? "null" : `"${finishReason}"`
      }}]${tail}`,
    );

  const start = (id: string, model: string, created?: number): string => {
    state.started = true;
    state.head = `{"id":${JSON.stringify(chatId(id))},"object":"chat.completion.chunk","created":${
      created ?? Math.floor(Date.now() / 1000)
    },"model":${JSON.stringify(request.model || model)},`;
    return chunk('{"role":"assistant","content":""}');
  };

  const ensureStarted = () => (state.started ? "" : start("", request.model));

  const finish = (reason: StreamEvent & { type: "finish" }): string => {
    state.finished = true;
    state.usage = mergeUsage(state.usage, reason.usage);
    let text = chunk("{}", encodeFinishReason(reason.stopReason, state.hasRefusal));
    if (includeUsage) {
      text += formatSse(
        `${state.head}"choices":[],"usage":${JSON.stringify(encodeUsage(state.usage))}}`,
      );
    }
    return text;
  };

  const encode = (event: StreamEvent): string => {
    // After the finish chunk or an error, the answer is over.
    if (state.finished || state.failed) return "";
    switch (event.type) {
      case "start":
        state.usage = mergeUsage(state.usage, event.usage);
        return state.started ? "" : start(event.id, event.model, event.created);
      case "text-start":
        if (event.providerData?.["openai-chat"]?.refusal === true) {
          state.hasRefusal = true;
          state.blocks.set(event.index, "refusal");
        } else state.blocks.set(event.index, "content");
        return "";
      case "reasoning-start":
        state.blocks.set(event.index, "reasoning_content");
        return "";
      case "text-delta":
      case "reasoning-delta": {
        if (event.text === "") return "";
        const field = state.blocks.get(event.index) ??
          (event.type === "text-delta" ? "content" : "reasoning_content");
        if (typeof field === "number") return "";
        return ensureStarted() + chunk(`{"${field}":${JSON.stringify(event.text)}}`);
      }
      case "tool-call-start": {
        const toolIndex = state.toolCount++;
        state.blocks.set(event.index, toolIndex);
        const call = {
          index: toolIndex,
          id: event.id,
          type: "function",
          function: { name: event.name, arguments: "" },
        };
        return ensureStarted() + chunk(`{"tool_calls":[${JSON.stringify(call)}]}`);
      }
      case "tool-call-delta": {
        const toolIndex = state.blocks.get(event.index);
        if (typeof toolIndex !== "number" || event.argumentsDelta === "") return "";
        return chunk(
          `{"tool_calls":[{"index":${toolIndex},"function":{"arguments":${
            JSON.stringify(event.argumentsDelta)
          }}}]}`,
        );
      }
      case "usage":
        state.usage = mergeUsage(state.usage, event.usage);
        return "";
      case "finish":
        return ensureStarted() + finish(event);
      case "error":
        state.failed = true;
        return formatSse(JSON.stringify(encodeError(event.error)));
      case "text-end":
      case "reasoning-signature":
      case "reasoning-end":
      case "tool-call-end":
        return "";
    }
  };

  return {
    encode,
    end(): string {
      if (state.failed || state.finished) return DONE;
      const stopReason = state.toolCount > 0 ? "tool-calls" : "end";
      return ensureStarted() + finish({ type: "finish", stopReason }) + DONE;
    },
  };
}
