/**
 * @module
 * Gemini `finishReason` ↔ canonical stop reasons.
 *
 * Choices made here:
 * - Gemini ends an answer with function calls with `STOP`; when the answer has
 *   calls that is `tool-calls`, so clients of other dialects run the tools.
 * - Gemini cannot say which stop sequence matched: a stop sequence is `STOP`
 *   both ways. `pause`, `refusal` (whose text is in the answer) and
 *   `tool-calls` leave as `STOP`; `error` and `other` as `OTHER`.
 * - A prompt blocked before any candidate (`promptFeedback.blockReason`) is
 *   `content-filter`.
 */
import type { StopReason } from "../../ir/response.ts";

export type GeminiFinishReason =
  | "STOP"
  | "MAX_TOKENS"
  | "SAFETY"
  | "RECITATION"
  | "MALFORMED_FUNCTION_CALL"
  | "OTHER";

export function decodeFinishReason(
  reason: string | undefined,
  hasToolCalls: boolean,
): StopReason {
  switch (reason) {
    case "STOP":
    case undefined:
    case "FINISH_REASON_UNSPECIFIED":
      return hasToolCalls ? "tool-calls" : "end";
    case "MAX_TOKENS":
      return "max-tokens";
    case "SAFETY":
    case "RECITATION":
    case "BLOCKLIST":
    case "PROHIBITED_CONTENT":
    case "SPII":
    case "IMAGE_SAFETY":
    case "IMAGE_PROHIBITED_CONTENT":
    case "IMAGE_RECITATION":
      return "content-filter";
    case "MALFORMED_FUNCTION_CALL":
    case "UNEXPECTED_TOOL_CALL":
    case "TOO_MANY_TOOL_CALLS":
    case "MISSING_THOUGHT_SIGNATURE":
    case "MALFORMED_RESPONSE":
      return "error";
    default:
      return "other";
  }
}

export function encodeFinishReason(reason: StopReason): GeminiFinishReason {
  switch (reason) {
    case "end":
    case "stop-sequence":
    case "tool-calls":
    case "refusal":
    case "pause":
      return "STOP";
    case "max-tokens":
      return "MAX_TOKENS";
    case "content-filter":
      return "SAFETY";
    case "error":
    case "other":
      return "OTHER";
  }
}
