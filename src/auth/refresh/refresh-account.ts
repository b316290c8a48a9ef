/**
 * @module
 * Refreshes one account's token safely: one refresh at a time per account in
 * this process (single flight) and across processes (a lock file); the file is
 * re-read under the lock, because another process may have refreshed already;
 * a rotated refresh token is on disk before anyone uses the new access token;
 * `invalid_grant` marks the account "needs login" and never deletes the file.
 */
import { join } from "node:path";
import type { Config } from "../../config/config-types.ts";
import { writeFileAtomic } from "../../fs/write-file-atomic.ts";
import { providerForFileType } from "../../providers/registry.ts";
import { applyTokens, readAccountRecord } from "../account-file.ts";
import { resolveEndpoints } from "../login-spec.ts";
import { oauth, oauthContext, refreshTokens } from "../oauth-client.ts";
import { withFileLock } from "./lock-file.ts";
import { readLinkedTokens, writeLinkedTokens } from "../import/linked-file.ts";

export type RefreshOutcome =
  | { status: "refreshed"; expired?: string }
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

/** Codex answers a spent or revoked refresh token with these codes instead of invalid_grant. */
const DEAD_TOKEN_CODES = new Set([
  "invalid_grant",
  "refresh_token_reused",
  "refresh_token_expired",
  "refresh_token_invalidated",
]);

function stamp(now: number): string {
  return new Date(now).toISOString().replace(/\.\d{3}Z$/, "Z");
}

function expiryOf(record: Record<string, unknown>): number | undefined {
  const time = Date.parse(String(record.expired ?? ""));
  return Number.isNaN(time) ? undefined : time;
}

async function refreshUnderLock(request: RefreshRequest): Promise<RefreshOutcome> {
  const path = join(request.authDir, request.file);
  const record = await readAccountRecord(path);
  if (!record) return { status: "failed", reason: "the account file is missing or unreadable" };
  const provider = providerForFileType(String(record.type ?? ""));
  if (!provider) return { status: "failed", reason: `unknown provider type "${record.type}"` };
  const spec = provider.login;
  if (!spec.refreshable) {
    return { status: "fresh", reason: `${provider.title} tokens do not expire` };
  }

  // Linked accounts keep their tokens in the vendor CLI's own file.
  const tokens: Record<string, unknown> | undefined = record.linked
    ? await readLinkedTokens(record) as Record<string, unknown> | undefined
    : record;
  if (!tokens) {
    return { status: "failed", reason: "the linked vendor file is missing or unreadable" };
  }
  const endpoints = resolveEndpoints(
    spec,
    { baseUrl: provider.baseUrl, apiUrl: provider.apiUrl },
    request.config.providers[provider.id],
  );
  const now = Date.now();
  if (request.knownAccessToken && tokens.access_token !== request.knownAccessToken) {
    return { status: "fresh", reason: "another process refreshed it already" };
  }
  const expiry = expiryOf(tokens);
  if (
    !request.force && !request.knownAccessToken && expiry !== undefined &&
    expiry - endpoints.refreshLeadSeconds * 1000 > now
  ) {
    return { status: "fresh", reason: "the token is not due for refresh" };
  }
  const refreshToken = tokens.refresh_token;
  const markFailure = async (reason: string, needsLogin: boolean) => {
    const next: Record<string, unknown> = {
      ...record,
      last_error: reason,
      last_error_at: stamp(Date.now()),
    };
    if (needsLogin) next.needs_login = true;
    await writeFileAtomic(path, JSON.stringify(next, null, 2) + "\n");
  };
  if (typeof refreshToken !== "string" || refreshToken === "") {
    await markFailure("no refresh token: log in again", true);
    return { status: "needs-login", reason: "no refresh token" };
  }
  let result;
  try {
    result = await refreshTokens(spec, oauthContext(spec, endpoints), refreshToken);
  } catch (error) {
    if (error instanceof oauth.ResponseBodyError) {
      const code = String((error.cause as Record<string, unknown>)?.error ?? error.error);
      const nested = (error.cause as { error?: { code?: string } })?.error?.code;
      const dead = DEAD_TOKEN_CODES.has(code) || DEAD_TOKEN_CODES.has(String(nested));
      const reason = `refresh refused (${nested ?? code}): ${dead ? "log in again" : "will retry"}`;
      await markFailure(reason, dead);
      return { status: dead ? "needs-login" : "failed", reason };
    }
    const reason = `refresh failed: ${(error as Error).message}`;
    await markFailure(reason, false);
    return { status: "failed", reason };
  }
  // The new refresh token reaches the disk before the new access token is used anywhere.
  if (record.linked) {
    await writeLinkedTokens(record, result.tokens, Date.now());
    const next: Record<string, unknown> = { ...record, last_refresh: stamp(Date.now()) };
    delete next.last_error;
    delete next.needs_login;
    await writeFileAtomic(path, JSON.stringify(next, null, 2) + "\n");
    return { status: "refreshed" };
  }
  const next = applyTokens(record, result.tokens, Date.now());
  delete next.last_error_at;
  await writeFileAtomic(path, JSON.stringify(next, null, 2) + "\n");
  return { status: "refreshed", expired: next.expired as string | undefined };
}

/** Refreshes `request.file` once, however many callers ask at the same time. */
export function refreshAccount(request: RefreshRequest): Promise<RefreshOutcome> {
  const key = join(request.authDir, request.file);
  const running = inFlight.get(key);
  if (running) return running;
  const promise = withFileLock(key, () => refreshUnderLock(request))
    .catch((error): RefreshOutcome => ({ status: "failed", reason: (error as Error).message }))
    .finally(() => inFlight.delete(key));
  inFlight.set(key, promise);
  return promise;
}
