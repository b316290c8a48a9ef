/**
 * @module
 * What a failed upstream call means for the pool, matched to what failed:
 *
 * - a refused token (401) on a login: refresh it and try the account again;
 * - refused credentials (401 after that, 403): rest the account until its
 *   credentials change (see `cooldowns.ts`);
 * - a limit (429): rest until the upstream's retry time;
 * - a server error, a refused connection, a timeout: a short rest that grows
 *   while failures repeat and ends with the first success;
 * - "unknown model": no rest (the account is fine), but the next account
 *   may know the name;
 * - anything else is the request's own fault: the client gets the answer.
 *
 * Quota signals particular to a provider (a spent subscription window) are
 * read by that provider's upstream (`Upstream.restUntil`).
 */
import type { ApiError } from "../errors/api-error.ts";

/**
 * Why an account rests: a limit, a passing server fault, refused credentials, or a plan window
 * its provider reported used up (`quota`: derived from the quota book, never stored).
 */
export type RestKind = "limit" | "transient" | "auth" | "quota";

export interface Rest {
  kind: RestKind;
  reason: string;
  /** When the upstream said the account is back (epoch ms); otherwise the backoff decides. */
  until?: number;
}

export type FailureAction =
  /** Try the next account, resting this one for the model when `rest` says so. */
  | { action: "next"; rest?: Rest; countsAsRetry: boolean; unknownModel?: boolean }
  /** Refresh the account's token and try it once more. */
  | { action: "refresh" }
  /** The request itself is at fault: answer the client with this error. */
  | { action: "stop" };

/** The upstream's way of saying it does not know the model (as opposed to a bad request). */
export function isUnknownModel(error: ApiError): boolean {
  if (error.status === 404) return true;
  if (error.status !== 400 && error.status !== 422) return false;
  if (
    error.code &&
    /^(model_not_found|model_not_supported|invalid_model|unknown_model)$/.test(error.code)
  ) {
    return true;
  }
  return /\bmodel\b.{0,120}\b(not found|does not exist|not exist|unknown|not supported|is not available|unsupported)\b/i
    .test(error.message.slice(0, 500));
}

/** The code of a failure that is subgate's own (out of file descriptors), not the upstream's. */
export const LOCAL_SHORTAGE = "subgate_out_of_files";

export function classifyFailure(
  error: ApiError,
  options: { canRefresh: boolean; refreshed: boolean },
): FailureAction {
  // Every other account would meet the same shortage; none of them is at fault.
  if (error.code === LOCAL_SHORTAGE) return { action: "stop" };
  if (error.status === 401) {
    if (options.canRefresh && !options.refreshed) return { action: "refresh" };
    return { action: "next", rest: { kind: "auth", reason: "unauthorized" }, countsAsRetry: false };
  }
  if (error.status === 429 || error.kind === "rate_limit") {
    const until = error.retryAfterSeconds !== undefined
      ? Date.now() + error.retryAfterSeconds * 1000
      : undefined;
    return {
      action: "next",
      rest: { kind: "limit", reason: "rate limited", until },
      countsAsRetry: false,
    };
  }
  if (error.status === 403 && error.kind === "permission") {
    return { action: "next", rest: { kind: "auth", reason: "forbidden" }, countsAsRetry: false };
  }
  if (error.status >= 500 || error.status === 408) {
    return {
      action: "next",
      rest: { kind: "transient", reason: `upstream error ${error.status}` },
      countsAsRetry: true,
    };
  }
  if (isUnknownModel(error)) return { action: "next", countsAsRetry: false, unknownModel: true };
  return { action: "stop" };
}
