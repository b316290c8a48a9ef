/**
 * @module
 * An error in Google's shape, `{error:{code,message,status}}`.
 */
import type { ApiError, ErrorKind } from "../../errors/api-error.ts";
import type { GeminiStatus } from "./wire-types.ts";

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

export function encodeError(error: ApiError): { error: GeminiStatus } {
  return {
    error: { code: error.status, message: error.message, status: googleStatus(error.kind) },
  };
}
