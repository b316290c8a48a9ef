/**
 * @module
 * Anthropic's Messages API with an API key (`claude-api-key`): the key as
 * `x-api-key`, the entry's base URL and headers, the Messages call shape it
 * shares with the Claude login.
 */
import { listAnthropicModels, messagesTarget } from "../../upstreams/anthropic-messages.ts";
import { claudeRestUntil } from "../../upstreams/claude-rate-limits.ts";
import {
  type Upstream,
  type UpstreamAccount,
  withConfiguredHeaders,
} from "../../upstreams/upstream.ts";

const DEFAULT_BASE = "https://api.anthropic.com";

export function anthropicApiUpstream(account: UpstreamAccount): Upstream {
  const base = (account.credentials.base_url as string | undefined) ?? DEFAULT_BASE;
  const authorize = (headers: Headers) => {
    headers.set("x-api-key", String(account.credentials.api_key));
    withConfiguredHeaders(headers, account.credentials.headers);
  };
  return {
    dialect: "anthropic",
    countsTokens: true,
    restUntil: claudeRestUntil,
    listModels: () => listAnthropicModels(base, authorize),
    target: (call) => messagesTarget(base, call, authorize),
  };
}
