/**
 * @module
 * The running server's view of its accounts, published for `subgate
 * accounts` (another process): a small JSON file in the auth dir, written
 * atomically at most once a second after a change, removed at shutdown (when
 * it is still this server's). It holds where the server listens (for
 * `subgate run` and `env`), counts and times, never a token.
 */
import { join } from "node:path";
import { readRegularFile } from "../fs/read-regular-file.ts";
import { writeFileAtomic } from "../fs/write-file-atomic.ts";
import type { AccountState, Pool } from "./pool.ts";

export const STATE_FILE = ".subgate-state.json";

export interface PublishedState {
  pid: number;
  /** Where the server listens (`http://127.0.0.1:8317`). */
  url?: string;
  startedAt: string;
  updatedAt: string;
  accounts: Record<string, AccountState>;
}

export function publishState(
  pool: Pool,
  authDir: string,
  url?: string,
): { close(): Promise<void> } {
  const path = join(authDir, STATE_FILE);
  const startedAt = new Date().toISOString();
  let timer: ReturnType<typeof setTimeout> | undefined;
  let closed = false;
  let writing: Promise<void> = Promise.resolve();
  const write = () => {
    timer = undefined;
    if (closed) return writing;
    const state: PublishedState = {
      pid: Deno.pid,
      url,
      startedAt,
      updatedAt: new Date().toISOString(),
      accounts: pool.snapshot(),
    };
    writing = writeFileAtomic(path, JSON.stringify(state, null, 2)).catch(() => {});
    return writing;
  };
  pool.onChange(() => {
    if (!closed) timer ??= setTimeout(write, 1000);
  });
  write();
  return {
    async close() {
      closed = true;
      if (timer !== undefined) clearTimeout(timer);
      // A write under way would put the file back after its removal.
      await writing;
      // Another server on this auth dir may have published since: its file stays.
      const current = await readPublishedState(authDir);
      if (current && current.pid !== Deno.pid) return;
      await Deno.remove(path).catch(() => {});
    },
  };
}

export async function readPublishedState(authDir: string): Promise<PublishedState | undefined> {
  // Read like an account file: a FIFO put in its place must not hang `subgate accounts`.
  const path = join(authDir, STATE_FILE);
  const read = await readRegularFile(path, { inside: { dir: authDir, label: "the auth dir" } });
  if (!read.ok) return undefined;
  try {
    return JSON.parse(read.text);
  } catch {
    return undefined;
  }
}
