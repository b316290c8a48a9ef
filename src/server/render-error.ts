/**
 * @module
 * An error as an HTTP answer in the client's shape, encoded by the dialect
 * that owns the shape (each codec's `encode-error.ts`).
 */
import type { ApiError } from "../errors/api-error.ts";
import type { ErrorFormat } from "../errors/error-format.ts";
import { CODECS } from "../dialects/registry.ts";
import { errorResponse } from "../dialects/error-response.ts";

/** The codec that speaks each error shape. */
const OWNER = {
  openai: CODECS["openai-chat"],
  anthropic: CODECS.anthropic,
  gemini: CODECS.gemini,
} as const;

export function errorBody(format: ErrorFormat, error: ApiError): unknown {
  return OWNER[format].encodeError(error);
}

export function renderError(format: ErrorFormat, error: ApiError): Response {
  return errorResponse(OWNER[format], error);
}
