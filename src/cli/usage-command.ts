/**
 * @module
 * `subgate usage [--since 7d] [--by account|model|key|provider]`: what the
 * ledger recorded, as a table: requests, errors and the upstreams' token
 * counts per group, and the total. It reads the database read-only, so it
 * works while the server writes (SQLite's WAL lets readers in).
 */
import { join } from "node:path";
import { printable } from "../log/printable.ts";
import { openSqliteStore, USAGE_DB_FILE } from "../usage/sqlite-store.ts";
import type { UsageGroup, UsageSums, UsageTotal } from "../usage/usage-store.ts";
import { loadStartupConfig } from "./load-startup-config.ts";
import type { ParsedCommand } from "./parse-cli.ts";

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

export async function usageCommand(command: ParsedCommand): Promise<number> {
  const startup = await loadStartupConfig(command);
  if (!startup) return 1;
  const path = join(startup.config.authDir, USAGE_DB_FILE);
  const { sinceSeconds, by } = command.usage;
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
  let totals: UsageTotal[];
  let all: UsageTotal[];
  const to = Date.now();
  const from = to - sinceSeconds * 1000;
  try {
    const store = openSqliteStore(path, { readOnly: true });
    try {
      totals = await store.totals({ from, to, group: by });
      all = await store.totals({ from, to });
    } finally {
      await store.close();
    }
  } catch (error) {
    console.error(printable(`subgate: cannot read ${path}: ${(error as Error).message}`));
    return 1;
  }
  const since = new Date(from).toISOString().slice(0, 16).replace("T", " ");
  console.log(`Usage in the last ${span(sinceSeconds)} (since ${since} UTC), by ${by}:`);
  console.log("");
  if (totals.length === 0) {
    console.log("No requests.");
    return 0;
  }
  const header = [GROUP_TITLES[by], ...(by === "account" ? ["PROVIDER"] : [])];
  const numericFrom = header.length;
  header.push(...SUM_COLUMNS.map(([title]) => title));
  const sums = (total: UsageSums) => SUM_COLUMNS.map(([, field]) => number.format(total[field]));
  const rows = totals.map((total) => [...groupCells(by, total), ...sums(total)]);
  const total = all[0];
  if (total) rows.push(["TOTAL", ...(by === "account" ? [""] : []), ...sums(total)]);
  console.log(table(header, rows, numericFrom));
  return 0;
}
