/**
 * @module
 * An error in Anthropic's shape, `{type:"error",error:{type,message}}`.
 */
import type { ApiError, ErrorKind } from "../../errors/api-error.ts";
import type { AnthropicErrorBody } from "./wire-types.ts";

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

export function encodeError(error: ApiError): AnthropicErrorBody {
  return { type: "error", error: { type: anthropicType(error.kind), message: error.message } };
}
