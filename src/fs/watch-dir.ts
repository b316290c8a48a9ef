/**
 * @module
 * A debounced directory watcher on `Deno.watchFs`: bursts of events (an
 * editor's save, an atomic rename, a half-written file) arrive as one batch
 * of changed file names.
 */
import { basename } from "node:path";

export interface DirWatcher {
  close(): void;
}

/**
 * Calls `onBatch` with the names of files changed in `dir`, at most once per
 * `debounceMs` quiet period. Batches never overlap: the next waits for the
 * previous one to finish.
 */
export function watchDir(
  dir: string,
  onBatch: (names: Set<string>) => Promise<void> | void,
  debounceMs = 150,
): DirWatcher {
  const watcher = Deno.watchFs(dir, { recursive: false });
  let pending = new Set<string>();
  let timer: ReturnType<typeof setTimeout> | undefined;
  let running: Promise<void> = Promise.resolve();
  let closed = false;

  const flush = () => {
    timer = undefined;
    const names = pending;
    pending = new Set();
    running = running.then(() => closed ? undefined : onBatch(names)).catch(() => {});
  };

  (async () => {
    try {
      for await (const event of watcher) {
        for (const path of event.paths) pending.add(basename(path));
        if (timer !== undefined) clearTimeout(timer);
        timer = setTimeout(flush, debounceMs);
      }
    } catch {
      // The watcher ends when closed or when the directory goes away.
    }
  })();

  return {
    close() {
      closed = true;
      if (timer !== undefined) clearTimeout(timer);
      try {
        watcher.close();
      } catch {
        // Already closed.
      }
    },
  };
}
