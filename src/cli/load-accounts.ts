/**
 * @module
 * The config plus the accounts, for commands that act on accounts without
 * serving (accounts, logout, refresh): a one-time read of the auth dir, or,
 * in teams mode, of the shared database (open while the command runs).
 */
import type { Config } from "../config/config-types.ts";
import { createLogger } from "../log/logger.ts";
import type { AccountBackend } from "../auth/refresh/token-storage.ts";
import { type AuthStore, createAuthStore } from "../store/auth-store.ts";
import type { CommandStore } from "../team/command-store.ts";
import { loadStartupConfig } from "./load-startup-config.ts";
import type { ParsedCommand } from "./parse-cli.ts";
import { withTeamStore } from "./team-store.ts";

export interface LoadedAccounts {
  config: Config;
  store: AuthStore;
  /** Where changes go: the shared database in teams mode; undefined: the auth dir's files. */
  backend?: AccountBackend;
  /** The shared store, in teams mode. */
  team?: CommandStore;
}

/** Runs `work` on the accounts; its exit code, or 1 when the config or the store fails. */
export async function withAccounts(
  command: ParsedCommand,
  work: (loaded: LoadedAccounts) => Promise<number>,
): Promise<number> {
  const startup = await loadStartupConfig(command);
  if (!startup) return 1;
  const config = startup.config;
  if (config.store) {
    return await withTeamStore(
      config,
      { command: command.command },
      (team) => work({ config, store: team.accounts, backend: team.accounts, team }),
    );
  }
  // Commands report problems in their own output, so the store's log lines are not needed.
  const store = createAuthStore(config.authDir, createLogger("error", () => {}));
  await store.load();
  return await work({ config, store });
}
