/**
 * @module
 * Logins whose API is OpenAI Chat Completions with the OAuth token as a
 * Bearer credential: Kimi Code and Qwen Code.
 */
import type { Account } from "../store/account.ts";
import { joinUrl, type Upstream } from "./upstream.ts";

/** Qwen names its API host per account (`resource_url`), without scheme or `/v1`. */
export function qwenBaseUrl(account: Account, fallback: string): string {
  const resource = account.credentials.resource_url;
  if (typeof resource !== "string" || !resource) return fallback;
  const withScheme = /^https?:\/\//.test(resource) ? resource : `https://${resource}`;
  return withScheme.replace(/\/+$/, "").replace(/(\/v1)?$/, "/v1");
}

export function bearerChatUpstream(account: Account, baseUrl: string): Upstream {
  return {
    dialect: "openai-chat",
    countsTokens: false,
    target({ headers }) {
      const out = headers;
      out.set("authorization", `Bearer ${account.credentials.access_token}`);
      return { url: joinUrl(baseUrl, "/chat/completions"), headers: out };
    },
  };
}
