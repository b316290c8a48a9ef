/**
 * @module
 * Refreshes one account's token without ever losing a rotated refresh token:
 *
 * - one refresh at a time per account, in this process (single flight) and
 *   across processes (an OS lock, released by the system if its holder dies);
 *   the file is re-read under the lock, since another process may have
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
import { join } from "node:path";
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
import { LockError, withFileLock } from "./lock-file.ts";
import { readLinkedTokens, writeLinkedTokens } from "../../store/import/linked-file.ts";
import { currentRecord, writeTokens } from "./durable-tokens.ts";
import { writeFileAtomic } from "../../fs/write-file-atomic.ts";
import { IN_FLIGHT_KEY, INTERRUPTED } from "../../store/refresh-marks.ts";
import type { Json } from "../../ir/json.ts";

export type RefreshOutcome =
  | { status: "refreshed"; expired?: string; warning?: string }
  | { status: "fresh"; reason: string }
  | { status: "needs-login"; reason: string }
  | { status: "failed"; reason: string };

export interface RefreshRequest {
  authDir: string;
  file: string;
  config: Config;
  /**
   * The access token the caller holds (the one that expired or got a 401).
   * If the file holds another by the time the lock is ours, someone already
   * refreshed, and that token is used instead.
   */
  knownAccessToken?: string;
  /** Refresh even when the token is not due yet. */
  force?: boolean;
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

function stamp(now: number): string {
  return new Date(now).toISOString().replace(/\.\d{3}Z$/, "Z");
}

function expiryOf(record: Json): number | undefined {
  const time = Date.parse(String(record.expired ?? ""));
  return Number.isNaN(time) ? undefined : time;
}

const serialize = (record: Json) => JSON.stringify(record, null, 2) + "\n";

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

/** Writes the tokens of a token answer (before or after its checks) where the account keeps them. */
async function keepTokens(path: string, record: Json, tokens: TokenSet): Promise<Json> {
  if (record.linked) {
    try {
      await writeLinkedTokens(record, tokens, Date.now());
      const next: Json = { ...record, last_refresh: stamp(Date.now()) };
      for (const key of ["last_error", "last_error_at", "needs_login", IN_FLIGHT_KEY]) {
        delete next[key];
      }
      await writeTokens(path, next, record);
      return next;
    } catch (error) {
      // The vendor's file cannot take them: subgate keeps this account's tokens itself from now.
      const { linked: _linked, ...own } = record;
      const next = applyTokens(own, tokens, Date.now());
      next.last_error = `the linked file could not be written (${(error as Error).message}); ` +
        "subgate keeps this account's tokens in its own file now";
      delete next[IN_FLIGHT_KEY];
      await writeTokens(path, next, record);
      return next;
    }
  }
  const next = applyTokens(record, tokens, Date.now());
  delete next.last_error_at;
  delete next[IN_FLIGHT_KEY];
  await writeTokens(path, next, record);
  return next;
}

async function refreshUnderLock(request: RefreshRequest): Promise<RefreshOutcome> {
  const path = join(request.authDir, request.file);
  const record = await currentRecord(path);
  if (!record) return { status: "failed", reason: "the account file is missing or unreadable" };
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
  const expiry = expiryOf(tokens);
  if (
    !request.force && !request.knownAccessToken && expiry !== undefined &&
    expiry - endpoints.refreshLeadSeconds * 1000 > Date.now()
  ) {
    return { status: "fresh", reason: "the token is not due for refresh" };
  }
  const refreshToken = tokens.refresh_token;
  if (typeof refreshToken !== "string" || refreshToken === "") {
    await writeTokens(path, withFailure(record, "no refresh token: log in again", true), record);
    return { status: "needs-login", reason: "no refresh token" };
  }
  // A mark left by a process that died with its token request out: under the lock, nobody
  // else is refreshing, so that refresh will never finish.
  const interrupted = IN_FLIGHT_KEY in record;
  const marked: Json = { ...record, [IN_FLIGHT_KEY]: stamp(Date.now()) };
  try {
    await writeFileAtomic(path, serialize(marked));
  } catch (error) {
    // The rotated token could not be kept: better not to rotate at all.
    return {
      status: "failed",
      reason: `cannot write ${request.file} (${(error as Error).message}): no refresh sent`,
    };
  }
  return await exchange({ spec, endpoints, path, record: marked, refreshToken, interrupted });
}

interface Exchange {
  spec: LoginSpec;
  endpoints: Endpoints;
  path: string;
  /** The record as read under the lock, with the in-flight mark. */
  record: Json;
  refreshToken: string;
  /** An earlier refresh of this token was cut short. */
  interrupted: boolean;
}

/** The token request itself, its tokens kept first, then checked. */
async function exchange(
  { spec, endpoints, path, record, refreshToken, interrupted }: Exchange,
): Promise<RefreshOutcome> {
  let kept: Json | undefined;
  const keep = async (raw: RawTokens) => {
    kept = await keepTokens(path, record, raw as TokenSet);
  };
  let result;
  try {
    result = await refreshTokens(spec, oauthContext(spec, endpoints), refreshToken, keep);
  } catch (error) {
    if (kept) return await checkFailed(path, kept, error);
    if (error instanceof oauth.ResponseBodyError) {
      const { dead, reason } = refusal(spec, error, interrupted);
      await writeTokens(path, withFailure(record, reason, dead), record);
      return { status: dead ? "needs-login" : "failed", reason };
    }
    const reason = `refresh failed: ${(error as Error).message}`;
    const note = interrupted ? `${reason}; ${INTERRUPTED}` : reason;
    await writeTokens(path, withFailure(record, note, false), record);
    return { status: "failed", reason };
  }
  const next = await keepTokens(path, kept ?? record, result.tokens);
  return { status: "refreshed", expired: next.expired as string | undefined };
}

/**
 * The server rotated and its answer was kept, but the answer failed a check: the tokens stay,
 * the account notes why; without an access token it cannot serve until the next refresh.
 */
async function checkFailed(path: string, kept: Json, error: unknown): Promise<RefreshOutcome> {
  const reason = `the token answer failed a check (${(error as Error).message}); ` +
    "its tokens are kept";
  const next: Json = { ...kept, last_error: reason, last_error_at: stamp(Date.now()) };
  await writeTokens(path, next, kept);
  if (typeof kept.access_token !== "string" || !kept.access_token) {
    return { status: "failed", reason };
  }
  return { status: "refreshed", expired: kept.expired as string | undefined, warning: reason };
}

/** Refreshes `request.file` once, however many callers ask at the same time. */
export function refreshAccount(request: RefreshRequest): Promise<RefreshOutcome> {
  const key = join(request.authDir, request.file);
  const running = inFlight.get(key);
  if (running) return running;
  const promise = withFileLock(key, () => refreshUnderLock(request))
    .catch((error): RefreshOutcome => ({
      status: "failed",
      reason: (error as Error).message + (error instanceof LockError ? ": no refresh sent" : ""),
    }))
    .then((outcome) => told(outcome, request.file))
    .finally(() => inFlight.delete(key));
  inFlight.set(key, promise);
  return promise;
}
