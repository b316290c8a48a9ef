/**
 * @module
 * Logins whose API is OpenAI Chat Completions with the OAuth token as a
 * Bearer credential: Kimi Code and Qwen Code.
 */
import type { ApiError } from "../errors/api-error.ts";
import type { Account } from "../store/account.ts";
import { listOpenAIModels } from "./openai-api.ts";
import { joinUrl, type Upstream, type UpstreamAnswer } from "./upstream.ts";

/** Qwen names its API host per account (`resource_url`), without scheme or `/v1`. */
export function qwenBaseUrl(account: Account, fallback: string): string {
  const resource = account.credentials.resource_url;
  if (typeof resource !== "string" || !resource) return fallback;
  const withScheme = /^https?:\/\//.test(resource) ? resource : `https://${resource}`;
  return withScheme.replace(/\/+$/, "").replace(/(\/v1)?$/, "/v1");
}

/**
 * Qwen spends a login's daily quota with a 403 `insufficient_quota` (or `quota_exceeded`, or a
 * "free allocated quota exceeded" message); a 429 is only its per-minute limit. The day is
 * China's: the quota returns at midnight UTC+8 (16:00 UTC), so the account rests until then.
 */
export function qwenRestUntil(error: ApiError, answer: UpstreamAnswer, now = Date.now()) {
  const daily = (answer.status === 403 &&
    (error.code === "insufficient_quota" || error.code === "quota_exceeded")) ||
    /free allocated quota exceeded/i.test(error.message);
  if (!daily) return undefined;
  const reset = new Date(now);
  reset.setUTCHours(16, 0, 0, 0);
  if (reset.getTime() <= now) reset.setUTCDate(reset.getUTCDate() + 1);
  return reset.getTime();
}

export function bearerChatUpstream(
  account: Account,
  baseUrl: string,
  restUntil?: Upstream["restUntil"],
): Upstream {
  return {
    dialect: "openai-chat",
    countsTokens: false,
    restUntil,
    listModels: () =>
      listOpenAIModels(
        baseUrl,
        new Headers({ authorization: `Bearer ${account.credentials.access_token}` }),
      ),
    target({ headers }) {
      const out = headers;
      out.set("authorization", `Bearer ${account.credentials.access_token}`);
      return { url: joinUrl(baseUrl, "/chat/completions"), headers: out };
    },
  };
}
