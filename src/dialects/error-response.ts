/**
 * @module
 * An error as an HTTP answer in the shape of the codec that renders it: the
 * codec's body, the error's status, `retry-after` when the error knows when
 * to try again, and OpenAI's `www-authenticate` for a refused key.
 */
import type { ApiError } from "../errors/api-error.ts";
import type { DialectCodec } from "./codec.ts";

export function errorResponse(codec: DialectCodec, error: ApiError): Response {
  const headers: Record<string, string> = { "content-type": "application/json" };
  if (error.retryAfterSeconds !== undefined) {
    headers["retry-after"] = String(Math.max(0, Math.ceil(error.retryAfterSeconds)));
  }
  if (error.kind === "authentication" && codec.errorFormat === "openai") {
    headers["www-authenticate"] = 'Bearer realm="subgate"';
  }
  return new Response(JSON.stringify(codec.encodeError(error)), {
    status: error.status,
    headers,
  });
}
