/**
 * @module
 * What a failed upstream call means for the pool: try the next account (and
 * rest this one), refresh the token and try again, or give the client the
 * error (its own request is at fault). Provider-specific quota signals can
 * refine this in the upstream (`Upstream.classify`).
 */
import type { ApiError } from "../server/api-error.ts";

export type FailureAction =
  /** Rest this account for the model (until the time, if known) and try the next one. */
  | { action: "next"; restUntil?: number; reason: string; countsAsRetry: boolean }
  /** Refresh the account's token and try it once more. */
  | { action: "refresh" }
  /** The request itself is at fault: answer the client with this error. */
  | { action: "stop" };

const TRANSIENT_REST_MS = 30_000;
const AUTH_REST_MS = 30 * 60_000;

export function classifyFailure(
  error: ApiError,
  options: { canRefresh: boolean; refreshed: boolean },
): FailureAction {
  const now = Date.now();
  if (error.status === 401) {
    if (options.canRefresh && !options.refreshed) return { action: "refresh" };
    return {
      action: "next",
      restUntil: now + AUTH_REST_MS,
      reason: "unauthorized",
      countsAsRetry: false,
    };
  }
  if (error.status === 429 || error.kind === "rate_limit") {
    const until = error.retryAfterSeconds !== undefined
      ? now + error.retryAfterSeconds * 1000
      : undefined;
    return { action: "next", restUntil: until, reason: "rate limited", countsAsRetry: false };
  }
  if (error.status === 403 && error.kind === "permission") {
    return {
      action: "next",
      restUntil: now + AUTH_REST_MS,
      reason: "forbidden",
      countsAsRetry: false,
    };
  }
  if (error.status >= 500 || error.status === 408) {
    return {
      action: "next",
      restUntil: now + TRANSIENT_REST_MS,
      reason: `upstream error ${error.status}`,
      countsAsRetry: true,
    };
  }
  return { action: "stop" };
}
