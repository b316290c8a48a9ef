/**
 * @module
 * Which API dialect a client speaks, so every answer (errors included) comes
 * back in its own format.
 */

import type { ErrorFormat } from "../errors/error-format.ts";

export function detectDialect(path: string, headers: Headers): ErrorFormat {
  if (path.startsWith("/v1beta/") || path === "/v1beta") return "gemini";
  // The Google SDK also calls `/v1/models/{model}:generateContent`.
  if (path.startsWith("/v1/models/") && path.includes(":")) return "gemini";
  if (path.startsWith("/v1/messages")) return "anthropic";
  // OpenAI's own routes answer in OpenAI's shape, whatever header carried the key.
  if (path.startsWith("/v1/chat/") || path.startsWith("/v1/responses")) return "openai";
  if (headers.has("anthropic-version")) return "anthropic";
  if (headers.has("x-goog-api-key")) return "gemini";
  return "openai";
}
