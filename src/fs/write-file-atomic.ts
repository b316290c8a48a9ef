/**
 * @module
 * Crash-safe writes: a temp file in the same directory, fsync, then rename
 * over the target, so a reader only ever sees the old file or the new one.
 */
import { basename, dirname, join } from "node:path";

/** Creates `dir` (and parents) private to the user: 0700. */
export async function ensurePrivateDir(dir: string): Promise<void> {
  await Deno.mkdir(dir, { recursive: true, mode: 0o700 });
}

/** Writes `data` to `path` atomically with mode 0600. */
export async function writeFileAtomic(path: string, data: string | Uint8Array): Promise<void> {
  const dir = dirname(path);
  const random = crypto.getRandomValues(new Uint32Array(2)).join("");
  // A leading dot and a non-.json suffix keep watchers from loading the temp file.
  const temp = join(dir, `.${basename(path)}.${random}.tmp`);
  const bytes = typeof data === "string" ? new TextEncoder().encode(data) : data;
  const file = await Deno.open(temp, { write: true, createNew: true, mode: 0o600 });
  try {
    let written = 0;
    while (written < bytes.length) written += await file.write(bytes.subarray(written));
    await file.sync();
  } catch (error) {
    file.close();
    await Deno.remove(temp).catch(() => {});
    throw error;
  }
  file.close();
  try {
    if (Deno.build.os !== "windows") await Deno.chmod(temp, 0o600);
    await Deno.rename(temp, path);
  } catch (error) {
    await Deno.remove(temp).catch(() => {});
    throw error;
  }
}
