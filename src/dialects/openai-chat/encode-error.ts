/**
 * @module
 * An error in OpenAI's shape, `{error:{message,type,param,code}}`, as both
 * OpenAI APIs (Chat Completions and Responses) send it.
 */
import type { ApiError, ErrorKind } from "../../errors/api-error.ts";

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

export interface OpenAIErrorBody {
  error: { message: string; type: string; param: null; code: string | null };
}

export function encodeError(error: ApiError): OpenAIErrorBody {
  return {
    error: {
      message: error.message,
      type: openaiType(error.kind),
      param: null,
      code: openaiCode(error.kind),
    },
  };
}
