/**
 * @module
 * Watches a directory by looking: every `intervalMs` it lists the directory
 * and `lstat`s the entries, and reports the names whose entry appeared,
 * vanished or changed (inode, size, times; a symlink's target too). Bursts of
 * changes (an editor's save, an atomic rename) within one look arrive as one
 * batch.
 *
 * Why not `Deno.watchFs`: for every event it receives, Deno opens the event's
 * path to compare it with the watched one (`same_file::is_same_file`). Opening
 * a FIFO blocks until someone writes to it, so a single `mkfifo x.json` in the
 * directory stops every later event, and closing the watcher then waits for
 * that thread forever, which hangs shutdown. Looking opens nothing: listing
 * and `lstat`/`stat` never block on a FIFO. It also works where inotify does
 * not (network file systems, some container mounts).
 */
import { join } from "node:path";

export interface DirWatcher {
  close(): void;
}

export interface WatchOptions {
  /** How often to look. */
  intervalMs?: number;
  /** Only names this accepts are looked at (and reported). */
  accept?: (name: string) => boolean;
}

/** What changes when a file is written, replaced, renamed over or retyped. */
function signatureOf(own: Deno.FileInfo, target: Deno.FileInfo | undefined): string {
  const parts = [
    own.ino,
    own.size,
    own.mtime?.getTime(),
    own.ctime?.getTime(),
    own.isFile,
    own.isSymlink,
  ];
  // A symlink's own entry stays the same when its target is rewritten: its target counts too.
  if (target) parts.push(target.ino, target.size, target.mtime?.getTime(), target.isFile);
  return parts.join(":");
}

async function signature(path: string): Promise<string> {
  const own = await Deno.lstat(path);
  // `stat` follows the link without opening anything, so a FIFO target cannot block it.
  const target = own.isSymlink ? await Deno.stat(path).catch(() => undefined) : undefined;
  return signatureOf(own, target);
}

/** Every accepted entry of `dir` with its signature; empty when the directory is gone. */
async function look(dir: string, accept: (name: string) => boolean): Promise<Map<string, string>> {
  const seen = new Map<string, string>();
  try {
    for await (const entry of Deno.readDir(dir)) {
      if (!accept(entry.name)) continue;
      try {
        seen.set(entry.name, await signature(join(dir, entry.name)));
      } catch {
        // Gone between the listing and the lstat: the next look reports it as removed.
      }
    }
  } catch {
    // The directory is gone or unreadable: every file in it counts as removed.
  }
  return seen;
}

/**
 * The same look, synchronously: the baseline is taken inside `watchDir`, so a change made
 * right after it returns is reported, as a watcher would report it.
 */
function lookNow(dir: string, accept: (name: string) => boolean): Map<string, string> {
  const seen = new Map<string, string>();
  try {
    for (const entry of Deno.readDirSync(dir)) {
      if (!accept(entry.name)) continue;
      const path = join(dir, entry.name);
      try {
        const own = Deno.lstatSync(path);
        let target: Deno.FileInfo | undefined;
        try {
          target = own.isSymlink ? Deno.statSync(path) : undefined;
        } catch { /* a dangling link */ }
        seen.set(entry.name, signatureOf(own, target));
      } catch { /* gone meanwhile */ }
    }
  } catch { /* no directory yet */ }
  return seen;
}

/** The names whose entry differs between two looks. */
function differences(before: Map<string, string>, after: Map<string, string>): Set<string> {
  const changed = new Set<string>();
  for (const [name, sig] of after) if (before.get(name) !== sig) changed.add(name);
  for (const name of before.keys()) if (!after.has(name)) changed.add(name);
  return changed;
}

/**
 * Calls `onBatch` with the names of files changed in `dir`, looking every `intervalMs`.
 * Batches never overlap: the next look waits for the previous batch to finish.
 */
export function watchDir(
  dir: string,
  onBatch: (names: Set<string>) => Promise<void> | void,
  options: WatchOptions = {},
): DirWatcher {
  const intervalMs = options.intervalMs ?? 250;
  const accept = options.accept ?? (() => true);
  let timer: ReturnType<typeof setTimeout> | undefined;
  let closed = false;
  let last = lookNow(dir, accept);

  const tick = async () => {
    timer = undefined;
    const now = await look(dir, accept);
    const changed = differences(last, now);
    last = now;
    if (changed.size && !closed) {
      try {
        await onBatch(changed);
      } catch {
        // A failing batch must not stop the watching; the caller reports its own errors.
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
