/**
 * @module
 * Refreshes one account's token without ever losing a rotated refresh token:
 *
 * - one refresh at a time per account, in this process (single flight) and
 *   across processes (an OS lock, released by the system if its holder dies;
 *   for teams, a lease row in PostgreSQL: `token-storage.ts` is the seam);
 *   the record is re-read under the claim, since another process may have
 *   refreshed already;
 * - before the token request goes out, the file records that a refresh is in
 *   flight (and nothing is sent when the auth dir cannot be written); a
 *   process killed while waiting for the answer leaves that mark, and the
 *   account then says so instead of failing without a reason;
 * - the token answer's tokens are written before they are checked: the server
 *   has rotated by then, so an answer that fails a check still leaves its
 *   tokens on disk, with the reason;
 * - a write that fails keeps the tokens in memory and retries
 *   (`durable-tokens.ts`);
 * - `invalid_grant` (and the codes a provider's `deadRefreshCodes` adds)
 *   marks the account "needs login" and never deletes the file.
 */
import type { Config } from "../../config/config-types.ts";
import { providerForFileType } from "../../providers/registry.ts";
import { applyTokens } from "../account-file.ts";
import {
  type Endpoints,
  type LoginSpec,
  resolveEndpoints,
  type TokenSet,
} from "../../oauth/login-spec.ts";
import { oauth, oauthContext, type RawTokens, refreshTokens } from "../../oauth/oauth-client.ts";
import { LockError } from "./lock-file.ts";
import { readLinkedTokens, writeLinkedTokens } from "../../store/import/linked-file.ts";
import { IN_FLIGHT_KEY, INTERRUPTED } from "../../store/refresh-marks.ts";
import type { Json } from "../../ir/json.ts";
import { type Claim, fileStorage, stamp, type TokenStorage } from "./token-storage.ts";

export type RefreshOutcome =
  | { status: "refreshed"; expired?: string; warning?: string }
  | { status: "fresh"; reason: string }
  | { status: "needs-login"; reason: string }
  | { status: "failed"; reason: string }
  /** Another instance is refreshing it now (its lease runs until `until`, epoch ms). */
  | { status: "busy"; reason: string; until?: number };

export interface RefreshRequest {
  authDir: string;
  file: string;
  config: Config;
  /**
   * The access token the caller holds (the one that expired or got a 401).
   * If the record holds another by the time the claim is ours, someone already
   * refreshed, and that token is used instead.
   */
  knownAccessToken?: string;
  /** Refresh even when the token is not due yet. */
  force?: boolean;
  /** Where the tokens are: the auth dir by default. */
  storage?: TokenStorage;
}

const inFlight = new Map<string, Promise<RefreshOutcome>>();

/** Told every refresh's outcome (metrics); called once per refresh, not per waiting caller. */
export type RefreshListener = (outcome: RefreshOutcome, file: string) => void;

const listeners = new Set<RefreshListener>();

/** Adds a listener of refresh outcomes; the returned function removes it. */
export function observeRefreshes(listener: RefreshListener): () => void {
  listeners.add(listener);
  return () => listeners.delete(listener);
}

function told(outcome: RefreshOutcome, file: string): RefreshOutcome {
  for (const listener of listeners) {
    try {
      listener(outcome, file);
    } catch {
      // A listener's fault is not the refresh's.
    }
  }
  return outcome;
}

/** RFC 6749's code for a refresh token that is spent or revoked; providers may add their own. */
const DEAD_TOKEN_CODE = "invalid_grant";

function expiryOf(record: Json): number | undefined {
  const time = Date.parse(String(record.expired ?? ""));
  return Number.isNaN(time) ? undefined : time;
}

/** The record without the in-flight mark, with the failure noted (and "needs login" if dead). */
function withFailure(record: Json, reason: string, needsLogin: boolean): Json {
  const next: Json = { ...record, last_error: reason, last_error_at: stamp(Date.now()) };
  delete next[IN_FLIGHT_KEY];
  if (needsLogin) next.needs_login = true;
  return next;
}

