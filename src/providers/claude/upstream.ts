/**
 * @module
 * Claude through a Pro/Max login: Anthropic's Messages API with the OAuth
 * token as a Bearer credential and the OAuth beta added to whatever betas
 * the client sent. The request is otherwise exactly the client's: subgate
 * adds no identity prompt, user agent or fingerprint of another client.
 */
import { listAnthropicModels, messagesTarget } from "../../upstreams/anthropic-messages.ts";
import { claudeRestUntil } from "../../upstreams/claude-rate-limits.ts";
import type { Upstream, UpstreamAccount } from "../../upstreams/upstream.ts";

const OAUTH_BETA = "oauth-2025-04-20";

/** The client's betas plus the OAuth one, each once, in the client's order. */
export function withOAuthBeta(betas: string | null): string {
  const list = (betas ?? "").split(",").map((beta) => beta.trim()).filter(Boolean);
  if (!list.includes(OAUTH_BETA)) list.push(OAUTH_BETA);
  return list.join(",");
}

export function claudeOAuthUpstream(account: UpstreamAccount, baseUrl: string): Upstream {
  const authorize = (headers: Headers) => {
    headers.delete("x-api-key");
    headers.set("authorization", `Bearer ${account.credentials.access_token}`);
    headers.set("anthropic-beta", withOAuthBeta(headers.get("anthropic-beta")));
  };
  return {
    dialect: "anthropic",
    countsTokens: true,
    restUntil: claudeRestUntil,
    // Where the login may list models; where it may not, the seed list and the family stand.
    listModels: () => listAnthropicModels(baseUrl, authorize),
    target: (call) => messagesTarget(baseUrl, call, authorize),
  };
}
