/**
 * @module
 * A google.rpc `Status` error (`{"error":{code,message,status,details}}`), as
 * an HTTP error response or in-band in a stream, as a canonical `ApiError`.
 *
 * - The `status` name decides first (`RESOURCE_EXHAUSTED` → rate_limit …), then
 *   the HTTP status (or `code` for in-band errors, which arrive on HTTP 200).
 * - An `ErrorInfo` with reason `API_KEY_INVALID` (Google answers 400) is an
 *   authentication error.
 * - The retry delay comes from a `RetryInfo` detail (`"34.4s"`), else the
 *   `retry-after` header, else a "Please retry in 3.56s." in the message.
 * - Streaming endpoints without `alt=sse` wrap the body in an array: the first
 *   element counts.
 */
import {
  kindFromStatus,
  MAX_MESSAGE,
  parseJsonOrUndefined,
  retryAfterSeconds,
  upstreamError,
} from "../http-error.ts";
import type { ApiError, ErrorKind } from "../../errors/api-error.ts";
import { isObject } from "../../ir/json.ts";
import type { GeminiErrorBody, GeminiErrorDetail, GeminiStatus } from "./wire-types.ts";

function kindFromStatusName(name: string | undefined): ErrorKind | undefined {
  switch (name) {
    case "INVALID_ARGUMENT":
    case "FAILED_PRECONDITION":
    case "OUT_OF_RANGE":
    case "ALREADY_EXISTS":
    case "ABORTED":
      return "invalid_request";
    case "UNAUTHENTICATED":
      return "authentication";
    case "PERMISSION_DENIED":
      return "permission";
    case "NOT_FOUND":
      return "not_found";
    case "RESOURCE_EXHAUSTED":
      return "rate_limit";
    case "UNAVAILABLE":
    case "DEADLINE_EXCEEDED":
      return "overloaded";
    case "INTERNAL":
    case "UNKNOWN":
    case "DATA_LOSS":
    case "UNIMPLEMENTED":
    case "CANCELLED":
      return "api_error";
  }
  return undefined;
}

/** A protobuf Duration ("3.56s", "1s", "0.5s") in seconds. */
export function parseDuration(value: unknown): number | undefined {
  if (typeof value !== "string") return undefined;
  const match = /^\s*(\d+(?:\.\d+)?)s\s*$/.exec(value);
  return match ? Number(match[1]) : undefined;
}

function retryFromDetails(details: GeminiErrorDetail[] | undefined): number | undefined {
  if (!Array.isArray(details)) return undefined;
  for (const detail of details) {
    if (!detail || typeof detail !== "object") continue;
    const seconds = parseDuration(detail.retryDelay);
    if (seconds !== undefined) return seconds;
  }
  return undefined;
}

function hasReason(details: GeminiErrorDetail[] | undefined, reason: string): boolean {
  return Array.isArray(details) &&
    details.some((detail) => detail && typeof detail === "object" && detail.reason === reason);
}

/**
 * A daily quota (a QuotaFailure whose quotaId says per day, or Code Assist's
 * QUOTA_EXHAUSTED) is spent until Google resets it, at midnight Pacific time:
 * the seconds until then. A per-minute limit has its own RetryInfo instead.
 */
export function dailyQuotaRetry(details: GeminiErrorDetail[] | undefined, now = Date.now()) {
  if (!Array.isArray(details)) return undefined;
  const daily = details.some((detail) => {
    if (!detail || typeof detail !== "object") return false;
    if (detail.reason === "QUOTA_EXHAUSTED") return true;
    const violations = (detail.violations ?? []) as { quotaId?: unknown }[];
    return violations.some((v) => /PerDay|Daily/i.test(String(v?.quotaId ?? "")));
  });
  if (!daily) return undefined;
  // Midnight Pacific is 08:00 UTC (07:00 in summer); the later hour never retries too early.
  const reset = new Date(now);
  reset.setUTCHours(8, 0, 0, 0);
  if (reset.getTime() <= now) reset.setUTCDate(reset.getUTCDate() + 1);
  return Math.ceil((reset.getTime() - now) / 1000);
}

function retryFromMessage(message: string): number | undefined {
  const match = /retry in (\d+(?:\.\d+)?)\s*(ms|s)\b/i.exec(message);
  if (!match) return undefined;
  const value = Number(match[1]);
  return match[2].toLowerCase() === "ms" ? value / 1000 : value;
}

/** The canonical error for a google.rpc Status and the HTTP status it came with (0 in-band). */
export function errorFromStatus(
  error: GeminiStatus,
  httpStatus: number,
  headerRetry?: number,
): ApiError {
  const status = httpStatus >= 400 ? httpStatus : typeof error.code === "number" ? error.code : 0;
  let kind = kindFromStatusName(error.status) ??
    // Google's gateway timeout means the model is busy: another try may well succeed.
    (status === 504 ? "overloaded" : kindFromStatus(status)) ?? "api_error";
  if (hasReason(error.details, "API_KEY_INVALID")) kind = "authentication";
  const result = upstreamError(kind, error.message, status);
  const message = result.message;
  const retry = dailyQuotaRetry(error.details) ?? retryFromDetails(error.details) ?? headerRetry ??
    retryFromMessage(message);
  if (retry !== undefined) result.retryAfterSeconds = retry;
  return result;
}

/** The body as an error body, when it is a JSON object (the first one, for an array). */
function readErrorBody(text: string): GeminiErrorBody | undefined {
  const parsed = parseJsonOrUndefined(text);
  const body = Array.isArray(parsed) ? parsed[0] : parsed;
  return isObject(body) ? body as GeminiErrorBody : undefined;
}

export function decodeError(status: number, body: string, headers: Headers): ApiError {
  const headerRetry = retryAfterSeconds(headers);
  const wire = readErrorBody(body);
  if (isObject(wire?.error)) return errorFromStatus(wire.error, status, headerRetry);
  if (typeof wire?.error === "string") {
    return errorFromStatus({ message: wire.error }, status, headerRetry);
  }
  if (typeof wire?.message === "string") {
    return errorFromStatus({ message: wire.message }, status, headerRetry);
  }
  const text = body.trim();
  return errorFromStatus(
    { message: text ? text.slice(0, MAX_MESSAGE) : `upstream returned HTTP ${status}` },
    status,
    headerRetry,
  );
}
