/**
 * @module
 * Anthropic's subscription windows, from its unified rate-limit headers: a
 * window whose status is `rejected` is spent until its reset (unix seconds).
 * A 429 without them is a short, per-model limit that the usual backoff
 * handles.
 */
import type { ApiError } from "../errors/api-error.ts";
import type { UpstreamAnswer } from "./upstream.ts";

const WINDOWS = ["", "-5h", "-7d", "-7d_oi"];

export function claudeRestUntil(_error: ApiError, { headers }: UpstreamAnswer): number | undefined {
  let until: number | undefined;
  for (const window of WINDOWS) {
    const status = headers.get(`anthropic-ratelimit-unified${window}-status`);
    if (status !== "rejected") continue;
    const reset = Number(
      headers.get(`anthropic-ratelimit-unified${window}-reset`) ??
        headers.get("anthropic-ratelimit-unified-reset"),
    );
    if (Number.isFinite(reset) && reset > 0) until = Math.max(until ?? 0, reset * 1000);
  }
  return until;
}