/** The token server's refusal, as an outcome: dead tokens need a login, others are retried. */
function refusal(spec: LoginSpec, error: oauth.ResponseBodyError, interrupted: boolean) {
  const code = String((error.cause as Json)?.error ?? error.error);
  const nested = (error.cause as { error?: { code?: string } })?.error?.code;
  const deadCodes = [DEAD_TOKEN_CODE, ...spec.deadRefreshCodes ?? []];
  const dead = deadCodes.includes(code) || deadCodes.includes(String(nested));
  const after = interrupted && dead ? " after an interrupted refresh" : "";
  const reason = `refresh refused (${nested ?? code})${after}: ${
    dead ? "log in again" : "will retry"
  }`;
  return { dead, reason };
}

/** The record with a token answer's tokens (before or after its checks), where it keeps them. */
async function keepTokens(claim: Claim, record: Json, tokens: TokenSet): Promise<Json> {
  if (record.linked) {
    try {
      await writeLinkedTokens(record, tokens, Date.now());
      const next: Json = { ...record, last_refresh: stamp(Date.now()) };
      for (const key of ["last_error", "last_error_at", "needs_login", IN_FLIGHT_KEY]) {
        delete next[key];
      }
      await claim.keep(next);
      return next;
    } catch (error) {
      // The vendor's file cannot take them: subgate keeps this account's tokens itself from now.
      const { linked: _linked, ...own } = record;
      const next = applyTokens(own, tokens, Date.now());
      next.last_error = `the linked file could not be written (${(error as Error).message}); ` +
        "subgate keeps this account's tokens in its own file now";
      delete next[IN_FLIGHT_KEY];
      await claim.keep(next);
      return next;
    }
  }
  const next = applyTokens(record, tokens, Date.now());
  delete next.last_error_at;
  delete next[IN_FLIGHT_KEY];
  await claim.keep(next);
  return next;
}

/** Before any request goes out: whether a refresh is needed at all, and can be sent. */
async function refreshClaimed(request: RefreshRequest, claim: Claim): Promise<RefreshOutcome> {
  const record = claim.record;
  const provider = providerForFileType(String(record.type ?? ""));
  if (!provider) return { status: "failed", reason: `unknown provider type "${record.type}"` };
  const spec = provider.login;
  if (!spec.refreshable) {
    return { status: "fresh", reason: `${provider.title} tokens do not expire` };
  }

  // Linked accounts keep their tokens in the vendor CLI's own file.
  let tokens: Json = record;
  if (record.linked) {
    const linked = await readLinkedTokens(record);
    if (!linked.ok) return { status: "failed", reason: linked.reason };
    tokens = { ...linked.tokens };
  }
  const endpoints = resolveEndpoints(
    spec,
    { baseUrl: provider.baseUrl, apiUrl: provider.apiUrl },
    request.config.providers[provider.id],
  );
  if (request.knownAccessToken && tokens.access_token !== request.knownAccessToken) {
    return { status: "fresh", reason: "another process refreshed it already" };
  }
  // Marked by a refusal another process (or instance) got: only a person's refresh tries again.
  if (record.needs_login === true && !request.force) {
    return {
      status: "needs-login",
      reason: typeof record.last_error === "string" ? record.last_error : "needs a new login",
    };
  }
  const expiry = expiryOf(tokens);
  if (
    !request.force && !request.knownAccessToken && expiry !== undefined &&
    expiry - endpoints.refreshLeadSeconds * 1000 > Date.now()
  ) {
    return { status: "fresh", reason: "the token is not due for refresh" };
  }
  const refreshToken = tokens.refresh_token;
  if (typeof refreshToken !== "string" || refreshToken === "") {
    await claim.note(withFailure(record, "no refresh token: log in again", true), false);
    return { status: "needs-login", reason: "no refresh token" };
  }
  const begun = await claim.begin(request.config.refreshTimeout * 1000);
  if (!begun.ok) return { status: "failed", reason: begun.reason };
  return await exchange({ spec, endpoints, claim, refreshToken, deadline: begun.deadline });
}

