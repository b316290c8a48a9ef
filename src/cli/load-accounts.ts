/**
 * @module
 * The config plus a one-time read of the auth dir, for commands that act on
 * accounts without serving (accounts, logout, refresh).
 */
import type { Config } from "../config/config-types.ts";
import { createLogger } from "../log/logger.ts";
import { type AuthStore, createAuthStore } from "../store/auth-store.ts";
import { loadStartupConfig } from "./load-startup-config.ts";
import type { ParsedCommand } from "./parse-cli.ts";

export async function loadAccounts(
  command: ParsedCommand,
): Promise<{ config: Config; store: AuthStore } | undefined> {
  const startup = await loadStartupConfig(command);
  if (!startup) return undefined;
  // Commands report problems in their own output, so the store's log lines are not needed.
  const store = createAuthStore(startup.config.authDir, createLogger("error", () => {}));
  await store.load();
  return { config: startup.config, store };
}
