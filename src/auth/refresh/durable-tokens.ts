/**
 * @module
 * Writing refreshed tokens so that none is lost. Most providers' refresh
 * tokens work once, and the token server has already rotated by the time
 * subgate writes: a token that fails to reach the disk (disk full, a
 * read-only auth dir) is kept in memory, used from there, written again with
 * a growing pause, reported on every failure, and written at shutdown.
 */
import { writeFileAtomic } from "../../fs/write-file-atomic.ts";
import { accountFileText } from "../../store/file-cipher.ts";
import type { Logger } from "../../log/logger.ts";
import { printable } from "../../log/printable.ts";
import { readAccountRecord } from "../account-file.ts";
import { withFileLock } from "./lock-file.ts";
import type { Json } from "../../ir/json.ts";

interface Unsaved {
  record: Json;
  /** The refresh token on disk that `record` replaces: a file holding another one is newer. */
  replaces: unknown;
  attempts: number;
  timer?: ReturnType<typeof setTimeout>;
}

const unsaved = new Map<string, Unsaved>();
let log: Logger | undefined;

/** Where retries report (the server's logger); without one they report on stderr. */
export function reportUnsavedTokensTo(logger: Logger): void {
  log = logger;
}

function report(path: string, error: unknown, attempts: number) {
  const fields = {
    file: path,
    reason: (error as Error).message,
    attempts,
    fix: "free disk space or make the auth dir writable; subgate keeps the tokens in memory",
  };
  if (log) log.error("refreshed tokens not written yet", fields);
  else {
    console.error(
      printable(`subgate: refreshed tokens for ${path} not written yet: ${fields.reason}`),
    );
  }
}

function scheduleRetry(path: string) {
  const entry = unsaved.get(path);
  if (!entry || entry.timer) return;
  const pause = Math.min(60_000, 1000 * 2 ** Math.min(entry.attempts - 1, 6));
  entry.timer = setTimeout(async () => {
    entry.timer = undefined;
    await retry(path);
  }, pause);
  Deno.unrefTimer(entry.timer);
}

/** Whether the file on disk was replaced since (a new login): then it, not memory, is newest. */
async function replacedOnDisk(path: string, entry: Unsaved): Promise<boolean> {
  const disk = await readAccountRecord(path);
  return disk !== undefined && disk.refresh_token !== entry.replaces &&
    disk.refresh_token !== entry.record.refresh_token;
}

async function retry(path: string): Promise<boolean> {
  const entry = unsaved.get(path);
  if (!entry) return true;
  try {
    const written = await withFileLock(path, async () => {
      if (await replacedOnDisk(path, entry)) return false;
      await writeFileAtomic(path, await accountFileText(entry.record));
      return true;
    }, { waitMs: 5_000 });
    unsaved.delete(path);
    if (written) {
      log?.info("refreshed tokens written", { file: path, attempts: entry.attempts + 1 });
    } else log?.warn("account file replaced meanwhile; its tokens win", { file: path });
    return true;
  } catch (error) {
    entry.attempts++;
    report(path, error, entry.attempts);
    scheduleRetry(path);
    return false;
  }
}

/**
 * Writes an account record holding new tokens. When the write fails the record is kept in
 * memory (and used by `currentRecord`) and written later; returns whether it reached the disk.
 */
export async function writeTokens(path: string, record: Json, replaces: Json): Promise<boolean> {
  const previous = unsaved.get(path);
  if (previous?.timer) clearTimeout(previous.timer);
  try {
    await writeFileAtomic(path, await accountFileText(record));
    unsaved.delete(path);
    return true;
  } catch (error) {
    const attempts = (previous?.attempts ?? 0) + 1;
    // What the disk still holds is what the first unwritten record replaced.
    const base = previous?.replaces ?? replaces.refresh_token;
    unsaved.set(path, { record, replaces: base, attempts });
    report(path, error, attempts);
    scheduleRetry(path);
    return false;
  }
}

/** The account record as it stands: tokens not yet written win over the file. */
export async function currentRecord(path: string): Promise<Json | undefined> {
  const entry = unsaved.get(path);
  if (!entry) return await readAccountRecord(path);
  if (await replacedOnDisk(path, entry)) {
    clearTimeout(entry.timer);
    unsaved.delete(path);
    return await readAccountRecord(path);
  }
  return entry.record;
}

/** Whether an account's newest tokens are only in memory. */
export function hasUnsavedTokens(path: string): boolean {
  return unsaved.has(path);
}

/** At shutdown: one last try for every unwritten record; returns the files still not written. */
export async function flushUnsavedTokens(): Promise<string[]> {
  const left: string[] = [];
  for (const path of [...unsaved.keys()]) {
    const entry = unsaved.get(path)!;
    if (entry.timer) clearTimeout(entry.timer);
    entry.timer = undefined;
    if (!(await retry(path))) left.push(path);
  }
  for (const entry of unsaved.values()) if (entry.timer) clearTimeout(entry.timer);
  return left;
}