interface Exchange {
  spec: LoginSpec;
  endpoints: Endpoints;
  claim: Claim;
  refreshToken: string;
  /** When the token request is given up (epoch ms). */
  deadline: number;
}

/** The token request itself, its tokens kept first, then checked. */
async function exchange(
  { spec, endpoints, claim, refreshToken, deadline }: Exchange,
): Promise<RefreshOutcome> {
  const record = claim.record;
  const interrupted = claim.interrupted;
  let kept: Json | undefined;
  const keep = async (raw: RawTokens) => {
    kept = await keepTokens(claim, record, raw as TokenSet);
  };
  const allowedMs = Math.max(1, deadline - Date.now());
  const signal = AbortSignal.timeout(allowedMs);
  let result;
  try {
    result = await refreshTokens(spec, oauthContext(spec, endpoints, signal), refreshToken, keep);
  } catch (error) {
    if (kept) return await checkFailed(claim, kept, error);
    if (error instanceof oauth.ResponseBodyError) {
      const { dead, reason } = refusal(spec, error, interrupted);
      await claim.note(withFailure(record, reason, dead), false);
      return { status: dead ? "needs-login" : "failed", reason };
    }
    // No answer: a request that went out may have rotated the token on the server.
    const timedOut = signal.aborted;
    const reason = timedOut
      ? `refresh failed: no answer from the token server within ${Math.ceil(allowedMs / 1000)} s`
      : `refresh failed: ${(error as Error).message}`;
    const note = interrupted || timedOut ? `${reason}; ${INTERRUPTED}` : reason;
    await claim.note(withFailure(record, note, false), interrupted || timedOut);
    return { status: "failed", reason };
  }
  const next = await keepTokens(claim, kept ?? record, result.tokens);
  return { status: "refreshed", expired: next.expired as string | undefined };
}

/**
 * The server rotated and its answer was kept, but the answer failed a check: the tokens stay,
 * the account notes why; without an access token it cannot serve until the next refresh.
 */
async function checkFailed(claim: Claim, kept: Json, error: unknown): Promise<RefreshOutcome> {
  const reason = `the token answer failed a check (${(error as Error).message}); ` +
    "its tokens are kept";
  const next: Json = { ...kept, last_error: reason, last_error_at: stamp(Date.now()) };
  await claim.keep(next);
  if (typeof kept.access_token !== "string" || !kept.access_token) {
    return { status: "failed", reason };
  }
  return { status: "refreshed", expired: kept.expired as string | undefined, warning: reason };
}

/** Claims the account, refreshes it when that is still needed, and releases the claim. */
async function refreshOnce(request: RefreshRequest, storage: TokenStorage) {
  const claimed = await storage.claim(request.file, {
    knownAccessToken: request.knownAccessToken,
    timeoutMs: request.config.refreshTimeout * 1000,
  });
  if (!claimed.ok) {
    return claimed.busy
      ? { status: "busy" as const, reason: claimed.reason, until: claimed.until }
      : { status: "failed" as const, reason: claimed.reason };
  }
  try {
    return await refreshClaimed(request, claimed.claim);
  } finally {
    await claimed.claim.release();
  }
}

/** Refreshes `request.file` once, however many callers ask at the same time. */
export function refreshAccount(request: RefreshRequest): Promise<RefreshOutcome> {
  const storage = request.storage ?? fileStorage(request.authDir);
  const key = storage.key(request.file);
  const running = inFlight.get(key);
  if (running) return running;
  const promise = refreshOnce(request, storage)
    .catch((error): RefreshOutcome => ({
      status: "failed",
      reason: (error as Error).message + (error instanceof LockError ? ": no refresh sent" : ""),
    }))
    .then((outcome) => told(outcome, request.file))
    .finally(() => inFlight.delete(key));
  inFlight.set(key, promise);
  return promise;
}
