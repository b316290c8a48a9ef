/**
 * @module
 * An account as the management API shows it: who and what it is, its state
 * (ready, resting until when and why, needs login, disabled, expired), its
 * token's expiry and last refresh, its last error, its requests and errors
 * since the server started, and, when those sources exist, its quota windows
 * and today's usage. Never a token or key.
 */
import type { AccountState } from "../../pool/pool.ts";
import { type Account, accountStatus } from "../../store/account.ts";
import { redact } from "../../log/redact.ts";
import type { AccountQuota, UsageFigures } from "./sources.ts";

export type AccountStateName = "ready" | "resting" | "expired" | "needs-login" | "disabled";

export interface AccountView {
  id: string;
  provider: string;
  /** `oauth` for a login, else the config section of its key (`claude-api-key`, …). */
  kind: string;
  source: "file" | "config";
  label: string;
  /** The account file in the auth dir (logins). */
  file?: string;
  /** A linked import: the vendor CLI's login file holds the tokens. */
  linked?: { tool: string; path: string };
  state: AccountStateName;
  /** Models it rests for, until when, and why. */
  resting: { model: string; until: string; reason: string }[];
  expires?: string;
  lastRefresh?: string;
  lastError?: string;
  requests: number;
  errors: number;
  models: string[];
  quota?: Omit<AccountQuota, "accountId">;
  usageToday?: UsageFigures;
}

const iso = (date: Date | undefined) => date?.toISOString().replace(/\.\d{3}Z$/, "Z");

export function stateOf(account: Account, pool: AccountState | undefined): AccountStateName {
  const status = accountStatus(account);
  if (status === "disabled") return "disabled";
  if (status === "needs login") return "needs-login";
  if (pool?.resting.length) return "resting";
  return status === "expired" ? "expired" : "ready";
}

export function accountView(
  account: Account,
  pool: AccountState | undefined,
  extra: { quota?: AccountQuota; usageToday?: UsageFigures } = {},
): AccountView {
  const view: AccountView = {
    id: account.id,
    provider: account.provider,
    kind: account.kind,
    source: account.source,
    label: account.label,
    file: account.file,
    linked: account.linked ? { tool: account.linked.tool, path: account.linked.path } : undefined,
    state: stateOf(account, pool),
    resting: pool?.resting ?? [],
    expires: iso(account.expiresAt),
    lastRefresh: iso(account.lastRefresh),
    lastError: account.lastError === undefined ? undefined : redact(account.lastError),
    requests: pool?.requests ?? 0,
    errors: pool?.errors ?? 0,
    models: account.models,
  };
  if (extra.quota) {
    const { accountId: _id, ...quota } = extra.quota;
    view.quota = quota;
  }
  if (extra.usageToday) view.usageToday = extra.usageToday;
  return view;
}

/** The account a path names: its id, its file name, or a label only one account has. */
export function findAccount(accounts: readonly Account[], name: string): Account | undefined {
  const exact = accounts.find((a) => a.id === name) ?? accounts.find((a) => a.file === name);
  if (exact) return exact;
  const labelled = accounts.filter((a) => a.label === name);
  return labelled.length === 1 ? labelled[0] : undefined;
}
