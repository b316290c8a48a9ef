/**
 * @module
 * Google's Gemini API with a key (`gemini-api-key`). The model and the
 * streaming choice live in the URL.
 */
import type { Account } from "../store/account.ts";
import { joinUrl, type Upstream, withConfiguredHeaders } from "./upstream.ts";

const DEFAULT_BASE = "https://generativelanguage.googleapis.com/v1beta";

export function geminiApiUpstream(account: Account): Upstream {
  const base = (account.credentials.base_url as string | undefined) ?? DEFAULT_BASE;
  return {
    dialect: "gemini",
    countsTokens: true,
    target({ model, stream, action, headers }) {
      const method = action === "count-tokens"
        ? "countTokens"
        : stream
        ? "streamGenerateContent?alt=sse"
        : "generateContent";
      const out = headers;
      out.set("x-goog-api-key", String(account.credentials.api_key));
      return {
        url: joinUrl(base, `/models/${encodeURIComponent(model)}:${method}`),
        headers: withConfiguredHeaders(out, account.credentials.headers),
      };
    },
  };
}
