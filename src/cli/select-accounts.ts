/**
 * @module
 * Which account files a command line means: a provider name, an account
 * (email or id) or a file name.
 */
import type { Account } from "../store/account.ts";

export function selectAccounts<T extends Account>(accounts: readonly T[], target: string): T[] {
  const wanted = target.toLowerCase();
  const byProvider = accounts.filter((a) => a.provider === wanted);
  if (byProvider.length) return byProvider;
  return accounts.filter((a) =>
    a.label.toLowerCase() === wanted || a.file?.toLowerCase() === wanted ||
    a.file?.toLowerCase() === `${wanted}.json`
  );
}
