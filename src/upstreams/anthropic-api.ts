/**
 * @module
 * Anthropic's Messages API with an API key (`claude-api-key`), and the call
 * shape it shares with the Claude login (`claude-oauth.ts`): the path for
 * the action, the client's query, and `anthropic-version` when the client
 * sent none.
 */
import type { Account } from "../store/account.ts";
import { claudeRestUntil } from "./claude-rate-limits.ts";
import {
  joinUrl,
  type Upstream,
  type UpstreamCall,
  type UpstreamTarget,
  withConfiguredHeaders,
} from "./upstream.ts";

const DEFAULT_BASE = "https://api.anthropic.com";
const DEFAULT_VERSION = "2023-06-01";

/** A Messages API call on `base`; `authorize` sets the credential headers. */
export function messagesTarget(
  base: string,
  { action, headers, query }: UpstreamCall,
  authorize: (headers: Headers) => void,
): UpstreamTarget {
  const path = action === "count-tokens" ? "/v1/messages/count_tokens" : "/v1/messages";
  const out = headers;
  authorize(out);
  if (!out.has("anthropic-version")) out.set("anthropic-version", DEFAULT_VERSION);
  const search = query.toString();
  return { url: joinUrl(base, path) + (search ? `?${search}` : ""), headers: out };
}

export function anthropicApiUpstream(account: Account): Upstream {
  const base = (account.credentials.base_url as string | undefined) ?? DEFAULT_BASE;
  return {
    dialect: "anthropic",
    countsTokens: true,
    restUntil: claudeRestUntil,
    target: (call) => {
      const target = messagesTarget(base, call, (headers) => {
        headers.set("x-api-key", String(account.credentials.api_key));
      });
      withConfiguredHeaders(target.headers, account.credentials.headers);
      return target;
    },
  };
}
