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
import { VERSION } from "../version.ts";
import { loadStartupConfig } from "./load-startup-config.ts";
import type { ParsedCommand } from "./parse-cli.ts";

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
  const quiet = createLogger("error", () => {});
  const { storeCipher, instanceName } = await import("../team/start-team.ts");
  const { openTeam } = await import("../team/team.ts");
  const move = await import("../team/move-accounts.ts");
  let cipher;
  let team;
  try {
    cipher = await storeCipher();
    team = await openTeam({
      url: config.store,
      instanceName: `${instanceName(config)}:store-${command.target}`,
      version: VERSION,
      log: quiet,
    });
  } catch (error) {
    console.error(`subgate: cannot use the shared store: ${(error as Error).message}`);
    return 1;
  }
  try {
    const dir = command.storeDir ? expandPath(command.storeDir, Deno.cwd()) : config.authDir;
    if (command.target === "export") {
      const report = await move.exportAccounts(team, cipher, dir);
      for (const item of report.done) {
        console.log(
          `${item.outcome}: ${printable(item.name)}${item.reason ? ` (${item.reason})` : ""}`,
        );
      }
      console.log(
        `${report.done.filter((d) => d.outcome === "exported").length} exported to ${
          printable(dir)
        }`,
      );
      return report.done.some((d) => d.outcome === "failed") ? 1 : 0;
    }
    const files = createAuthStore(dir, quiet);
    await files.load();
    const records = files.accounts().map((account) => ({
      file: account.file,
      record: { ...account.credentials },
    }));
    const accounts = await move.importAccounts(team, cipher, records);
    const keyStore = createKeyStore(dir, quiet);
    await keyStore.load();
    const keys = await move.importKeys(team, keyStore.keys());
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
        `into ${team.where}`,
    );
    return accounts.done.some((d) => d.outcome === "failed") ? 1 : 0;
  } catch (error) {
    console.error(`subgate: ${(error as Error).message.split("\n")[0]}`);
    return 1;
  } finally {
    await team.close();
  }
}
