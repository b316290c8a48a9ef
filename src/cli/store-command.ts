/**
 * @module
 * `subgate store import [--from DIR]` and `subgate store export [--to DIR]`:
 * moving an auth dir's accounts (and client keys) into the shared database
 * named by `store` (or `SUBGATE_STORE_URL`), and back out to files. Loads the
 * teams code only when run.
 */
import { createLogger } from "../log/logger.ts";
import { printable } from "../log/printable.ts";
import { expandPath } from "../config/paths.ts";
import { createAuthStore } from "../store/auth-store.ts";
import { createKeyStore } from "../keys/key-store.ts";
import type { CommandStore } from "../team/command-store.ts";
import { loadStartupConfig } from "./load-startup-config.ts";
import type { ParsedCommand } from "./parse-cli.ts";
import { withTeamStore } from "./team-store.ts";

export async function storeCommand(command: ParsedCommand): Promise<number> {
  const startup = await loadStartupConfig(command);
  if (!startup) return 1;
  const config = startup.config;
  if (!config.store) {
    console.error(
      "subgate: no shared store is configured: set `store: postgres://…` in the config or " +
        "SUBGATE_STORE_URL",
    );
    return 1;
  }
  const dir = command.storeDir ? expandPath(command.storeDir, Deno.cwd()) : config.authDir;
  const move = command.target === "export" ? exportTo : importFrom;
  return await withTeamStore(
    config,
    { command: `store-${command.target}`, accounts: false },
    (store) => move(store, dir),
  );
}

async function exportTo(store: CommandStore, dir: string): Promise<number> {
  const { exportAccounts } = await import("../team/move-accounts.ts");
  const report = await exportAccounts(store.team, store.cipher, dir);
  for (const item of report.done) {
    console.log(
      `${item.outcome}: ${printable(item.name)}${item.reason ? ` (${item.reason})` : ""}`,
    );
  }
  const exported = report.done.filter((d) => d.outcome === "exported").length;
  console.log(`${exported} exported to ${printable(dir)}`);
  return report.done.some((d) => d.outcome === "failed") ? 1 : 0;
}

async function importFrom(store: CommandStore, dir: string): Promise<number> {
  const move = await import("../team/move-accounts.ts");
  const quiet = createLogger("error", () => {});
  const files = createAuthStore(dir, quiet);
  await files.load();
  const records = files.accounts().map((account) => ({
    file: account.file,
    record: { ...account.credentials },
  }));
  const accounts = await move.importAccounts(store.team, store.cipher, records);
  const keyStore = createKeyStore(dir, quiet);
  await keyStore.load();
  const keys = await move.importKeys(store.team, keyStore.keys());
  for (const item of accounts.done) {
    const note = item.outcome === "kept" ? " (already in the store: the store's copy stays)" : "";
    console.log(
      `${item.outcome}: ${printable(item.name)}${note}${item.reason ? ` (${item.reason})` : ""}`,
    );
  }
  for (const item of keys.done) {
    console.log(`${item.outcome}: client key ${printable(item.name)}`);
  }
  for (const [file, reason] of files.problems()) {
    console.log(`skipped: ${printable(file)} (${reason})`);
  }
  const imported = accounts.done.filter((d) => d.outcome === "imported").length;
  const kept = accounts.done.filter((d) => d.outcome === "kept").length;
  console.log(
    `${imported} account(s) imported, ${kept} already there; ` +
      `${keys.done.filter((d) => d.outcome === "imported").length} client key(s) imported ` +
      `into ${store.where}`,
  );
  return accounts.done.some((d) => d.outcome === "failed") ? 1 : 0;
}
