/**
 * @module
 * Anthropic's Messages API with an API key (`claude-api-key`).
 */
import type { Account } from "../store/account.ts";
import { claudeRestUntil } from "./claude-rate-limits.ts";
import { joinUrl, type Upstream, withConfiguredHeaders } from "./upstream.ts";

const DEFAULT_BASE = "https://api.anthropic.com";
const DEFAULT_VERSION = "2023-06-01";

export function anthropicApiUpstream(account: Account): Upstream {
  const base = (account.credentials.base_url as string | undefined) ?? DEFAULT_BASE;
  return {
    dialect: "anthropic",
    countsTokens: true,
    restUntil: claudeRestUntil,
    target({ action, headers, query }) {
      const path = action === "count-tokens" ? "/v1/messages/count_tokens" : "/v1/messages";
      const out = new Headers(headers);
      out.set("x-api-key", String(account.credentials.api_key));
      if (!out.has("anthropic-version")) out.set("anthropic-version", DEFAULT_VERSION);
      const search = query.toString();
      return {
        url: joinUrl(base, path) + (search ? `?${search}` : ""),
        headers: withConfiguredHeaders(out, account.credentials.headers),
      };
    },
  };
}
