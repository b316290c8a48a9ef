/**
 * @module
 * `subgate refresh [account]`: refreshes tokens now. Safe next to a running
 * server or another `refresh`: the lock and re-read make it one refresh.
 * Labels and file names come from disk: every line is printed escaped.
 */
import { flushUnsavedTokens } from "../auth/refresh/durable-tokens.ts";
import { refreshAccount } from "../auth/refresh/refresh-account.ts";
import { printable, printableRedacted } from "../log/printable.ts";
import { PROVIDERS } from "../providers/registry.ts";
import { loadAccounts } from "./load-accounts.ts";
import type { ParsedCommand } from "./parse-cli.ts";
import { selectAccounts } from "./select-accounts.ts";

export async function refreshCommand(command: ParsedCommand): Promise<number> {
  const loaded = await loadAccounts(command);
  if (!loaded) return 1;
  const { config, store } = loaded;
  const refreshable = store.accounts().filter((a) => PROVIDERS[a.provider].login.refreshable);
  const chosen = command.target ? selectAccounts(refreshable, command.target) : refreshable;
  if (chosen.length === 0) {
    console.error(
      command.target
        ? `subgate: no account with a refreshable token matches '${command.target}'`
        : `subgate: no account with a refreshable token in ${config.authDir}`,
    );
    return 1;
  }
  let failures = 0;
  for (const account of chosen) {
    const outcome = await refreshAccount({
      authDir: config.authDir,
      file: account.file,
      config,
      knownAccessToken: account.credentials.access_token as string | undefined,
      force: true,
    });
    const who = `${account.provider} ${account.label}`;
    switch (outcome.status) {
      case "refreshed":
        console.log(
          printable(`${who}: refreshed${outcome.expired ? `, expires ${outcome.expired}` : ""}`),
        );
        if (outcome.warning) console.error(printableRedacted(`${who}: ${outcome.warning}`));
        break;
      case "fresh":
        console.log(printable(`${who}: ${outcome.reason}`));
        break;
      case "needs-login":
        failures++;
        console.error(
          printableRedacted(`${who}: ${outcome.reason}. Run: subgate login ${account.provider}`),
        );
        break;
      case "failed":
        failures++;
        console.error(printableRedacted(`${who}: ${outcome.reason}`));
        break;
    }
  }
  // Tokens a full disk kept in memory: one last try before this process ends.
  for (const file of await flushUnsavedTokens()) {
    failures++;
    console.error(
      `subgate: refreshed tokens for ${printable(file)} could not be written: log in again`,
    );
  }
  return failures ? 1 : 0;
}
