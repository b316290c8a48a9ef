/**
 * @module
 * A Copilot login's quota, as GitHub's own Copilot clients read it:
 *
 * - headers on Copilot's answers, URL-encoded: `x-quota-snapshot-premium_interactions`
 *   (newer: `-premium_models`) and, on the free plan, `x-quota-snapshot-chat`:
 *   `ent=300&ov=0.0&ovPerm=false&rem=85.3&rst=2026-12-01T00:00:00Z` (entitlement, -1 when
 *   unlimited; overage used and permitted; percent remaining; reset date);
 * - `GET https://api.github.com/copilot_internal/user` with the GitHub token:
 *   `{"copilot_plan", "quota_reset_date", "quota_reset_date_utc"?, "quota_snapshots":
 *     {"premium_interactions": {"entitlement", "remaining", "percent_remaining", "unlimited",
 *     "overage_permitted", "overage_count", …}, "chat": {…}, "completions": {…}}}`.
 *
 * Premium requests limit only the premium models (which Copilot's list does
 * not tell apart for subgate), so that window is advisory: weighed for
 * headroom, shown, never resting the account (a 402 still rests the model).
 * The free plan's chat window limits every chat model.
 */
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

/** One `x-quota-snapshot-*` header, or undefined when unlimited or unreadable. */
function fromSnapshotHeader(value: string, name: string): QuotaReading | undefined {
  const params = new URLSearchParams(value);
  const entitlement = numberOf(params.get("ent"));
  const remaining = numberOf(params.get("rem"));
  if (entitlement === -1 || remaining === undefined) return undefined;
  return {
    name,
    usedPercent: clampPercent(100 - remaining),
    resetsAt: resetTimeOf(params.get("rst")),
    exhausted: remaining <= 0 && params.get("ovPerm") !== "true",
    ...(name === "premium" ? { advisory: true } : {}),
  };
}

/** The windows of an answer's quota snapshot headers; undefined without them (three lookups). */
export function copilotWindowsFromHeaders(headers: Headers): QuotaReading[] | undefined {
  const premium = headers.get("x-quota-snapshot-premium_models") ??
    headers.get("x-quota-snapshot-premium_interactions");
  const chat = headers.get("x-quota-snapshot-chat");
  if (premium === null && chat === null) return undefined;
  const readings = [
    premium !== null ? fromSnapshotHeader(premium, "premium") : undefined,
    chat !== null ? fromSnapshotHeader(chat, "chat") : undefined,
  ].filter((reading): reading is QuotaReading => reading !== undefined);
  return readings.length ? readings : undefined;
}

/** The windows of a `copilot_internal/user` answer. */
export function copilotUserWindows(body: unknown): QuotaReading[] {
  if (!body || typeof body !== "object") return [];
  const user = body as Record<string, unknown>;
  const snapshots = user.quota_snapshots as Record<string, unknown> | undefined;
  if (!snapshots || typeof snapshots !== "object") return [];
  const resetsAt = resetTimeOf(user.quota_reset_date_utc) ?? resetTimeOf(user.quota_reset_date);
  const readings: QuotaReading[] = [];
  const windows = [
    ["premium", snapshots.premium_models ?? snapshots.premium_interactions],
    ["chat", snapshots.chat],
  ] as const;
  for (const [name, value] of windows) {
    if (!value || typeof value !== "object") continue;
    const snapshot = value as Record<string, unknown>;
    const left = numberOf(snapshot.percent_remaining);
    if (
      snapshot.unlimited === true || numberOf(snapshot.entitlement) === -1 || left === undefined
    ) {
      continue;
    }
    readings.push({
      name,
      usedPercent: clampPercent(100 - left),
      resetsAt,
      exhausted: left <= 0 && snapshot.overage_permitted !== true,
      ...(name === "premium" ? { advisory: true } : {}),
    });
  }
  return readings;
}

export const copilotQuota: ProviderQuota = {
  fromHeaders: copilotWindowsFromHeaders,
  async fetch(account, { apiUrl }, signal) {
    const body = await quotaJson(
      joinUrl(apiUrl ?? "https://api.github.com", "/copilot_internal/user"),
      {
        headers: {
          authorization: `token ${account.credentials.access_token}`,
          accept: "application/json",
          "user-agent": `subgate/${VERSION}`,
        },
        signal,
      },
    );
    return copilotUserWindows(body);
  },
  // A monthly quota, and its answers carry the snapshot: every quarter hour is plenty.
  pollSeconds: 900,
};
