/**
 * @module
 * A Kimi Code login's quota, as Moonshot's own CLI reads it for `/usage`
 * (`kimi-cli`, `src/kimi_cli/ui/shell/usage.py`): `GET {base}/usages` with the
 * login's Bearer token →
 *
 *   {"usage": {"limit": "100", "used": "26", "remaining": "74", "resetTime": "2026-…Z"},
 *    "limits": [{"window": {"duration": 300, "timeUnit": "TIME_UNIT_MINUTE"},
 *                "detail": {"limit", "used" | "remaining", "resetTime"}}]}
 *
 * Numbers may come as strings; `used` may be missing (then limit − remaining).
 * Kimi's CLI calls the `usage` row the weekly limit. Answers carry no quota
 * headers.
 */
import {
  clampPercent,
  numberOf,
  type ProviderQuota,
  quotaJson,
  type QuotaReading,
  resetTimeOf,
  windowName,
} from "../../upstreams/quota.ts";
import { joinUrl } from "../../upstreams/upstream.ts";
import { VERSION } from "../../version.ts";

function usedPercent(detail: Record<string, unknown>): number | undefined {
  const limit = numberOf(detail.limit);
  if (!limit || limit <= 0) return undefined;
  const remaining = numberOf(detail.remaining);
  const used = numberOf(detail.used) ?? (remaining !== undefined ? limit - remaining : undefined);
  return used === undefined ? undefined : clampPercent((used / limit) * 100);
}

function minutesOf(window: Record<string, unknown>): number | undefined {
  const duration = numberOf(window.duration);
  const unit = String(window.timeUnit ?? "");
  if (!duration) return undefined;
  if (unit.includes("MINUTE")) return duration;
  if (unit.includes("HOUR")) return duration * 60;
  if (unit.includes("DAY")) return duration * 1440;
  return undefined;
}

const objectOf = (value: unknown): Record<string, unknown> | undefined =>
  value && typeof value === "object" && !Array.isArray(value)
    ? value as Record<string, unknown>
    : undefined;

/** The windows of a `/usages` answer. */
export function kimiUsageWindows(body: unknown): QuotaReading[] {
  const payload = objectOf(body);
  if (!payload) return [];
  const readings: QuotaReading[] = [];
  const summary = objectOf(payload.usage);
  const summaryUsed = summary && usedPercent(summary);
  if (summary && summaryUsed !== undefined) {
    readings.push({
      name: "7d",
      usedPercent: summaryUsed,
      resetsAt: resetTimeOf(summary.resetTime),
    });
  }
  const limits = Array.isArray(payload.limits) ? payload.limits : [];
  limits.forEach((item, index) => {
    const entry = objectOf(item);
    if (!entry) return;
    const detail = objectOf(entry.detail) ?? entry;
    const used = usedPercent(detail);
    if (used === undefined) return;
    const name = windowName(minutesOf(objectOf(entry.window) ?? {}), `limit-${index + 1}`);
    if (readings.some((reading) => reading.name === name)) return;
    readings.push({ name, usedPercent: used, resetsAt: resetTimeOf(detail.resetTime) });
  });
  return readings;
}

export const kimiQuota: ProviderQuota = {
  async fetch(account, { baseUrl }, signal) {
    const body = await quotaJson(joinUrl(baseUrl, "/usages"), {
      headers: {
        authorization: `Bearer ${account.credentials.access_token}`,
        accept: "application/json",
        "user-agent": `subgate/${VERSION}`,
      },
      signal,
    });
    return kimiUsageWindows(body);
  },
  pollSeconds: 300,
};
