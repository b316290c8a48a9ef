/**
 * @module
 * A ChatGPT login's plan quota, as Codex CLI reads it (`codex-rs`,
 * `codex-api/src/rate_limits.rs` and `backend-client/src/client.rs`):
 *
 * - headers on every backend answer: `x-codex-primary-used-percent` (0–100),
 *   `x-codex-primary-window-minutes` (300: five hours), `x-codex-primary-reset-at`
 *   (unix seconds; older answers `-reset-after-seconds`), and the same for
 *   `secondary` (the week);
 * - the usage endpoint, `GET {chatgpt}/backend-api/wham/usage` with the
 *   login's Bearer token and `ChatGPT-Account-Id`:
 *   `{"plan_type", "rate_limit": {"allowed", "limit_reached",
 *     "primary_window": {"used_percent", "limit_window_seconds", "reset_after_seconds",
 *     "reset_at"}, "secondary_window": {…} | null}, "credits": {…}}`.
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
import { VERSION } from "../../version.ts";

const WINDOWS = ["primary", "secondary"] as const;

/** The windows of an answer's `x-codex-*` headers; undefined without them (one lookup). */
export function codexWindowsFromHeaders(headers: Headers, now: number): QuotaReading[] | undefined {
  if (!headers.has("x-codex-primary-used-percent")) return undefined;
  const readings: QuotaReading[] = [];
  for (const window of WINDOWS) {
    const used = numberOf(headers.get(`x-codex-${window}-used-percent`));
    if (used === undefined) continue;
    const minutes = numberOf(headers.get(`x-codex-${window}-window-minutes`));
    const after = numberOf(headers.get(`x-codex-${window}-reset-after-seconds`));
    readings.push({
      name: windowName(minutes, window),
      usedPercent: clampPercent(used),
      resetsAt: resetTimeOf(headers.get(`x-codex-${window}-reset-at`)) ??
        (after !== undefined ? now + after * 1000 : undefined),
    });
  }
  return readings.length ? readings : undefined;
}

/** The windows of a `wham/usage` answer. */
export function codexUsageWindows(body: unknown, now: number): QuotaReading[] {
  const limits = (body as { rate_limit?: unknown } | null)?.rate_limit;
  if (!limits || typeof limits !== "object") return [];
  const readings: QuotaReading[] = [];
  for (const window of WINDOWS) {
    const value = (limits as Record<string, unknown>)[`${window}_window`];
    if (!value || typeof value !== "object") continue;
    const fields = value as Record<string, unknown>;
    const used = numberOf(fields.used_percent);
    if (used === undefined) continue;
    const seconds = numberOf(fields.limit_window_seconds);
    const after = numberOf(fields.reset_after_seconds);
    readings.push({
      name: windowName(seconds ? Math.ceil(seconds / 60) : undefined, window),
      usedPercent: clampPercent(used),
      resetsAt: resetTimeOf(fields.reset_at) ??
        (after !== undefined ? now + after * 1000 : undefined),
    });
  }
  return readings;
}

/** `…/backend-api/codex` (the Responses base) → `…/backend-api/wham/usage`. */
export function codexUsageUrl(baseUrl: string): string {
  return `${baseUrl.replace(/\/+$/, "").replace(/\/codex$/, "")}/wham/usage`;
}

export const codexQuota: ProviderQuota = {
  fromHeaders: codexWindowsFromHeaders,
  async fetch(account, { baseUrl }, signal) {
    const headers: Record<string, string> = {
      authorization: `Bearer ${account.credentials.access_token}`,
      accept: "application/json",
      "user-agent": `subgate/${VERSION}`,
    };
    const accountId = account.credentials.account_id;
    if (typeof accountId === "string" && accountId) headers["chatgpt-account-id"] = accountId;
    return codexUsageWindows(
      await quotaJson(codexUsageUrl(baseUrl), { headers, signal }),
      Date.now(),
    );
  },
  pollSeconds: 300,
};
