/**
 * @module
 * `subgate accounts`: a table of every account (files and config keys) and
 * every account file that fails to load. Prints no secret. In teams mode the
 * logins are the shared database's, with the team's rests, plan quota and
 * requests of the last 24 hours.
 */
import { accountsFromConfig } from "../store/config-accounts.ts";
import { type Account, accountStatus } from "../store/account.ts";
import { tildePath } from "../store/import/linked-file.ts";
import { printable } from "../log/printable.ts";
import { formatAgo, formatExpiresIn, span } from "./format-duration.ts";
import { type LoadedAccounts, withAccounts } from "./load-accounts.ts";
import { readPublishedState } from "../pool/publish-state.ts";
import type { AccountQuota } from "../pool/quota-book.ts";
import type { AccountState } from "../pool/pool.ts";
import type { AuthStore } from "../store/auth-store.ts";
import { DAY_MS } from "../usage/usage-store.ts";
import type { ParsedCommand } from "./parse-cli.ts";
import { join } from "node:path";
import { isLocked } from "../auth/refresh/lock-file.ts";
import { INTERRUPTED } from "../store/refresh-marks.ts";

/**
 * The FILE column's note on a linked account: the vendor file, and where it really leads when a
 * symlink takes it outside the home dir (the one case worth a second look).
 */
function linkedNote(linked: NonNullable<Account["linked"]>): string {
  const where = tildePath(linked.path);
  const outside = linked.outsideHome && linked.realPath
    ? ` -> ${linked.realPath}, outside the home dir`
    : "";
  return ` (linked to ${linked.tool}: ${where}${outside})`;
}

/**
 * The quota columns: the 5-hour and weekly windows' use, and when the tightest window resets
 * (named, when it is neither). A window whose reset has passed says nothing any more.
 */
function quotaCells(quota: AccountQuota | undefined, now: number): string[] {
  const current = (quota?.windows ?? []).filter((w) => !w.resetsAt || Date.parse(w.resetsAt) > now);
  const used = (name: string) => {
    const window = current.find((w) => w.name === name);
    return window ? `${Math.round(window.usedPercent)}%` : "-";
  };
  const timed = current.filter((w) => w.resetsAt);
  const binding = timed.filter((w) => !w.advisory);
  const tightest =
    (binding.length ? binding : timed).sort((a, b) =>
      b.usedPercent - a.usedPercent || Date.parse(a.resetsAt!) - Date.parse(b.resetsAt!)
    )[0];
  const resets = tightest
    ? span(Date.parse(tightest.resetsAt!) - now) +
      (["5h", "7d"].includes(tightest.name) ? "" : ` (${tightest.name})`)
    : "-";
  return [used("5h"), used("7d"), resets];
}

const HEADER = [
  "PROVIDER",
  "ACCOUNT",
  "STATUS",
  "EXPIRES IN",
  "LAST REFRESH",
  "REQUESTS",
  "5H",
  "WEEK",
  "RESETS IN",
  "FILE",
];

/** How far back the REQUESTS column counts the team's requests. */
const TEAM_REQUESTS_MS = DAY_MS;

/** Cells are text from disk (file names, labels, paths): escaped, so none can move the cursor. */
function table(raw: string[][]): string {
  const rows = raw.map((row) => row.map(printable));
  const widths = rows[0].map((_, column) => Math.max(...rows.map((row) => row[column].length)));
  return rows.map((row) => row.map((cell, i) => cell.padEnd(widths[i])).join("  ").trimEnd())
    .join("\n");
}

/** What a running server (or, in teams mode, the shared database) says of each account. */
interface Served {
  states: Record<string, AccountState>;
  /** What to say of an account a refresh is under way for now; undefined: none is. */
  refreshing(file: string): Promise<string | undefined>;
}

