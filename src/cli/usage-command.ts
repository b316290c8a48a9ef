/**
 * @module
 * `subgate usage [--since 7d] [--by account|model|key|provider]`: what the
 * ledger recorded, as a table: requests, errors and the upstreams' token
 * counts per group, and the total. It reads the database read-only, so it
 * works while the server writes (SQLite's WAL lets readers in). In teams mode
 * it reads the shared database, where every instance's ledger writes.
 */
import { join } from "node:path";
import { printable } from "../log/printable.ts";
import { openSqliteStore, USAGE_DB_FILE } from "../usage/sqlite-store.ts";
import type { UsageGroup, UsageStore, UsageSums, UsageTotal } from "../usage/usage-store.ts";
import { loadStartupConfig } from "./load-startup-config.ts";
import type { ParsedCommand } from "./parse-cli.ts";
import { withTeamStore } from "./team-store.ts";

const GROUP_TITLES: Record<UsageGroup, string> = {
  account: "ACCOUNT",
  model: "MODEL",
  key: "KEY",
  provider: "PROVIDER",
};

const SUM_COLUMNS: [string, keyof UsageSums][] = [
  ["REQUESTS", "requests"],
  ["ERRORS", "errors"],
  ["INPUT", "inputTokens"],
  ["OUTPUT", "outputTokens"],
  ["CACHE READ", "cacheReadTokens"],
  ["CACHE WRITE", "cacheWriteTokens"],
  ["REASONING", "reasoningTokens"],
];

const number = new Intl.NumberFormat("en-US");

/** `7d`, `24h`, `90m`, `1d 6h`: the span the table covers. */
function span(seconds: number): string {
  const parts: string[] = [];
  for (const [unit, size] of [["d", 86400], ["h", 3600], ["m", 60], ["s", 1]] as const) {
    if (seconds >= size) {
      parts.push(`${Math.floor(seconds / size)}${unit}`);
      seconds %= size;
    }
  }
  return parts.join(" ");
}

/** Text cells left-aligned, numbers right-aligned; cells escaped (names come from files). */
function table(header: string[], rows: string[][], numericFrom: number): string {
  const all = [header, ...rows].map((row) => row.map(printable));
  const widths = header.map((_, column) => Math.max(...all.map((row) => row[column].length)));
  return all.map((row) =>
    row.map((cell, i) => i >= numericFrom ? cell.padStart(widths[i]) : cell.padEnd(widths[i]))
      .join("  ").trimEnd()
  ).join("\n");
}

function groupCells(by: UsageGroup, total: UsageTotal): string[] {
  const name = by === "account" ? total.label || total.group : total.group;
  const cells = [name || "-"];
  if (by === "account") cells.push(total.provider || "-");
  return cells;
}

/** Prints the ledger's totals for the command's span and grouping. */
async function printUsage(
  ledger: Pick<UsageStore, "totals">,
  sinceSeconds: number,
  by: UsageGroup,
) {
  const to = Date.now();
  const from = to - sinceSeconds * 1000;
  const totals = await ledger.totals({ from, to, group: by });
  const all = await ledger.totals({ from, to });
  const since = new Date(from).toISOString().slice(0, 16).replace("T", " ");
  console.log(`Usage in the last ${span(sinceSeconds)} (since ${since} UTC), by ${by}:`);
  console.log("");
  if (totals.length === 0) {
    console.log("No requests.");
    return;
  }
  const header = [GROUP_TITLES[by], ...(by === "account" ? ["PROVIDER"] : [])];
  const numericFrom = header.length;
  header.push(...SUM_COLUMNS.map(([title]) => title));
  const sums = (total: UsageSums) => SUM_COLUMNS.map(([, field]) => number.format(total[field]));
  const rows = totals.map((total) => [...groupCells(by, total), ...sums(total)]);
  const total = all[0];
  if (total) rows.push(["TOTAL", ...(by === "account" ? [""] : []), ...sums(total)]);
  console.log(table(header, rows, numericFrom));
}

/** The auth dir's embedded ledger, opened read-only (the server may be writing it). */
async function localUsage(authDir: string, sinceSeconds: number, by: UsageGroup) {
  const path = join(authDir, USAGE_DB_FILE);
  try {
    const info = await Deno.stat(path);
    if (!info.isFile) {
      console.error(printable(`subgate: ${path} is not a regular file`));
      return 1;
    }
  } catch (error) {
    if (!(error instanceof Deno.errors.NotFound)) throw error;
    console.log(printable(`No usage recorded yet (${path} does not exist).`));
    return 0;
  }
  let store: UsageStore;
  try {
    store = openSqliteStore(path, { readOnly: true });
  } catch (error) {
    console.error(printable(`subgate: cannot read ${path}: ${(error as Error).message}`));
    return 1;
  }
  try {
    await printUsage(store, sinceSeconds, by);
    return 0;
  } catch (error) {
    console.error(printable(`subgate: cannot read ${path}: ${(error as Error).message}`));
    return 1;
  } finally {
    await store.close();
  }
}

export async function usageCommand(command: ParsedCommand): Promise<number> {
  const startup = await loadStartupConfig(command);
  if (!startup) return 1;
  const { config } = startup;
  const { sinceSeconds, by } = command.usage;
  if (!config.store) return await localUsage(config.authDir, sinceSeconds, by);
  // Teams: every instance's ledger writes to the shared database; its sums are the team's.
  return await withTeamStore(config, { command: "usage", accounts: false }, async (team) => {
    await printUsage(team.usage, sinceSeconds, by);
    console.log("");
    console.log(printable(`The team's usage, from ${team.accounts.where}.`));
    return 0;
  });
}
