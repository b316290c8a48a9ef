/**
 * @module
 * A response's `status` and `incomplete_details.reason` ↔ canonical stop reasons.
 *
 * Choices made here:
 * - `completed` with a function (or custom tool) call in the output is
 *   `tool-calls`; with a `refusal` part it is `refusal`; otherwise `end`.
 * - `incomplete` for `max_output_tokens` is `max-tokens`, for `content_filter`
 *   `content-filter`; any other reason is `other`.
 * - `failed` is `error`; `cancelled`, `queued` and `in_progress` are `other`.
 * - The Responses API cannot say which stop sequence matched or that a turn
 *   paused: `stop-sequence`, `pause` and `other` go back as `completed`. A
 *   refusal with no refusal text (Anthropic's classifier stop) goes back as
 *   `incomplete` / `content_filter`.
 */
import type { StopReason } from "../../ir/response.ts";

export interface ResponseOutcome {
  status: "completed" | "incomplete" | "failed";
  /** `incomplete_details.reason` when `status` is `incomplete`. */
  reason?: "max_output_tokens" | "content_filter";
}

export function decodeStatus(
  status: string | null | undefined,
  incompleteReason: string | null | undefined,
  hasToolCalls: boolean,
  hasRefusal: boolean,
): StopReason {
  switch (status) {
    case "completed":
    case null:
    case undefined:
      if (hasToolCalls) return "tool-calls";
      return hasRefusal ? "refusal" : "end";
    case "incomplete":
      switch (incompleteReason) {
        case "max_output_tokens":
          return "max-tokens";
        case "content_filter":
          return "content-filter";
        default:
          return "other";
      }
    case "failed":
      return "error";
    default:
      return "other";
  }
}

export function encodeStatus(reason: StopReason, hasRefusalText: boolean): ResponseOutcome {
  switch (reason) {
    case "max-tokens":
      return { status: "incomplete", reason: "max_output_tokens" };
    case "content-filter":
      return { status: "incomplete", reason: "content_filter" };
    case "refusal":
      return hasRefusalText
        ? { status: "completed" }
        : { status: "incomplete", reason: "content_filter" };
    case "error":
      return { status: "failed" };
    case "end":
    case "tool-calls":
    case "stop-sequence":
    case "pause":
    case "other":
      return { status: "completed" };
  }
}
