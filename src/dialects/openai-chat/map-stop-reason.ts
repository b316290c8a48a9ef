/**
 * @module
 * `finish_reason` ↔ canonical stop reasons.
 *
 * Choices made here:
 * - An answer with tool calls that an upstream ends with `stop` (some
 *   OpenAI-compatible servers do) counts as `tool-calls`, so clients of other
 *   dialects (Anthropic's `tool_use`) run the tools.
 * - `stop` with a `refusal` in the answer is the canonical `refusal`; back in
 *   Chat it is `stop` again (how OpenAI reports a refusal, with the text in
 *   `message.refusal`). A refusal from another dialect (Anthropic's classifier
 *   stop, which carries no refusal text) becomes `content_filter`.
 * - Chat cannot say which stop sequence matched, or that a turn paused:
 *   `stop-sequence`, `pause`, `error` and `other` all leave as `stop`.
 */
import type { StopReason } from "../../ir/response.ts";

export type ChatFinishReason = "stop" | "length" | "tool_calls" | "content_filter";

export function decodeFinishReason(
  reason: string | null | undefined,
  hasToolCalls: boolean,
  hasRefusal: boolean,
): StopReason {
  switch (reason) {
    case "stop":
    case "eos":
    case "end_turn":
      if (hasToolCalls) return "tool-calls";
      return hasRefusal ? "refusal" : "end";
    case null:
    case undefined:
      return hasToolCalls ? "tool-calls" : "end";
    case "length":
    case "max_tokens":
      return "max-tokens";
    case "tool_calls":
    case "function_call":
      return "tool-calls";
    case "content_filter":
      return "content-filter";
    case "error":
      return "error";
    default:
      return "other";
  }
}

export function encodeFinishReason(reason: StopReason, hasRefusalText: boolean): ChatFinishReason {
  switch (reason) {
    case "max-tokens":
      return "length";
    case "tool-calls":
      return "tool_calls";
    case "content-filter":
      return "content_filter";
    case "refusal":
      return hasRefusalText ? "stop" : "content_filter";
    case "end":
    case "stop-sequence":
    case "pause":
    case "error":
    case "other":
      return "stop";
  }
}
