/**
 * @module
 * Qwen Code's API: Chat Completions with the login's token on the host the
 * account names (`resource_url`), and Qwen's daily quota, which returns at
 * midnight in China.
 */
import type { ApiError } from "../../errors/api-error.ts";
import { bearerChatUpstream } from "../../upstreams/bearer-chat.ts";
import type { Upstream, UpstreamAccount, UpstreamAnswer } from "../../upstreams/upstream.ts";

/** Qwen names its API host per account (`resource_url`), without scheme or `/v1`. */
export function qwenBaseUrl(account: UpstreamAccount, fallback: string): string {
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

/** A configured base URL wins; else the account's own host; else Qwen's default. */
export function qwenUpstream(
  account: UpstreamAccount,
  configured: string | undefined,
  fallback: string,
): Upstream {
  return bearerChatUpstream(account, configured ?? qwenBaseUrl(account, fallback), qwenRestUntil);
}
