/**
 * @module
 * Reads a file only when it is a regular file, and (for the auth dir) only
 * when it lies inside a given directory. Anything else is refused with a
 * sentence saying what it is, and never opened:
 *
 * - a FIFO blocks its reader until someone writes to it (the watcher would
 *   never apply another change, and shutdown would wait for it);
 * - a device may never end, a directory cannot be read;
 * - a symlink may point anywhere: a file dropped into the auth dir must not
 *   make subgate read another file of the user's.
 *
 * The type is checked with `lstat` first. Between that check and the open the
 * path could be swapped, so the open itself neither blocks (`O_NONBLOCK`,
 * which Deno's own `Deno.open` does not offer, hence `node:fs`) nor follows a
 * symlink (`O_NOFOLLOW`), and the opened file is checked again.
 */
import { constants, promises as fs } from "node:fs";
import { isAbsolute, relative } from "node:path";

export type FileRead =
  | { ok: true; text: string; mode: number | null; realPath: string }
  | { ok: false; problem: "missing" | "refused" | "unreadable"; reason: string };

export interface ReadOptions {
  /** The file must resolve to a path inside this directory; `label` names it in reasons. */
  inside?: { dir: string; label: string };
}

/** Account and login files are a few kilobytes; a huge one is a mistake, not an account. */
export const MAX_BYTES = 1024 * 1024;

// Windows has neither flag (nor FIFOs); 0 leaves the open as it is there.
const SAFE_FLAGS = constants.O_RDONLY | (constants.O_NONBLOCK ?? 0) | (constants.O_NOFOLLOW ?? 0);

type Failed = Extract<FileRead, { ok: false }>;
type Target = { ok: true; path: string; info: Deno.FileInfo } | Failed;

const refused = (reason: string): Failed => ({ ok: false, problem: "refused", reason });

/** What a non-regular file is, in words. */
export function describeKind(info: Deno.FileInfo): string {
  if (info.isDirectory) return "a directory";
  if (info.isFifo) return "a FIFO (named pipe)";
  if (info.isSocket) return "a socket";
  if (info.isCharDevice) return "a character device";
  if (info.isBlockDevice) return "a block device";
  if (info.isSymlink) return "a symlink";
  return "not a regular file";
}

/** Whether `path` is `dir` itself or lies below it (both already resolved). */
export function isInside(path: string, dir: string): boolean {
  const rest = relative(dir, path);
  return rest !== "" && !rest.startsWith("..") && !isAbsolute(rest);
}

function errorName(error: unknown): string {
  const code = (error as { code?: unknown }).code;
  return typeof code === "string" ? code : (error as Error).name;
}

function isNotFound(error: unknown): boolean {
  return error instanceof Deno.errors.NotFound || errorName(error) === "ENOENT";
}

/** Where a path ends up: itself when regular, its target when it is a symlink allowed here. */
async function resolveTarget(path: string, options: ReadOptions): Promise<Target> {
  const info = await Deno.lstat(path);
  if (!info.isSymlink) {
    return info.isFile
      ? { ok: true, path, info }
      : refused(`is ${describeKind(info)}, not a regular file: skipped`);
  }
  let real: string;
  try {
    real = await Deno.realPath(path);
  } catch (error) {
    if (isNotFound(error)) return refused("is a symlink to a file that does not exist: skipped");
    throw error;
  }
  if (options.inside) {
    const dir = await Deno.realPath(options.inside.dir);
    if (!isInside(real, dir)) {
      return refused(`is a symlink that points outside ${options.inside.label}: skipped`);
    }
  }
  const target = await Deno.lstat(real);
  return target.isFile
    ? { ok: true, path: real, info: target }
    : refused(`is a symlink to ${describeKind(target)}, not a regular file: skipped`);
}

/** Whether the opened file is the one checked (the same inode): a swap in between is refused. */
function sameFile(opened: { dev: number; ino: number }, checked: Deno.FileInfo): boolean {
  if (Deno.build.os === "windows" || checked.ino === null) return true;
  return opened.ino === checked.ino && opened.dev === checked.dev;
}

async function readChecked(path: string, checked: Deno.FileInfo): Promise<FileRead> {
  const handle = await fs.open(path, SAFE_FLAGS);
  try {
    const opened = await handle.stat();
    if (!opened.isFile() || !sameFile(opened, checked)) {
      return refused(SWAPPED);
    }
    if (opened.size > MAX_BYTES) {
      return refused(`is larger than ${MAX_BYTES / 1024 / 1024} MiB: skipped`);
    }
    const mode = Deno.build.os === "windows" ? null : opened.mode;
    return { ok: true, text: await handle.readFile("utf8"), mode, realPath: path };
  } finally {
    await handle.close();
  }
}

/** Times a file replaced between the check and the open is looked at again. */
const SWAP_RETRIES = 5;

/**
 * Reads `path` as UTF-8 text when it is (or links, as allowed, to) a regular file. A file swapped
 * between the check and the open is checked again: account files are replaced by atomic renames
 * all the time (every refresh), and that is no reason to skip one.
 */
export async function readRegularFile(path: string, options: ReadOptions = {}): Promise<FileRead> {
  for (let attempt = 1;; attempt++) {
    const read = await readOnce(path, options);
    if (read.ok || read.reason !== SWAPPED || attempt > SWAP_RETRIES) return read;
  }
}

const SWAPPED = "was replaced while being read: skipped";

async function readOnce(path: string, options: ReadOptions): Promise<FileRead> {
  try {
    const target = await resolveTarget(path, options);
    if (!target.ok) return target;
    return await readChecked(target.path, target.info);
  } catch (error) {
    if (isNotFound(error)) return { ok: false, problem: "missing", reason: "does not exist" };
    // ELOOP: the last step became a symlink after the check, and O_NOFOLLOW refused it.
    if (errorName(error) === "ELOOP") return refused(SWAPPED);
    return { ok: false, problem: "unreadable", reason: `cannot read: ${errorName(error)}` };
  }
}
