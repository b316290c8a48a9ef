/**
 * @module
 * A lock file next to an account file, so that two subgate processes sharing
 * an auth dir never refresh the same token at once (refresh tokens of Claude
 * and Codex work only once). Created with O_EXCL. The holder touches the lock
 * every second while it works, so a lock untouched for `staleMs` belonged to
 * a process that died (killed mid-refresh) and is taken over quickly.
 */
import { basename, dirname, join } from "node:path";

export interface LockOptions {
  waitMs?: number;
  staleMs?: number;
}

export function lockPathFor(path: string): string {
  return join(dirname(path), `.${basename(path)}.lock`);
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Runs `fn` holding the lock for `path`. */
export async function withFileLock<T>(
  path: string,
  fn: () => Promise<T>,
  options: LockOptions = {},
): Promise<T> {
  const lockPath = lockPathFor(path);
  const waitMs = options.waitMs ?? 30_000;
  const staleMs = options.staleMs ?? 5_000;
  const deadline = Date.now() + waitMs;
  while (true) {
    try {
      const file = await Deno.open(lockPath, { write: true, createNew: true, mode: 0o600 });
      await file.write(new TextEncoder().encode(JSON.stringify({ pid: Deno.pid, at: Date.now() })));
      file.close();
      break;
    } catch (error) {
      if (!(error instanceof Deno.errors.AlreadyExists)) throw error;
      const info = await Deno.stat(lockPath).catch(() => undefined);
      if (info?.mtime && Date.now() - info.mtime.getTime() > staleMs) {
        await Deno.remove(lockPath).catch(() => {});
        continue;
      }
      if (Date.now() > deadline) {
        throw new Error(`another process has held ${basename(lockPath)} for too long`);
      }
      await sleep(25 + Math.random() * 50);
    }
  }
  const heartbeat = setInterval(() => {
    const now = new Date();
    Deno.utime(lockPath, now, now).catch(() => {});
  }, 1000);
  try {
    return await fn();
  } finally {
    clearInterval(heartbeat);
    await Deno.remove(lockPath).catch(() => {});
  }
}
