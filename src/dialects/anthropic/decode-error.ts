/**
 * @module
 * An Anthropic error (`{"type":"error","error":{"type","message"}}`), as an
 * HTTP error response or a stream's `error` event, as a canonical `ApiError`.
 * The error's `type` decides the kind; without one, the HTTP status does.
 * `retry-after` (seconds or an HTTP date) becomes `retryAfterSeconds`.
 */
import {
  kindFromStatus,
  MAX_MESSAGE,
  parseJsonOrUndefined,
  retryAfterSeconds,
} from "../http-error.ts";
import { type ApiError, apiError, type ErrorKind } from "../../errors/api-error.ts";
import { isObject } from "../../ir/json.ts";
import type { AnthropicErrorBody, AnthropicErrorObject } from "./wire-types.ts";

/** The shared status table, but Anthropic's 402 (billing) is a permission problem, not a limit. */
function kindFromHttp(status: number): ErrorKind {
  return status === 402 ? "permission" : kindFromStatus(status) ?? "api_error";
}

function kindFromType(type: string | undefined): ErrorKind | undefined {
  switch (type) {
    case "invalid_request_error":
      return "invalid_request";
    case "authentication_error":
      return "authentication";
    case "permission_error":
    case "billing_error":
      return "permission";
    case "not_found_error":
      return "not_found";
    case "request_too_large":
      return "request_too_large";
    case "rate_limit_error":
      return "rate_limit";
    case "api_error":
    case "timeout_error":
      return "api_error";
    case "overloaded_error":
      return "overloaded";
    default:
      return undefined;
  }
}

function clip(text: string): string {
  return text.length > MAX_MESSAGE ? `${text.slice(0, MAX_MESSAGE)}…` : text;
}

/**
 * An error object from a body or a stream event (read defensively: a stream's `error` may be
 * anything); `status` 0 means "the kind's usual status".
 */
export function errorFromObject(
  error: Partial<AnthropicErrorObject> | undefined,
  status = 0,
): ApiError {
  const object: Partial<AnthropicErrorObject> = isObject(error) ? error : {};
  const type = typeof object.type === "string" ? object.type : undefined;
  const kind = kindFromType(type) ?? (status ? kindFromHttp(status) : "api_error");
  const message = typeof object.message === "string" && object.message
    ? clip(object.message)
    : `The upstream reported ${type ?? "an error"}.`;
  const decoded = apiError(kind, message).error;
  if (status >= 400) decoded.status = status;
  return decoded;
}

/** A message for a body that is not Anthropic's error JSON (an HTML page, plain text, nothing). */
function describeBody(status: number, body: string): string {
  const text = body.trim();
  if (!text) return `The upstream answered HTTP ${status} with no body.`;
  if (text.startsWith("<")) return `The upstream answered HTTP ${status} with an HTML page.`;
  return `The upstream answered HTTP ${status}: ${clip(text.replace(/\s+/g, " "))}`;
}

/** The body as Anthropic's error JSON: an object whose `error` is an object. */
function readErrorBody(body: string): AnthropicErrorBody | undefined {
  const parsed = parseJsonOrUndefined(body);
  return isObject(parsed) && isObject(parsed.error)
    ? parsed as unknown as AnthropicErrorBody
    : undefined;
}

export function decodeError(status: number, body: string, headers: Headers): ApiError {
  const wire = readErrorBody(body);
  const error = wire
    ? errorFromObject(wire.error, status)
    : { ...apiError(kindFromHttp(status), describeBody(status, body)).error };
  if (status >= 400) error.status = status;
  const seconds = retryAfterSeconds(headers);
  if (seconds !== undefined) error.retryAfterSeconds = seconds;
  return error;
}
