/**
 * @module
 * An OpenAI-style error (`{"error":{message,type,code,param}}`), as an HTTP
 * error response or in-band in a stream, as a canonical `ApiError`. The HTTP
 * status decides first; `type`/`code` decide for in-band errors (HTTP 200).
 * Quota codes count as rate limits whatever the status (Qwen answers 403).
 */
import {
  kindFromStatus,
  parseJsonOrUndefined,
  retryAfterSeconds,
  upstreamError,
} from "../http-error.ts";
import type { ApiError, ErrorKind } from "../../errors/api-error.ts";
import { isObject } from "../../ir/json.ts";
import type { ChatErrorBody, ChatErrorObject } from "./wire-types.ts";

const QUOTA_CODES = new Set(["insufficient_quota", "quota_exceeded", "rate_limit_exceeded"]);

/** An in-band error's kind from its `code`, then its `type` (the names OpenAI and its imitators use). */
function kindFromType(code: string | null | undefined, type: string | null | undefined): ErrorKind {
  switch (code) {
    case "invalid_api_key":
      return "authentication";
    case "not_found":
    case "model_not_found":
      return "not_found";
    case "request_too_large":
      return "request_too_large";
    case "context_length_exceeded":
      return "invalid_request";
  }
  switch (type) {
    case "invalid_request_error":
    case "invalid_request":
      return "invalid_request";
    case "authentication_error":
      return "authentication";
    case "permission_error":
    case "permission_denied":
      return "permission";
    case "not_found_error":
      return "not_found";
    case "request_too_large":
      return "request_too_large";
    case "rate_limit_error":
    case "insufficient_quota":
      return "rate_limit";
    case "overloaded_error":
      return "overloaded";
    default:
      return "api_error";
  }
}

/** The canonical error for an OpenAI-style error object and the HTTP status it came with. */
export function errorFromObject(
  error: ChatErrorObject | string,
  httpStatus: number,
  retryAfterSeconds?: number,
): ApiError {
  const object: ChatErrorObject = typeof error === "string" ? { message: error } : error;
  const code = object.code;
  // In-band errors name the status they stand for (OpenRouter `code: 400`, Groq `status_code`).
  const status = httpStatus >= 400
    ? httpStatus
    : typeof object.status_code === "number"
    ? object.status_code
    : typeof code === "number"
    ? code
    : 0;
  let kind: ErrorKind;
  if (typeof code === "string" && QUOTA_CODES.has(code)) kind = "rate_limit";
  else {
    kind = kindFromStatus(status) ??
      kindFromType(typeof code === "string" ? code : undefined, object.type);
  }
  const result = upstreamError(kind, object.message, status);
  const name = typeof code === "string" ? code : object.type;
  if (typeof name === "string" && name) result.code = name;
  if (retryAfterSeconds !== undefined) result.retryAfterSeconds = retryAfterSeconds;
  return result;
}

/** The body as an error body, when it is a JSON object (the first one, for an array). */
function readErrorBody(text: string): ChatErrorBody | undefined {
  const parsed = parseJsonOrUndefined(text);
  const body = Array.isArray(parsed) ? parsed[0] : parsed;
  return isObject(body) ? body as ChatErrorBody : undefined;
}

export function decodeError(status: number, body: string, headers: Headers): ApiError {
  const seconds = retryAfterSeconds(headers);
  const wire = readErrorBody(body);
  const error = wire?.error;
  if (error && (typeof error === "object" || typeof error === "string")) {
    return errorFromObject(error, status, seconds);
  }
  if (typeof wire?.message === "string") {
    return errorFromObject({ message: wire.message }, status, seconds);
  }
  const text = body.trim();
  return errorFromObject(
    { message: text || `upstream returned HTTP ${status}` },
    status,
    seconds,
  );
}
