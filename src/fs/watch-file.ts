/**
 * @module
 * Watches one file by looking, as `watch-dir.ts` watches a directory: every
 * `intervalMs` it `lstat`s the path (which opens nothing, so a FIFO put there
 * cannot block it) and calls back when the file appeared, vanished or changed
 * (inode, size, times). One `lstat` a look, however large the directory.
 */
import type { DirWatcher } from "./watch-dir.ts";

function signature(path: string): string {
  try {
    const info = Deno.lstatSync(path);
    return [info.ino, info.size, info.mtime?.getTime(), info.ctime?.getTime(), info.isFile]
      .join(":");
  } catch {
    return "absent";
  }
}

export function watchFile(
  path: string,
  onChange: () => Promise<void> | void,
  options: { intervalMs?: number } = {},
): DirWatcher {
  const intervalMs = options.intervalMs ?? 250;
  let last = signature(path);
  let closed = false;
  let timer: ReturnType<typeof setTimeout> | undefined;
  const tick = async () => {
    timer = undefined;
    const now = signature(path);
    if (now !== last && !closed) {
      last = now;
      try {
        await onChange();
      } catch {
        // The caller reports its own errors; watching goes on.
      }
    }
    if (!closed) timer = setTimeout(tick, intervalMs);
  };
  timer = setTimeout(tick, intervalMs);
  return {
    close() {
      closed = true;
      if (timer !== undefined) clearTimeout(timer);
    },
  };
}
