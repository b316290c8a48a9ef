/**
 * @module
 * `token-encryption` for the auth dir: when it is on, the token fields of
 * account files (`access_token`, `refresh_token`, `id_token`, `api_key`) are
 * written sealed with `SUBGATE_STORE_KEY` (`token-crypto.ts`) and opened when
 * read; the rest of the file stays plain JSON. Off by default: CLIProxyAPI
 * and the vendors' CLIs cannot read sealed tokens. Files written before it
 * was switched on load as they are, and are sealed at their next write. Set
 * once per process, when the config is loaded.
 */
import { openRecord, sealRecord, type TokenCipher } from "./token-crypto.ts";

let cipher: TokenCipher | undefined;

/** Bound to no file name: renaming an account file must not make it unreadable. */
const CONTEXT = "account file";

/** Switches file encryption on (a cipher) or off (undefined) for this process. */
export function useFileCipher(next: TokenCipher | undefined): void {
  cipher = next;
}

/** The record as it is written: token fields sealed when encryption is on. */
export async function sealForFile(record: Record<string, unknown>) {
  return cipher ? await sealRecord(cipher, record, CONTEXT) : record;
}

/** The record as it is used: sealed token fields opened (throws when no key opens them). */
export async function openFromFile(record: Record<string, unknown>) {
  if (!cipher) {
    for (const value of Object.values(record)) {
      if (typeof value === "string" && value.startsWith("sg1:")) {
        throw new Error("its tokens are encrypted: set token-encryption and SUBGATE_STORE_KEY");
      }
    }
    return record;
  }
  return await openRecord(cipher, record, CONTEXT);
}

/** An account file's text for `record`, token fields sealed when encryption is on. */
export async function accountFileText(record: Record<string, unknown>): Promise<string> {
  return JSON.stringify(await sealForFile(record), null, 2) + "\n";
}
