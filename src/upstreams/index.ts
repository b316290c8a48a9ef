/**
 * @module
 * The upstream for an account: one line per kind, and per provider for
 * subscription logins.
 */
import type { Config } from "../config/config-types.ts";
import { PROVIDERS } from "../providers/registry.ts";
import type { Account } from "../store/account.ts";
import { anthropicApiUpstream } from "./anthropic-api.ts";
import { bearerChatUpstream, qwenBaseUrl, qwenRestUntil } from "./bearer-chat.ts";
import { claudeOAuthUpstream } from "./claude-oauth.ts";
import { codexBackendUpstream } from "./codex-backend.ts";
import { codeAssistUpstream } from "./code-assist.ts";
import { copilotUpstream } from "./copilot.ts";
import { geminiApiUpstream } from "./gemini-api.ts";
import { openaiCompatibleUpstream, openaiResponsesUpstream } from "./openai-api.ts";
import type { Upstream } from "./upstream.ts";

const cache = new WeakMap<Account, Upstream>();

/** Subscription logins; built per call, since each token refresh makes a new account value. */
function loginUpstream(account: Account, providers: Config["providers"]): Upstream | undefined {
  switch (account.provider) {
    case "claude":
      return claudeOAuthUpstream(account, providers.claude?.baseUrl ?? PROVIDERS.claude.baseUrl);
    case "codex":
      return codexBackendUpstream(account, providers.codex?.baseUrl ?? PROVIDERS.codex.baseUrl);
    case "copilot":
      return copilotUpstream(
        account,
        providers.copilot?.apiUrl ?? PROVIDERS.copilot.apiUrl!,
        providers.copilot?.baseUrl,
      );
    case "gemini":
      return codeAssistUpstream(account, providers.gemini?.baseUrl ?? PROVIDERS.gemini.baseUrl);
    case "kimi":
      return bearerChatUpstream(account, providers.kimi?.baseUrl ?? PROVIDERS.kimi.baseUrl);
    case "qwen":
      return bearerChatUpstream(
        account,
        providers.qwen?.baseUrl ?? qwenBaseUrl(account, PROVIDERS.qwen.baseUrl),
        qwenRestUntil,
      );
    default:
      return undefined;
  }
}

/** The account's upstream, or undefined when subgate cannot reach this kind yet. */
export function upstreamFor(
  account: Account,
  providers: Config["providers"] = {},
): Upstream | undefined {
  if (account.kind === "oauth") return loginUpstream(account, providers);
  const known = cache.get(account);
  if (known) return known;
  let upstream: Upstream;
  switch (account.kind) {
    case "claude-api-key":
      upstream = anthropicApiUpstream(account);
      break;
    case "codex-api-key":
      upstream = openaiResponsesUpstream(account);
      break;
    case "gemini-api-key":
      upstream = geminiApiUpstream(account);
      break;
    case "openai-compatibility":
      upstream = openaiCompatibleUpstream(account);
      break;
  }
  cache.set(account, upstream);
  return upstream;
}
