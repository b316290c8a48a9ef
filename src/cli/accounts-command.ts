/**
 * @module
 * `subgate accounts`: a table of every account (files and config keys) and
 * every account file that fails to load. Prints no secret.
 */
import { accountsFromConfig } from "../store/config-accounts.ts";
import { type Account, accountStatus } from "../store/account.ts";
import { tildePath } from "../store/import/linked-file.ts";
import { printable } from "../log/printable.ts";
import { formatAgo, formatExpiresIn, span } from "./format-duration.ts";
import { loadAccounts } from "./load-accounts.ts";
import { readPublishedState } from "../pool/publish-state.ts";
import type { AccountQuota } from "../pool/quota-book.ts";
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

/** Cells are text from disk (file names, labels, paths): escaped, so none can move the cursor. */
function table(raw: string[][]): string {
  const rows = raw.map((row) => row.map(printable));
  const widths = rows[0].map((_, column) => Math.max(...rows.map((row) => row[column].length)));
  return rows.map((row) => row.map((cell, i) => cell.padEnd(widths[i])).join("  ").trimEnd())
    .join("\n");
}

export async function accountsCommand(command: ParsedCommand): Promise<number> {
  const loaded = await loadAccounts(command);
  if (!loaded) return 1;
  const { config, store } = loaded;

  const header = [
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
  const now = Date.now();
  // A running server publishes who is resting and its counts since it started.
  const served = await readPublishedState(config.authDir);
  const rows = [...store.accounts(), ...accountsFromConfig(config)].map((account) => {
    const unsafe = account.file && store.unsafeFiles().has(account.file) ? " (unsafe mode)" : "";
    const linked = account.linked ? linkedNote(account.linked) : "";
    const state = served?.accounts[account.id];
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
  });
  for (const file of store.problems().keys()) {
    if (!store.accounts().some((a) => a.file === file)) {
      const status = store.skippedFiles().has(file) ? "skipped" : "invalid";
      rows.push(["?", "-", status, "-", "-", "-", "-", "-", "-", file]);
    }
  }
  const errors = store.accounts().filter((account) => account.lastError);

  if (rows.length === 0) {
    console.log(`No accounts in ${printable(config.authDir)}.`);
    console.log("Log in to a provider, or copy CLIProxyAPI token files into that directory.");
    return 0;
  }
  console.log(table([header, ...rows]));
  if (errors.length) {
    console.log("");
    for (const account of errors) {
      // The in-flight mark of a refresh that a live process is doing right now is no error.
      const busy = account.lastError === INTERRUPTED &&
        await isLocked(join(config.authDir, account.file));
      const said = busy ? "a refresh is under way" : `last error: ${account.lastError}`;
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
  return 0;
}
