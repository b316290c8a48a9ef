/**
 * @module
 * The parts of reading an upstream's HTTP error every dialect shares: the
 * retry time from the headers, the kind a bare status means, and a JSON
 * parse that never throws. Each codec's `decode-error.ts` adds its
 * dialect's body shape on top.
 */
import { type ApiError, apiError, type ErrorKind } from "../errors/api-error.ts";

/** Longest upstream message passed on; error pages can be huge. */
export const MAX_MESSAGE = 1000;

/**
 * The canonical error for an upstream's kind, message and HTTP status: the message clipped (or
 * a plain one when there is none), and a more precise status of the same class kept (422, 502,
 * 504 …) over the kind's default.
 */
export function upstreamError(kind: ErrorKind, message: unknown, status: number): ApiError {
  const text = typeof message === "string" && message
    ? message.slice(0, MAX_MESSAGE)
    : `upstream error${status ? ` (HTTP ${status})` : ""}`;
  const result = apiError(kind, text).error;
  if (
    (kind === "invalid_request" && status >= 400 && status < 500) ||
    (kind === "api_error" && status >= 500)
  ) {
    result.status = status;
  }
  return result;
}

/** `retry-after-ms` (OpenAI), else `retry-after` (seconds or an HTTP date), in seconds. */
export function retryAfterSeconds(headers: Headers): number | undefined {
  const ms = headers.get("retry-after-ms")?.trim();
  if (ms && Number.isFinite(Number(ms))) return Math.max(0, Number(ms) / 1000);
  const value = headers.get("retry-after")?.trim();
  if (!value) return undefined;
  if (Number.isFinite(Number(value))) return Math.max(0, Number(value));
  const date = Date.parse(value);
  return Number.isNaN(date) ? undefined : Math.max(0, (date - Date.now()) / 1000);
}

/** What an HTTP status alone says about an error. */
export function kindFromStatus(status: number): ErrorKind | undefined {
  switch (status) {
    case 400:
    case 409:
    case 422:
      return "invalid_request";
    case 401:
      return "authentication";
    case 402:
    case 429:
      return "rate_limit";
    case 403:
      return "permission";
    case 404:
      return "not_found";
    case 413:
      return "request_too_large";
    case 503:
    case 529:
      return "overloaded";
  }
  if (status >= 500) return "api_error";
  if (status >= 400) return "invalid_request";
  return undefined;
}

/** The parsed body, or undefined when it is not JSON (HTML error pages, empty bodies). */
export function parseJsonOrUndefined(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}
