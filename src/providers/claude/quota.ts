/**
 * @module
 * A Claude login's plan quota: the unified rate-limit headers on every answer
 * (`upstreams/claude-rate-limits.ts`), and the OAuth usage endpoint Claude
 * Code's `/usage` reads:
 *
 *   GET https://api.anthropic.com/api/oauth/usage
 *   Authorization: Bearer <access token>, anthropic-beta: oauth-2025-04-20
 *   → {"five_hour": {"utilization": 24.0, "resets_at": "2026-01-02T19:59:59.600956+00:00"},
 *      "seven_day": {…}, "seven_day_opus": {…} | null, "seven_day_sonnet": {…} | null, …}
 *
 * `utilization` is a percentage here (a fraction in the headers); `resets_at`
 * is ISO 8601 (some sources saw unix seconds: both are read). The opus and
 * sonnet windows limit only those models. Objects the endpoint adds later
 * with a `utilization` are kept as advisory windows under their own names.
 */
import { claudeWindowsFromHeaders } from "../../upstreams/claude-rate-limits.ts";
import {
  clampPercent,
  numberOf,
  type ProviderQuota,
  quotaJson,
  type QuotaReading,
  resetTimeOf,
} from "../../upstreams/quota.ts";
import { joinUrl } from "../../upstreams/upstream.ts";
import { VERSION } from "../../version.ts";

const OAUTH_BETA = "oauth-2025-04-20";

const KNOWN: Record<string, Pick<QuotaReading, "name" | "models">> = {
  five_hour: { name: "5h" },
  seven_day: { name: "7d" },
  seven_day_opus: { name: "7d-opus", models: ["*opus*"] },
  seven_day_sonnet: { name: "7d-sonnet", models: ["*sonnet*"] },
};

/** The windows of a usage answer; null windows (a plan without them) are left out. */
export function claudeUsageWindows(body: unknown): QuotaReading[] {
  if (!body || typeof body !== "object") return [];
  const readings: QuotaReading[] = [];
  for (const [key, value] of Object.entries(body as Record<string, unknown>)) {
    if (!value || typeof value !== "object") continue;
    const { utilization, resets_at } = value as Record<string, unknown>;
    const used = numberOf(utilization);
    // `extra_usage` (paid overage) has a null utilization when off: not a window.
    if (used === undefined || key === "extra_usage") continue;
    const known = KNOWN[key];
    readings.push({
      ...(known ?? { name: key.replaceAll("_", "-"), advisory: true }),
      usedPercent: clampPercent(used),
      resetsAt: resetTimeOf(resets_at),
    });
  }
  return readings;
}

export const claudeQuota: ProviderQuota = {
  fromHeaders: claudeWindowsFromHeaders,
  async fetch(account, { baseUrl }, signal) {
    const body = await quotaJson(joinUrl(baseUrl, "/api/oauth/usage"), {
      headers: {
        authorization: `Bearer ${account.credentials.access_token}`,
        "anthropic-beta": OAUTH_BETA,
        accept: "application/json",
        "user-agent": `subgate/${VERSION}`,
      },
      signal,
    });
    return claudeUsageWindows(body);
  },
  // Claude Code asks when its usage view opens; every five minutes is gentler than a person.
  pollSeconds: 300,
};
