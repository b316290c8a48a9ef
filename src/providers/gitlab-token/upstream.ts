/**
 * @module
 * GitLab Duo's AI gateway with a GitLab token (`gitlab-token`): the token is
 * exchanged for a short-lived gateway token (`gateway-token.ts`), which calls
 * the gateway's vendor proxies as GitLab's own documentation sets up Claude
 * Code and Codex CLI for its external agents
 * (`doc/user/duo_agent_platform/agents/external_examples.md`):
 *
 * - Claude models: Anthropic's Messages API at `{gateway}/v1/proxy/anthropic`
 *   (`/v1/messages`), the gateway token as `Authorization: Bearer`;
 * - OpenAI models: the Responses API at `{gateway}/v1/proxy/openai/v1`
 *   (`/responses`), the same way;
 *
 * each call with the headers the exchange named and the entry's own
 * `headers:` last. No model list is published for the gateway, so an entry
 * serves the seed list in `provider.ts` or the config's `models`.
 */
import type { DialectId } from "../../dialects/codec.ts";
import { messagesTarget } from "../../upstreams/anthropic-messages.ts";
import {
  joinUrl,
  type Upstream,
  type UpstreamAccount,
  withConfiguredHeaders,
} from "../../upstreams/upstream.ts";
import { forgetGatewayToken, type GatewayToken, gatewayToken } from "./gateway-token.ts";

type GatewayDialect = "anthropic" | "openai-responses";

/** The gateway proxy that serves a model: Anthropic's for Claude, OpenAI's for the rest. */
export function gatewayDialect(model: string): GatewayDialect {
  return /^claude-/i.test(model) ? "anthropic" : "openai-responses";
}

function authorize(account: UpstreamAccount, token: GatewayToken, headers: Headers): Headers {
  for (const [name, value] of Object.entries(token.headers)) headers.set(name, value);
  headers.set("authorization", `Bearer ${token.token}`);
  return withConfiguredHeaders(headers, account.credentials.headers);
}

export function gitlabUpstream(
  account: UpstreamAccount,
  dialect: GatewayDialect = "anthropic",
): Upstream {
  return {
    dialect,
    countsTokens: false,
    forModel(model: string, _client: DialectId) {
      const chosen = gatewayDialect(model);
      return chosen === dialect ? this : gitlabUpstream(account, chosen);
    },
    // A refused gateway token is exchanged again by the next request, a second from now.
    restUntil(_error, answer) {
      if (answer.status !== 401) return undefined;
      forgetGatewayToken(account);
      return Date.now() + 1000;
    },
    async target(call) {
      const token = await gatewayToken(account);
      if (dialect === "anthropic") {
        return messagesTarget(
          joinUrl(token.gateway, "/v1/proxy/anthropic"),
          call,
          (headers) => authorize(account, token, headers),
        );
      }
      return {
        url: joinUrl(token.gateway, "/v1/proxy/openai/v1/responses"),
        headers: authorize(account, token, call.headers),
      };
    },
  };
}
