/**
 * @module
 * Changes a person makes to a login's account file, from `subgate logout` or
 * the management API: switching it off and on (`disabled`), and removing it.
 * Both hold the account's refresh lock, so a refresh under way never writes
 * its copy of the file over the change (or brings a removed file back), and
 * both go through the refresh engine's own writes: what the file says is
 * what the newest tokens say.
 */
import { join } from "node:path";
import { currentRecord, writeTokens } from "./refresh/durable-tokens.ts";
import { withFileLock } from "./refresh/lock-file.ts";

/** Sets or clears `disabled` in the account file; false when the file is gone or unreadable. */
export async function setAccountDisabled(
  authDir: string,
  file: string,
  disabled: boolean,
): Promise<boolean> {
  const path = join(authDir, file);
  return await withFileLock(path, async () => {
    const record = await currentRecord(path);
    if (!record) return false;
    const next = { ...record };
    if (disabled) next.disabled = true;
    else delete next.disabled;
    if (!await writeTokens(path, next, record)) {
      throw new Error(`cannot write ${file}; the change is kept in memory and retried`);
    }
    return true;
  }, { waitMs: 10_000 });
}

/**
 * Removes the account file (a linked account's vendor file is left alone); false when it was
 * already gone.
 */
export async function removeAccountFile(authDir: string, file: string): Promise<boolean> {
  const path = join(authDir, file);
  return await withFileLock(path, async () => {
    try {
      await Deno.remove(path);
      return true;
    } catch (error) {
      if (error instanceof Deno.errors.NotFound) return false;
      throw error;
    }
  }, { waitMs: 10_000 });
}
