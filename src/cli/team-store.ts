/**
 * @module
 * Teams mode for the person-facing commands: with a store URL set (`store:` in
 * the config, or `SUBGATE_STORE_URL`, which wins), `login`, `logout`,
 * `accounts`, `refresh` and `usage` work on the shared database instead of
 * the auth dir. The teams code (and the PostgreSQL client) is loaded only
 * then, as `serve` does.
 */
import type { Config } from "../config/config-types.ts";
import { printable } from "../log/printable.ts";
import type { CommandStore, CommandStoreOptions } from "../team/command-store.ts";
import { VERSION } from "../version.ts";

const firstLine = (error: unknown) => ((error as Error)?.message ?? String(error)).split("\n")[0];

/**
 * Opens the shared store, runs `work` with it and closes it; returns `work`'s exit code, or 1
 * after one line on stderr when the store cannot be opened or fails meanwhile (no stack trace,
 * no password).
 */
export async function withTeamStore(
  config: Config,
  options: Omit<CommandStoreOptions, "version">,
  work: (store: CommandStore) => Promise<number>,
): Promise<number> {
  let store: CommandStore;
  try {
    const { openCommandStore } = await import("../team/command-store.ts");
    store = await openCommandStore(config, { ...options, version: VERSION });
  } catch (error) {
    console.error(printable(`subgate: cannot use the shared store: ${firstLine(error)}`));
    return 1;
  }
  try {
    return await work(store);
  } catch (error) {
    console.error(printable(`subgate: the shared store ${store.where}: ${firstLine(error)}`));
    return 1;
  } finally {
    await store.close();
  }
}
