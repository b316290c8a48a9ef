/**
 * @module
 * An account with a usable token for the next upstream call: refreshed first
 * when it has expired (or when an upstream just answered 401), through the
 * single-flight, lock-protected refresh, and read back from disk, since the
 * file is the one place a rotated token lives.
 */
import type { Config } from "../../config/config-types.ts";
import { PROVIDERS } from "../../providers/registry.ts";
import type { Account, LoginAccount } from "../../store/account.ts";
import { readLinkedTokens } from "../../store/import/linked-file.ts";
import { refreshAccount, type RefreshOutcome } from "./refresh-account.ts";
import { fileStorage, type TokenStorage } from "./token-storage.ts";

/** Refresh a little before the stated expiry: clocks differ and requests take time. */
const EXPIRY_SKEW_MS = 30_000;

export type FreshAccount =
  | { ok: true; account: Account; refreshed: boolean }
  | { ok: false; outcome: RefreshOutcome };

/** A login whose provider's tokens expire and can be refreshed (Copilot's never expire). */
export function canRefresh(account: Account): account is LoginAccount {
  return account.kind === "oauth" && PROVIDERS[account.provider].login.refreshable;
}

export interface FreshOptions {
  authDir: string;
  config: Config;
  force: boolean;
  /** Where the tokens are: the auth dir by default. */
  storage?: TokenStorage;
  /**
   * When another instance is refreshing the account: how long to wait for its new tokens (ms);
   * 0 or absent: not at all (the caller tries another account meanwhile).
   */
  waitForOthersMs?: number;
}

export async function freshAccount(
  account: Account,
  options: FreshOptions,
): Promise<FreshAccount> {
  if (!canRefresh(account)) return { ok: true, account, refreshed: false };
  const expired = account.expiresAt !== undefined &&
    account.expiresAt.getTime() - EXPIRY_SKEW_MS <= Date.now();
  if (!options.force && !expired) return { ok: true, account, refreshed: false };
  const storage = options.storage ?? fileStorage(options.authDir);
  const request = {
    authDir: options.authDir,
    file: account.file,
    config: options.config,
    knownAccessToken: account.credentials.access_token as string | undefined,
    storage,
  };
  let outcome = await refreshAccount(request);
  if (outcome.status === "busy" && options.waitForOthersMs && storage.changed) {
    // Another instance holds the lease: its new tokens arrive with its notification.
    const until = Math.min(Date.now() + options.waitForOthersMs, outcome.until ?? Infinity);
    await storage.changed(account.file, until);
    outcome = await refreshAccount(request);
  }
  if (
    outcome.status === "failed" || outcome.status === "needs-login" || outcome.status === "busy"
  ) {
    return { ok: false, outcome };
  }
  const record = await storage.current(account.file);
  if (!record) {
    return { ok: false, outcome: { status: "failed", reason: "the account file vanished" } };
  }
  let tokens: Record<string, unknown> = record;
  if (record.linked) {
    const linked = await readLinkedTokens(record);
    if (!linked.ok) return { ok: false, outcome: { status: "failed", reason: linked.reason } };
    tokens = { ...linked.tokens };
  }
  const { hints: _hints, ...fields } = tokens;
  const expires = Date.parse(String(fields.expired ?? ""));
  return {
    ok: true,
    refreshed: outcome.status === "refreshed",
    account: {
      ...account,
      credentials: { ...account.credentials, ...fields },
      expiresAt: Number.isNaN(expires) ? account.expiresAt : new Date(expires),
    },
  };
}
