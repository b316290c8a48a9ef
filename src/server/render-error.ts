/**
 * @module
 * An error as an HTTP answer in the client's shape, encoded by the dialect
 * that owns the shape (each codec's `encode-error.ts`).
 */
import type { ApiError } from "../errors/api-error.ts";
import type { ErrorFormat } from "../errors/error-format.ts";
import { CODECS } from "../dialects/registry.ts";

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
  const headers = new Headers({ "content-type": "application/json" });
  if (error.retryAfterSeconds !== undefined) {
    headers.set("retry-after", String(Math.max(0, Math.ceil(error.retryAfterSeconds))));
  }
  if (error.kind === "authentication" && format === "openai") {
    headers.set("www-authenticate", 'Bearer realm="subgate"');
  }
  return new Response(JSON.stringify(errorBody(format, error)), {
    status: error.status,
    headers,
  });
}
