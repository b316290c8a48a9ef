/**
 * @module
 * An account with a usable token for the next upstream call: refreshed first
 * when it has expired (or when an upstream just answered 401), through the
 * single-flight, lock-protected refresh, and read back from disk, since the
 * file is the one place a rotated token lives.
 */
import { join } from "node:path";
import type { Config } from "../../config/config-types.ts";
import { PROVIDERS } from "../../providers/registry.ts";
import type { Account, LoginAccount } from "../../store/account.ts";
import { currentRecord } from "./durable-tokens.ts";
import { readLinkedTokens } from "../../store/import/linked-file.ts";
import { refreshAccount, type RefreshOutcome } from "./refresh-account.ts";

/** Refresh a little before the stated expiry: clocks differ and requests take time. */
const EXPIRY_SKEW_MS = 30_000;

export type FreshAccount =
  | { ok: true; account: Account; refreshed: boolean }
  | { ok: false; outcome: RefreshOutcome };

/** A login whose provider's tokens expire and can be refreshed (Copilot's never expire). */
export function canRefresh(account: Account): account is LoginAccount {
  return account.kind === "oauth" && PROVIDERS[account.provider].login.refreshable;
}

export async function freshAccount(
  account: Account,
  options: { authDir: string; config: Config; force: boolean },
): Promise<FreshAccount> {
  if (!canRefresh(account)) return { ok: true, account, refreshed: false };
  const expired = account.expiresAt !== undefined &&
    account.expiresAt.getTime() - EXPIRY_SKEW_MS <= Date.now();
  if (!options.force && !expired) return { ok: true, account, refreshed: false };
  const outcome = await refreshAccount({
    authDir: options.authDir,
    file: account.file,
    config: options.config,
    knownAccessToken: account.credentials.access_token as string | undefined,
  });
  if (outcome.status === "failed" || outcome.status === "needs-login") {
    return { ok: false, outcome };
  }
  const record = await currentRecord(join(options.authDir, account.file));
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
