/**
 * @module
 * A lock next to an account file, so that two subgate processes sharing an
 * auth dir never refresh the same token at once (refresh tokens of Claude and
 * Codex work only once). It is an operating-system lock (`flock`, `LockFileEx`)
 * on `.<file>.lock`: the system releases it when its holder exits or is
 * killed, and a holder whose event loop stalls keeps it, so nobody can mistake
 * a slow refresh for a dead one and refresh the same token a second time.
 *
 * The lock file is removed on release (while still locked), and a taker checks
 * that the file it locked is still the one at the path: otherwise a waiter
 * holding the removed file and a newcomer creating a new one could both
 * believe they hold the lock.
 */
import { basename, dirname, join } from "node:path";

export interface LockOptions {
  /** How long to wait for another holder before giving up. */
  waitMs?: number;
}

export function lockPathFor(path: string): string {
  return join(dirname(path), `.${basename(path)}.lock`);
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Whether `file` (locked) is still the file at `path`, so the lock means something. */
async function stillAtPath(file: Deno.FsFile, path: string): Promise<boolean> {
  const [held, current] = await Promise.all([file.stat(), Deno.stat(path).catch(() => undefined)]);
  if (!current) return false;
  // Without inode numbers (Windows) lock files are never removed, so the path cannot change.
  return held.ino === null || held.ino === current.ino;
}

/** The lock could not be taken: whatever it guards did not run. */
export class LockError extends Error {
  override name = "LockError";
}

async function openLock(lockPath: string): Promise<Deno.FsFile> {
  try {
    return await Deno.open(lockPath, { read: true, write: true, create: true, mode: 0o600 });
  } catch (error) {
    throw new LockError(`cannot write ${dirname(lockPath)} (${(error as Error).message})`);
  }
}

async function acquire(lockPath: string, waitMs: number): Promise<Deno.FsFile> {
  const deadline = Date.now() + waitMs;
  while (true) {
    const file = await openLock(lockPath);
    if (await file.tryLock(true)) {
      if (await stillAtPath(file, lockPath)) return file;
    }
    file.close();
    if (Date.now() > deadline) {
      throw new LockError(`another process has held ${basename(lockPath)} for too long`);
    }
    await sleep(25 + Math.random() * 50);
  }
}

/** Takes the lock for `path`; the returned function releases it. */
export async function lockFile(
  path: string,
  options: LockOptions = {},
): Promise<() => Promise<void>> {
  const lockPath = lockPathFor(path);
  const file = await acquire(lockPath, options.waitMs ?? 60_000);
  let released = false;
  return async () => {
    if (released) return;
    released = true;
    if (Deno.build.os !== "windows") await Deno.remove(lockPath).catch(() => {});
    file.close();
  };
}

/** Runs `fn` holding the lock for `path`. */
export async function withFileLock<T>(
  path: string,
  fn: () => Promise<T>,
  options: LockOptions = {},
): Promise<T> {
  const release = await lockFile(path, options);
  try {
    return await fn();
  } finally {
    await release();
  }
}

/** Whether a live process holds the lock for `path` now (a refresh under way). */
export async function isLocked(path: string): Promise<boolean> {
  let file: Deno.FsFile;
  try {
    file = await Deno.open(lockPathFor(path), { read: true, write: true });
  } catch {
    return false;
  }
  try {
    const free = await file.tryLock(true);
    if (free) await file.unlock();
    return !free;
  } finally {
    file.close();
  }
}
