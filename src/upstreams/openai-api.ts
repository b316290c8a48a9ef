/**
 * @module
 * OpenAI's APIs with a key: the Responses API for `codex-api-key` entries, and
 * Chat Completions for every `openai-compatibility` upstream.
 */
import type { Account } from "../store/account.ts";
import { joinUrl, type Upstream, withConfiguredHeaders } from "./upstream.ts";

const OPENAI_BASE = "https://api.openai.com/v1";

export function openaiResponsesUpstream(account: Account): Upstream {
  const base = (account.credentials.base_url as string | undefined) ?? OPENAI_BASE;
  return {
    dialect: "openai-responses",
    countsTokens: false,
    target({ headers }) {
      const out = headers;
      out.set("authorization", `Bearer ${account.credentials.api_key}`);
      return {
        url: joinUrl(base, "/responses"),
        headers: withConfiguredHeaders(out, account.credentials.headers),
      };
    },
  };
}

export function openaiCompatibleUpstream(account: Account): Upstream {
  const base = account.credentials.base_url as string;
  const keys = (account.credentials.api_keys as string[] | undefined) ?? [];
  let next = 0;
  return {
    dialect: "openai-chat",
    countsTokens: false,
    target({ headers }) {
      const out = headers;
      // Several keys for one upstream take turns; a local Ollama needs none.
      if (keys.length) out.set("authorization", `Bearer ${keys[next++ % keys.length]}`);
      return {
        url: joinUrl(base, "/chat/completions"),
        headers: withConfiguredHeaders(out, account.credentials.headers),
      };
    },
  };
}