async function servedState(loaded: LoadedAccounts): Promise<Served> {
  const { config, team } = loaded;
  if (team) {
    const leases = await team.leases();
    return {
      states: await team.states(TEAM_REQUESTS_MS),
      refreshing: (file) => {
        const owner = leases.get(file);
        return Promise.resolve(owner && `a refresh is under way (instance ${owner})`);
      },
    };
  }
  // A running server publishes who is resting and its counts since it started.
  const published = await readPublishedState(config.authDir);
  return {
    states: published?.accounts ?? {},
    refreshing: async (file) =>
      await isLocked(join(config.authDir, file)) ? "a refresh is under way" : undefined,
  };
}

function accountRow(
  account: Account,
  store: AuthStore,
  state: AccountState | undefined,
  now: number,
): string[] {
  const unsafe = account.file && store.unsafeFiles().has(account.file) ? " (unsafe mode)" : "";
  const linked = account.linked ? linkedNote(account.linked) : "";
  let status = accountStatus(account) as string;
  const resting = state?.resting.filter((rest) => Date.parse(rest.until) > now) ?? [];
  if (status === "ready" && resting.length) {
    const rest = resting.reduce((a, b) => (a.until > b.until ? a : b));
    status = `resting until ${rest.until} (${rest.reason})`;
  }
  return [
    account.provider,
    account.label,
    status + unsafe,
    formatExpiresIn(account.expiresAt),
    account.lastRefresh ? formatAgo(account.lastRefresh, now) : "-",
    state ? `${state.requests}${state.errors ? ` (${state.errors} failed)` : ""}` : "-",
    ...quotaCells(state?.quota, now),
    (account.file ?? "(config)") + linked,
  ];
}

/** The notes under the table: refresh errors, files that failed to load, unsafe files. */
async function printNotes(loaded: LoadedAccounts, served: Served): Promise<void> {
  const { config, store } = loaded;
  const errors = store.accounts().filter((account) => account.lastError);
  if (errors.length) {
    console.log("");
    for (const account of errors) {
      // The in-flight mark of a refresh that is under way right now is no error.
      const busy = account.lastError === INTERRUPTED && await served.refreshing(account.file);
      const said = busy || `last error: ${account.lastError}`;
      console.log(printable(`${account.file}: ${said}`));
    }
  }
  if (store.problems().size) {
    console.log("");
    for (const [file, reason] of store.problems()) console.log(printable(`${file}: ${reason}`));
  }
  if (store.unsafeFiles().size) {
    console.log("");
    console.log(
      printable(
        `Token files readable by group or others: ${[...store.unsafeFiles()].join(", ")}. ` +
          `Fix with: chmod 600 ${config.authDir}/*.json`,
      ),
    );
  }
}

async function listAccounts(loaded: LoadedAccounts): Promise<number> {
  const { config, store, team } = loaded;
  const now = Date.now();
  const served = await servedState(loaded);
  const rows = [...store.accounts(), ...accountsFromConfig(config)].map((account) =>
    accountRow(account, store, served.states[account.id], now)
  );
  for (const file of store.problems().keys()) {
    if (!store.accounts().some((a) => a.file === file)) {
      const status = store.skippedFiles().has(file) ? "skipped" : "invalid";
      rows.push(["?", "-", status, "-", "-", "-", "-", "-", "-", file]);
    }
  }
  if (rows.length === 0) {
    if (team) {
      console.log(printable(`No accounts in ${team.accounts.where}.`));
      console.log("Log in to a provider, or copy an auth dir's accounts in: subgate store import");
    } else {
      console.log(`No accounts in ${printable(config.authDir)}.`);
      console.log("Log in to a provider, or copy CLIProxyAPI token files into that directory.");
    }
    return 0;
  }
  // Teams: a request count since one server started means little; the team's last day does.
  const header = HEADER.map((title) => title === "REQUESTS" && team ? "REQUESTS 24H" : title);
  console.log(table([header, ...rows]));
  await printNotes(loaded, served);
  if (team) {
    console.log("");
    console.log(printable(`Accounts in ${team.accounts.where}.`));
  }
  return 0;
}

export async function accountsCommand(command: ParsedCommand): Promise<number> {
  return await withAccounts(command, listAccounts);
}
