/**
 * @module
 * `subgate accounts`: a table of every account (files and config keys) and
 * every account file that fails to load. Prints no secret.
 */
import { accountsFromConfig } from "../store/config-accounts.ts";
import { accountStatus } from "../store/account.ts";
import { formatAgo, formatExpiresIn } from "./format-duration.ts";
import { loadAccounts } from "./load-accounts.ts";
import { readPublishedState } from "../pool/publish-state.ts";
import type { ParsedCommand } from "./parse-cli.ts";

function table(rows: string[][]): string {
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
    "FILE",
  ];
  const now = Date.now();
  // A running server publishes who is resting and its counts since it started.
  const served = await readPublishedState(config.authDir);
  const rows = [...store.accounts(), ...accountsFromConfig(config)].map((account) => {
    const unsafe = account.file && store.unsafeFiles().has(account.file) ? " (unsafe mode)" : "";
    const linked = account.linked ? ` (linked to ${account.linked.tool})` : "";
    const state = served?.accounts[account.id];
    let status = accountStatus(account) as string;
    if (status === "ready" && state?.resting.length) {
      const rest = state.resting.reduce((a, b) => (a.until > b.until ? a : b));
      status = `resting until ${rest.until} (${rest.reason})`;
    }
    return [
      account.provider,
      account.label,
      status + unsafe,
      formatExpiresIn(account.expiresAt),
      account.lastRefresh ? formatAgo(account.lastRefresh, now) : "-",
      state ? `${state.requests}${state.errors ? ` (${state.errors} failed)` : ""}` : "-",
      (account.file ?? "(config)") + linked,
    ];
  });
  for (const file of store.problems().keys()) {
    if (!store.accounts().some((a) => a.file === file)) {
      rows.push(["?", "-", "invalid", "-", "-", "-", file]);
    }
  }
  const errors = store.accounts().filter((account) => account.lastError);

  if (rows.length === 0) {
    console.log(`No accounts in ${config.authDir}.`);
    console.log("Log in to a provider, or copy CLIProxyAPI token files into that directory.");
    return 0;
  }
  console.log(table([header, ...rows]));
  if (errors.length) {
    console.log("");
    for (const account of errors) console.log(`${account.file}: last error: ${account.lastError}`);
  }
  if (store.problems().size) {
    console.log("");
    for (const [file, reason] of store.problems()) console.log(`${file}: ${reason}`);
  }
  if (store.unsafeFiles().size) {
    console.log("");
    console.log(
      `Token files readable by group or others: ${[...store.unsafeFiles()].join(", ")}. ` +
        `Fix with: chmod 600 ${config.authDir}/*.json`,
    );
  }
  return 0;
}
