/**
 * @module
 * A linked account's tokens, read from the vendor CLI's own login file it
 * names (`import/linked-file.ts`): at load, and again at every refresh.
 */
import type { Logger } from "../log/logger.ts";
import type { LoginAccount } from "./account.ts";
import { readLinkedTokens } from "./import/linked-file.ts";

export type LinkedAccount = { ok: true; account: LoginAccount } | { ok: false; reason: string };

/** The account with the vendor file's tokens and expiry in place, or why they cannot be read. */
export async function withLinkedTokens(
  account: LoginAccount,
  log: Logger,
): Promise<LinkedAccount> {
  const linked = await readLinkedTokens(account.credentials as Record<string, unknown>);
  if (!linked.ok) return linked;
  const { hints: _hints, ...fields } = linked.tokens;
  if (linked.outsideHome) {
    log.warn("linked login file resolves outside the home dir", {
      file: account.file,
      linked: linked.realPath,
    });
  }
  return {
    ok: true,
    account: {
      ...account,
      credentials: { ...account.credentials, ...fields },
      expiresAt: linked.tokens.expired ? new Date(linked.tokens.expired) : undefined,
      linked: account.linked && {
        ...account.linked,
        realPath: linked.realPath,
        outsideHome: linked.outsideHome,
      },
    },
  };
}
