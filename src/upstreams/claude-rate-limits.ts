/**
 * @module
 * Anthropic's subscription windows, from its unified rate-limit headers, sent
 * on every answer to a Claude login (and to some API keys):
 *
 *   anthropic-ratelimit-unified-5h-utilization: 0.42   (a fraction of the window)
 *   anthropic-ratelimit-unified-5h-reset: 1790256000   (unix seconds)
 *   anthropic-ratelimit-unified-5h-status: allowed     (allowed | allowed_warning | rejected)
 *
 * and the same for `7d` (the week) and `7d_oi` (a weekly window for some
 * models, which Anthropic does not name). A window whose status is
 * `rejected` is spent until its reset. A 429 without them is a short,
 * per-model limit that the usual backoff handles.
 */
import type { ApiError } from "../errors/api-error.ts";
import { clampPercent, numberOf, type QuotaReading, resetTimeOf } from "./quota.ts";
import type { UpstreamAnswer } from "./upstream.ts";

const WINDOWS = ["", "-5h", "-7d", "-7d_oi"];
const PREFIX = "anthropic-ratelimit-unified";

export function claudeRestUntil(_error: ApiError, { headers }: UpstreamAnswer): number | undefined {
  let until: number | undefined;
  for (const window of WINDOWS) {
    const status = headers.get(`${PREFIX}${window}-status`);
    if (status !== "rejected") continue;
    const reset = Number(headers.get(`${PREFIX}${window}-reset`) ?? headers.get(`${PREFIX}-reset`));
    if (Number.isFinite(reset) && reset > 0) until = Math.max(until ?? 0, reset * 1000);
  }
  return until;
}

/** The windows as the headers name them, as subgate names them. */
const NAMED = [
  { header: "5h", name: "5h" },
  { header: "7d", name: "7d" },
  // Rejections of this window alone are per model: shown, never resting the whole account.
  { header: "7d_oi", name: "7d-oi", advisory: true },
] as const;

/** The windows an answer's unified headers describe; undefined when it has none (two lookups). */
export function claudeWindowsFromHeaders(headers: Headers): QuotaReading[] | undefined {
  if (
    !headers.has(`${PREFIX}-5h-utilization`) && !headers.has(`${PREFIX}-status`)
  ) return undefined;
  const readings: QuotaReading[] = [];
  for (const { header, name, ...rest } of NAMED) {
    const utilization = numberOf(headers.get(`${PREFIX}-${header}-utilization`));
    const status = headers.get(`${PREFIX}-${header}-status`)?.trim().toLowerCase();
    if (utilization === undefined && !status) continue;
    const rejected = status === "rejected";
    const reset = headers.get(`${PREFIX}-${header}-reset`) ??
      (rejected ? headers.get(`${PREFIX}-reset`) : null);
    readings.push({
      name,
      usedPercent: rejected ? 100 : clampPercent((utilization ?? 0) * 100),
      resetsAt: resetTimeOf(reset),
      // A status says whether the window refuses; past 100 % an allowed one runs on overage.
      ...(status ? { exhausted: rejected } : {}),
      ...rest,
    });
  }
  return readings.length ? readings : undefined;
}
