/**
 * @module
 * `subgate logout <provider|account>`: removes account files, or in teams
 * mode the accounts' rows in the shared database (announced: every instance
 * stops using them at once). A linked account's vendor file is left alone.
 */
import { removeAccountFile } from "../auth/account-admin.ts";
import { printable } from "../log/printable.ts";
import { type LoadedAccounts, withAccounts } from "./load-accounts.ts";
import type { ParsedCommand } from "./parse-cli.ts";
import { selectAccounts } from "./select-accounts.ts";

export async function logoutCommand(command: ParsedCommand): Promise<number> {
  return await withAccounts(command, (loaded) => logout(loaded, command.target!));
}

async function logout({ config, store, backend }: LoadedAccounts, target: string) {
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
    await removeAccountFile(config.authDir, account.file, backend);
    const removed = backend
      ? `removed ${account.file} from ${backend.where}`
      : `removed ${account.file}`;
    console.log(printable(`Logged out of ${account.provider} as ${account.label} (${removed}).`));
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
