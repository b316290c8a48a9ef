/**
 * @module
 * Antigravity's API: Code Assist's envelope and wrapped answers
 * (`upstreams/code-assist.ts`) with the user agent the service admits
 * (`client.ts`), its model list from `fetchAvailableModels`, and its quota
 * refusals read for when the model is back.
 *
 * A spent allowance is a 429 whose google.rpc Status says when it resets, in
 * the message and the details (seen in public reports, e.g. decolua/9router
 * #789 and #1308, router-for-me/CLIProxyAPI #3655):
 *
 *   {"error": {"code": 429, "status": "RESOURCE_EXHAUSTED",
 *     "message": "You have exhausted your capacity on this model. Your quota will reset
 *                 after 25h20m26s.",   (or "… Resets in 71h15m27s.")
 *     "details": [{"@type": "…ErrorInfo", "reason": "QUOTA_EXHAUSTED",
 *                  "metadata": {"model", "quotaResetDelay": "25h20m26.17s",
 *                               "quotaResetTimeStamp": "…Z"}},
 *                 {"@type": "…RetryInfo", "retryDelay": "91226.17s"}]}}
 *
 * The login then rests for that model until the reset. A bare
 * "Resource has been exhausted (e.g. check quota)." names no time: the usual
 * short backoff applies.
 */
import type { ApiError } from "../../errors/api-error.ts";
import { codeAssistUpstream } from "../../upstreams/code-assist.ts";
import {
  getModelList,
  type Upstream,
  type UpstreamAccount,
  type UpstreamAnswer,
} from "../../upstreams/upstream.ts";
import { antigravityUserAgent, availableModels, availableModelsCall } from "./client.ts";

/** `25h20m26s`, `2h37m22.7s`, `45m`, `30s` in seconds; undefined when it is none of these. */
export function parseResetDelay(text: string): number | undefined {
  const match = /^(?:(\d+)h)?(?:(\d+)m)?(?:(\d+(?:\.\d+)?)s)?$/.exec(text);
  if (!match || !(match[1] || match[2] || match[3])) return undefined;
  return Number(match[1] ?? 0) * 3600 + Number(match[2] ?? 0) * 60 + Number(match[3] ?? 0);
}

/** When a refused call's model is back: the reset the 429's message names, in epoch ms. */
export function antigravityRestUntil(
  error: ApiError,
  answer: UpstreamAnswer,
  now = Date.now(),
): number | undefined {
  if (answer.status !== 429) return undefined;
  const named = /(?:reset after|resets in)\s+([\dhms.]+?)\.?(?:\s|$)/i.exec(error.message);
  const seconds = named ? parseResetDelay(named[1]) : undefined;
  return seconds ? now + seconds * 1000 : undefined;
}

export function antigravityUpstream(
  account: UpstreamAccount,
  baseUrl: string,
  headers: Record<string, string> = {},
): Upstream {
  return {
    ...codeAssistUpstream(account, baseUrl, antigravityUserAgent(), headers),
    restUntil: antigravityRestUntil,
    async listModels() {
      const call = availableModelsCall(account, baseUrl, headers);
      const list = await getModelList(call.url, call.headers, call.body);
      return availableModels(list).map(([id]) => ({ id }));
    },
  };
}
