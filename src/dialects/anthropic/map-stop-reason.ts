/**
 * @module
 * Anthropic `stop_reason` ↔ canonical `StopReason`.
 */
import type { StopReason } from "../../ir/response.ts";
import type { AnthropicStopReason } from "./wire-types.ts";

export function decodeStopReason(reason: unknown): StopReason {
  switch (reason) {
    case "end_turn":
    case null:
    case undefined:
      return "end";
    case "max_tokens":
    case "model_context_window_exceeded":
      return "max-tokens";
    case "stop_sequence":
      return "stop-sequence";
    case "tool_use":
      return "tool-calls";
    case "pause_turn":
      return "pause";
    case "refusal":
      return "refusal";
    default:
      return "other";
  }
}

export function encodeStopReason(reason: StopReason): AnthropicStopReason {
  switch (reason) {
    case "max-tokens":
      return "max_tokens";
    case "stop-sequence":
      return "stop_sequence";
    case "tool-calls":
      return "tool_use";
    case "pause":
      return "pause_turn";
    case "refusal":
    case "content-filter":
      return "refusal";
    case "end":
    case "error":
    case "other":
      return "end_turn";
  }
}
