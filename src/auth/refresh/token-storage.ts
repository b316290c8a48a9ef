/**
 * @module
 * Where the refresh engine keeps an account's tokens, as one interface with
 * two implementations: the auth dir (here: one file per account, an OS lock
 * beside it) and, for teams, the shared PostgreSQL store (`team/`: a lease
 * row per account). The engine (`refresh-account.ts`) does the same steps
 * with either:
 *
 * 1. `claim`: take the account for this refresh, exclusively across
 *    processes and instances, and read its record as it stands under the
 *    claim (someone else may have refreshed already);
 * 2. `begin`: just before the token request, record that a refresh is under
 *    way (the file's in-flight mark; the lease row itself), or refuse to send
 *    one (the auth dir cannot be written; too little lease left);
 * 3. `keep`: the token server's answer, written first, durably (or kept in
 *    memory and retried, or spooled, when the write fails);
 * 4. `note`: a failure or a "needs login", without new tokens;
 * 5. `release`.
 *
 * Account changes a person makes (disable, enable, delete) and logins go
 * through the same backend, so they serialise with refreshes.
 */
import { join } from "node:path";
import { readAccountRecord, saveAccountFile } from "../account-file.ts";
import { currentRecord, writeTokens } from "./durable-tokens.ts";
import { lockFile, withFileLock } from "./lock-file.ts";
import { writeFileAtomic } from "../../fs/write-file-atomic.ts";
import { IN_FLIGHT_KEY } from "../../store/refresh-marks.ts";
import { accountFileText } from "../../store/file-cipher.ts";
import type { Json } from "../../ir/json.ts";

/** An account taken for one refresh. */
export interface Claim {
  /** The record as it stands under the claim. */
  record: Json;
  /** An earlier refresh of this token was cut short (its answer may have rotated it). */
  interrupted: boolean;
  /**
   * Marks the refresh as under way, right before the token request: the request must end by
   * `deadline` (epoch ms). Refuses (with the reason) when it must not be sent.
   */
  begin(timeoutMs: number): Promise<{ ok: true; deadline: number } | { ok: false; reason: string }>;
  /** Keeps a record holding the token server's new tokens: first, and durably. */
  keep(next: Json): Promise<void>;
  /**
   * Records what became of the refresh without new tokens (a failure, "needs login");
   * `interrupted`: the token request went out and no answer came (it may have rotated).
   */
  note(next: Json, interrupted: boolean): Promise<void>;
  /** Ends the claim (after `keep` or `note`, or instead of them). */
  release(): Promise<void>;
}

export type ClaimResult =
  | { ok: true; claim: Claim }
  /** Someone else holds the account now (another instance's lease); `until`: epoch ms. */
  | { ok: false; busy: true; reason: string; until?: number }
  | { ok: false; busy: false; reason: string };

export interface ClaimHints {
  /** The access token the caller holds: a record holding another was refreshed already. */
  knownAccessToken?: string;
  /** How long the token request may take (ms): a lease must outlast it. */
  timeoutMs?: number;
}

export interface TokenStorage {
  /** `files` (the auth dir) or `postgres`. */
  readonly kind: "files" | "postgres";
  /** A key naming the account in this storage, for single flight. */
  key(file: string): string;
  /** The account's record with its newest tokens; undefined when it is gone. */
  current(file: string): Promise<Json | undefined>;
  /** Takes the account for a refresh. */
  claim(file: string, hints?: ClaimHints): Promise<ClaimResult>;
  /** Waits until the account changes (another instance refreshed it) or `until`; files: no wait. */
  changed?(file: string, until: number): Promise<void>;
}

/** What a person or a login changes in an account, through the same storage. */
export interface AccountBackend extends TokenStorage {
  /** Sets or clears `disabled`; false when the account is gone. */
  setDisabled(file: string, disabled: boolean): Promise<boolean>;
  /** Removes the account; false when it was already gone. */
  remove(file: string): Promise<boolean>;
  /** Saves a login's record (a new account, or a new login of one). */
  save(file: string, record: Json): Promise<void>;
  /** Where the accounts are, for messages (`the auth dir ~/.subgate`, `PostgreSQL …`). */
  readonly where: string;
}

/** The auth dir as the refresh engine's storage: a file per account, an OS lock beside it. */
export function fileStorage(authDir: string): AccountBackend {
  return {
    kind: "files",
    where: `the auth dir ${authDir}`,
    key: (file) => join(authDir, file),
    current: (file) => currentRecord(join(authDir, file)),
    async claim(file) {
      const path = join(authDir, file);
      const release = await lockFile(path);
      let record: Json | undefined;
      try {
        record = await currentRecord(path);
      } catch (error) {
        await release();
        throw error;
      }
      if (!record) {
        await release();
        return { ok: false, busy: false, reason: "the account file is missing or unreadable" };
      }
      let base: Json = record;
      return {
        ok: true,
        claim: {
          record,
          // A mark left by a process that died with its token request out: under the lock,
          // nobody else is refreshing, so that refresh will never finish.
          interrupted: IN_FLIGHT_KEY in record,
          async begin(timeoutMs) {
            const marked: Json = { ...base, [IN_FLIGHT_KEY]: stamp(Date.now()) };
            try {
              await writeFileAtomic(path, await accountFileText(marked));
            } catch (error) {
              // The rotated token could not be kept: better not to rotate at all.
              return {
                ok: false,
                reason: `cannot write ${file} (${(error as Error).message}): no refresh sent`,
              };
            }
            base = marked;
            return { ok: true, deadline: Date.now() + timeoutMs };
          },
          async keep(next) {
            await writeTokens(path, next, base);
            base = next;
          },
          async note(next, interrupted) {
            const written = interrupted ? { ...next, [IN_FLIGHT_KEY]: stamp(Date.now()) } : next;
            await writeTokens(path, written, base);
            base = written;
          },
          release: () => release(),
        },
      };
    },
    async setDisabled(file, disabled) {
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
    },
    async remove(file) {
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
    },
    async save(file, record) {
      await saveAccountFile(authDir, file, record);
    },
  };
}

/** The record a login replaces, read from wherever the accounts are. */
export async function previousRecord(
  backend: AccountBackend | undefined,
  authDir: string,
  file: string,
): Promise<Json | undefined> {
  return backend ? await backend.current(file) : await readAccountRecord(join(authDir, file));
}

export function stamp(now: number): string {
  return new Date(now).toISOString().replace(/\.\d{3}Z$/, "Z");
}
