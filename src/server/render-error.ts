/**
 * @module
 * One error, three wire formats: OpenAI `{error:{message,type,code}}`,
 * Anthropic `{type:"error",error:{type,message}}` and Google's
 * `{error:{code,message,status}}`.
 */
import type { ApiError, ErrorKind } from "./api-error.ts";
import type { Dialect } from "./dialect.ts";

function openaiType(kind: ErrorKind): string {
  switch (kind) {
    case "authentication":
      return "authentication_error";
    case "permission":
      return "permission_error";
    case "rate_limit":
      return "rate_limit_error";
    case "api_error":
    case "overloaded":
      return "server_error";
    default:
      return "invalid_request_error";
  }
}

function openaiCode(kind: ErrorKind): string | null {
  switch (kind) {
    case "authentication":
      return "invalid_api_key";
    case "not_found":
      return "not_found";
    case "request_too_large":
      return "request_too_large";
    case "rate_limit":
      return "rate_limit_exceeded";
    default:
      return null;
  }
}

function anthropicType(kind: ErrorKind): string {
  switch (kind) {
    case "invalid_request":
      return "invalid_request_error";
    case "authentication":
      return "authentication_error";
    case "permission":
      return "permission_error";
    case "not_found":
      return "not_found_error";
    case "request_too_large":
      return "request_too_large";
    case "rate_limit":
      return "rate_limit_error";
    case "overloaded":
      return "overloaded_error";
    case "api_error":
      return "api_error";
  }
}

function googleStatus(kind: ErrorKind): string {
  switch (kind) {
    case "authentication":
      return "UNAUTHENTICATED";
    case "permission":
      return "PERMISSION_DENIED";
    case "not_found":
      return "NOT_FOUND";
    case "rate_limit":
      return "RESOURCE_EXHAUSTED";
    case "api_error":
      return "INTERNAL";
    case "overloaded":
      return "UNAVAILABLE";
    default:
      return "INVALID_ARGUMENT";
  }
}

export function errorBody(dialect: Dialect, error: ApiError): unknown {
  switch (dialect) {
    case "openai":
      return {
        error: {
          message: error.message,
          type: openaiType(error.kind),
          param: null,
          code: openaiCode(error.kind),
        },
      };
    case "anthropic":
      return { type: "error", error: { type: anthropicType(error.kind), message: error.message } };
    case "gemini":
      return {
        error: { code: error.status, message: error.message, status: googleStatus(error.kind) },
      };
  }
}

export function renderError(dialect: Dialect, error: ApiError): Response {
  const headers = new Headers({ "content-type": "application/json" });
  if (error.retryAfterSeconds !== undefined) {
    headers.set("retry-after", String(Math.max(0, Math.ceil(error.retryAfterSeconds))));
  }
  // A 408 ends the connection (the server closes it after this answer): say so.
  if (error.status === 408) headers.set("connection", "close");
  if (error.kind === "authentication" && dialect === "openai") {
    headers.set("www-authenticate", 'Bearer realm="subgate"');
  }
  return new Response(JSON.stringify(errorBody(dialect, error)), {
    status: error.status,
    headers,
  });
}
