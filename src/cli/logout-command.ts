/**
 * @module
 * `subgate logout <provider|account>`: removes account files. A linked
 * account's vendor file is left alone.
 */
import { removeAccountFile } from "../auth/account-admin.ts";
import { printable } from "../log/printable.ts";
import { loadAccounts } from "./load-accounts.ts";
import type { ParsedCommand } from "./parse-cli.ts";
import { selectAccounts } from "./select-accounts.ts";

export async function logoutCommand(command: ParsedCommand): Promise<number> {
  const loaded = await loadAccounts(command);
  if (!loaded) return 1;
  const { config, store } = loaded;
  const target = command.target!;
  const chosen = selectAccounts(store.accounts(), target);
  if (chosen.length === 0) {
    console.error(`subgate: no account matches '${target}'; 'subgate accounts' lists them`);
    return 1;
  }
  const providers = new Set(chosen.map((a) => a.provider));
  if (providers.size > 1) {
    console.error(
      `subgate: '${target}' matches accounts of several providers (${
        [...providers].join(", ")
      }); ` +
        `name the file instead: ${chosen.map((a) => printable(a.file)).join(", ")}`,
    );
    return 1;
  }
  for (const account of chosen) {
    await removeAccountFile(config.authDir, account.file);
    console.log(
      `Logged out of ${account.provider} as ${printable(account.label)} ` +
        `(removed ${printable(account.file)}).`,
    );
    if (account.linked) {
      console.log(
        `  ${printable(account.linked.path)} (${account.linked.tool}'s own login) is untouched.`,
      );
    }
  }
  console.log(
    "The provider may honour the old tokens until they expire; revoke access in its account " +
      "settings to end them at once.",
  );
  return 0;
}
