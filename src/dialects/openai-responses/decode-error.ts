/**
 * @module
 * Upstream errors as canonical `ApiError`s: HTTP error bodies from the
 * Responses API and the Codex backend, and the in-band failures of a stream
 * (`error` events, `response.failed`).
 *
 * - OpenAI: `{"error":{message,type,code,param}}`.
 * - Codex backend: `{"detail":"Store must be set to false"}` (400), and the
 *   plan's usage limit `{"error":{"type":"usage_limit_reached","resets_in_seconds":…}}`
 *   (429), a rate limit whose reset time becomes `retryAfterSeconds`.
 * - The HTTP status decides the kind; with no status (in-band errors) the
 *   `code`/`type` decide. Quota codes count as rate limits whatever the status;
 *   `usage_not_included` (the plan has no Codex) is a permission error.
 * - Retry time: `retry-after-ms`, `retry-after` (seconds or a date), the
 *   body's `resets_in_seconds`/`resets_at`, or "try again in 1.5s" in the message.
 */
import {
  kindFromStatus,
  MAX_MESSAGE,
  parseJsonOrUndefined,
  retryAfterSeconds,
} from "../http-error.ts";
import { type ApiError, apiError, type ErrorKind } from "../../errors/api-error.ts";
import { isObject } from "../../ir/json.ts";
import type { ErrorBody, ResponseErrorObject } from "./wire-types.ts";

const RATE_LIMIT_CODES = new Set([
  "rate_limit_exceeded",
  "insufficient_quota",
  "usage_limit_reached",
  "rate_limit_error",
  "quota_exceeded",
]);

function kindFromCode(code: string | undefined): ErrorKind {
  switch (code) {
    case "invalid_request_error":
    case "invalid_request":
    case "invalid_prompt":
    case "context_length_exceeded":
    case "bad_request":
      return "invalid_request";
    case "authentication_error":
    case "invalid_api_key":
      return "authentication";
    case "permission_error":
    case "usage_not_included":
      return "permission";
    case "not_found":
    case "model_not_found":
      return "not_found";
    case "server_is_overloaded":
    case "overloaded":
    case "overloaded_error":
    case "slow_down":
      return "overloaded";
    default:
      return code && RATE_LIMIT_CODES.has(code) ? "rate_limit" : "api_error";
  }
}

/** "Please try again in 1.898s" / "try again in 20ms" (OpenAI rate-limit messages). */
function retryFromMessage(message: string): number | undefined {
  const match = /try again in (\d+(?:\.\d+)?)\s*(ms|s)\b/i.exec(message);
  if (!match) return undefined;
  const value = Number(match[1]);
  return match[2].toLowerCase() === "ms" ? value / 1000 : value;
}

/**
 * The canonical error for an error object and the HTTP status it came with
 * (0 for in-band stream errors).
 */
export function errorFromObject(
  error: ResponseErrorObject & { resets_in_seconds?: unknown; resets_at?: unknown },
  httpStatus: number,
  retryAfterSeconds?: number,
): ApiError {
  const code = typeof error.code === "string" ? error.code : undefined;
  const type = typeof error.type === "string" ? error.type : undefined;
  let kind: ErrorKind;
  if ((code && RATE_LIMIT_CODES.has(code)) || (type && RATE_LIMIT_CODES.has(type))) {
    kind = "rate_limit";
  } else if (code === "usage_not_included" || type === "usage_not_included") kind = "permission";
  else {
    kind = kindFromStatus(httpStatus) ??
      (code ? kindFromCode(code) : kindFromCode(type));
  }
  const message = typeof error.message === "string" && error.message
    ? error.message.slice(0, MAX_MESSAGE)
    : code ?? type ?? `upstream error${httpStatus ? ` (HTTP ${httpStatus})` : ""}`;
  const result = apiError(kind, message).error;
  if (
    (kind === "invalid_request" && httpStatus >= 400 && httpStatus < 500) ||
    (kind === "api_error" && httpStatus >= 500)
  ) {
    result.status = httpStatus;
  }
  let retry = retryAfterSeconds;
  if (retry === undefined && typeof error.resets_in_seconds === "number") {
    retry = Math.max(0, error.resets_in_seconds);
  }
  if (retry === undefined && typeof error.resets_at === "number") {
    retry = Math.max(0, error.resets_at - Date.now() / 1000);
  }
  if (retry === undefined && kind === "rate_limit") retry = retryFromMessage(message);
  if (retry !== undefined) result.retryAfterSeconds = retry;
  return result;
}

/** The body as an error body, when it is a JSON object. */
function readErrorBody(text: string): ErrorBody | undefined {
  const parsed = parseJsonOrUndefined(text);
  return isObject(parsed) ? parsed as ErrorBody : undefined;
}

export function decodeError(status: number, body: string, headers: Headers): ApiError {
  const seconds = retryAfterSeconds(headers);
  const record = readErrorBody(body);
  if (record) {
    if (record.error && typeof record.error === "object") {
      return errorFromObject(record.error, status, seconds);
    }
    if (typeof record.error === "string") {
      return errorFromObject({ message: record.error }, status, seconds);
    }
    if (typeof record.detail === "string") {
      return errorFromObject({ message: record.detail }, status, seconds);
    }
    if (record.detail && typeof record.detail === "object") {
      const detail = record.detail;
      const message = typeof detail.message === "string"
        ? detail.message
        : JSON.stringify(record.detail);
      return errorFromObject({ ...detail, message }, status, seconds);
    }
    if (typeof record.message === "string") {
      return errorFromObject({ message: record.message }, status, seconds);
    }
  }
  const text = body.trim();
  return errorFromObject(
    { message: text || `upstream returned HTTP ${status}` },
    status,
    seconds,
  );
}
