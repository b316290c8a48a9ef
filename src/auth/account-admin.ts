/**
 * @module
 * Changes a person makes to a login, from `subgate logout` or the management
 * API: switching it off and on (`disabled`), and removing it. Both go through
 * the account's backend (`refresh/token-storage.ts`): in the auth dir they
 * hold the account's refresh lock, so a refresh under way never writes its
 * copy of the file over the change (or brings a removed file back); in the
 * shared database they are one statement each, announced to every instance.
 */
import { type AccountBackend, fileStorage } from "./refresh/token-storage.ts";

/** Sets or clears `disabled`; false when the account is gone or unreadable. */
export async function setAccountDisabled(
  authDir: string,
  file: string,
  disabled: boolean,
  backend: AccountBackend = fileStorage(authDir),
): Promise<boolean> {
  return await backend.setDisabled(file, disabled);
}

/**
 * Removes the account (a linked account's vendor file is left alone); false when it was already
 * gone.
 */
export async function removeAccountFile(
  authDir: string,
  file: string,
  backend: AccountBackend = fileStorage(authDir),
): Promise<boolean> {
  return await backend.remove(file);
}
