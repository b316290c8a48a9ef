/**
 * @module
 * A Gemini (Code Assist) login's quota, as Gemini CLI reads it for `/stats`
 * (`packages/core/src/code_assist/types.ts`, `server.ts`): `POST
 * {base}:retrieveUserQuota` with `{"project": <the login's project>}` →
 *
 *   {"buckets": [{"modelId": "gemini-2.5-pro", "tokenType": "REQUESTS",
 *                 "remainingFraction": 0.75, "remainingAmount"?, "resetTime": "…Z"}]}
 *
 * One window per model (Google's daily quota), limiting that model only.
 * Answers carry no quota headers.
 */
import {
  clampPercent,
  numberOf,
  type ProviderQuota,
  quotaJson,
  type QuotaReading,
  resetTimeOf,
} from "../../upstreams/quota.ts";
import { VERSION } from "../../version.ts";

/** The windows of a `retrieveUserQuota` answer. */
export function codeAssistQuotaWindows(body: unknown): QuotaReading[] {
  const buckets = (body as { buckets?: unknown } | null)?.buckets;
  if (!Array.isArray(buckets)) return [];
  const readings: QuotaReading[] = [];
  for (const bucket of buckets) {
    if (!bucket || typeof bucket !== "object") continue;
    const { modelId, remainingFraction, resetTime } = bucket as Record<string, unknown>;
    const left = numberOf(remainingFraction);
    if (typeof modelId !== "string" || !modelId || left === undefined) continue;
    // A model may have a bucket per token type; the first (requests, as Gemini CLI shows) wins.
    if (readings.some((reading) => reading.name === modelId)) continue;
    readings.push({
      name: modelId,
      usedPercent: clampPercent((1 - left) * 100),
      resetsAt: resetTimeOf(resetTime),
      models: [modelId],
    });
  }
  return readings;
}

export const geminiQuota: ProviderQuota = {
  async fetch(account, { baseUrl }, signal) {
    const project = account.credentials.project_id;
    if (typeof project !== "string" || !project) return [];
    const body = await quotaJson(`${baseUrl.replace(/\/+$/, "")}:retrieveUserQuota`, {
      method: "POST",
      headers: {
        authorization: `Bearer ${account.credentials.access_token}`,
        "content-type": "application/json",
        accept: "application/json",
        "user-agent": `subgate/${VERSION}`,
      },
      body: JSON.stringify({ project }),
      signal,
    });
    return codeAssistQuotaWindows(body);
  },
  pollSeconds: 300,
};
