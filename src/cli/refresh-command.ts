/**
 * @module
 * `subgate refresh [account]`: refreshes tokens now. Safe next to a running
 * server or another `refresh`: the lock and re-read make it one refresh. In
 * teams mode it goes through the instances' own lease protocol (the shared
 * database's lease row, taken only when no instance holds it), so it is never
 * a second refresher of a token the team is refreshing.
 * Labels and file names come from disk: every line is printed escaped.
 */
import { flushUnsavedTokens } from "../auth/refresh/durable-tokens.ts";
import { refreshAccount, type RefreshOutcome } from "../auth/refresh/refresh-account.ts";
import { printable, printableRedacted } from "../log/printable.ts";
import { PROVIDERS } from "../providers/registry.ts";
import type { LoginAccount } from "../store/account.ts";
import { type LoadedAccounts, withAccounts } from "./load-accounts.ts";
import type { ParsedCommand } from "./parse-cli.ts";
import { selectAccounts } from "./select-accounts.ts";

export async function refreshCommand(command: ParsedCommand): Promise<number> {
  return await withAccounts(command, (loaded) => refresh(loaded, command.target));
}

async function refresh(loaded: LoadedAccounts, target: string | undefined): Promise<number> {
  const { config, store, backend, team } = loaded;
  const refreshable = store.accounts().filter((a) => PROVIDERS[a.provider].login.refreshable);
  const chosen = target ? selectAccounts(refreshable, target) : refreshable;
  if (chosen.length === 0) {
    console.error(
      target
        ? `subgate: no account with a refreshable token matches '${target}'`
        : `subgate: no account with a refreshable token in ${backend?.where ?? config.authDir}`,
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
      storage: backend,
    });
    if (!report(account, outcome)) failures++;
  }
  // Tokens a full disk kept in memory: one last try before this process ends.
  for (const file of await flushUnsavedTokens()) {
    failures++;
    console.error(
      `subgate: refreshed tokens for ${printable(file)} could not be written: log in again`,
    );
  }
  // Teams: tokens the database did not take wait, sealed, in this host's spool.
  const spooled = team?.accounts.spooled() ?? 0;
  if (spooled) {
    failures++;
    console.error(
      printable(
        `subgate: new tokens of ${spooled} account(s) could not be written to ${team!.where}: ` +
          `they wait sealed in ${team!.spoolDir}; the next subgate command or ` +
          `server on this host writes them there`,
      ),
    );
  }
  return failures ? 1 : 0;
}

/** Prints one account's outcome; false when it failed. */
function report(account: LoginAccount, outcome: RefreshOutcome): boolean {
  const who = `${account.provider} ${account.label}`;
  switch (outcome.status) {
    case "refreshed":
      console.log(
        printable(`${who}: refreshed${outcome.expired ? `, expires ${outcome.expired}` : ""}`),
      );
      if (outcome.warning) console.error(printableRedacted(`${who}: ${outcome.warning}`));
      return true;
    case "fresh":
      console.log(printable(`${who}: ${outcome.reason}`));
      return true;
    case "busy":
      // Another instance holds the lease: its new tokens reach every instance when it is done.
      console.log(printable(`${who}: not refreshed here: ${outcome.reason} now`));
      return true;
    case "needs-login":
      console.error(
        printableRedacted(`${who}: ${outcome.reason}. Run: subgate login ${account.provider}`),
      );
      return false;
    case "failed":
      console.error(printableRedacted(`${who}: ${outcome.reason}`));
      return false;
  }
}
