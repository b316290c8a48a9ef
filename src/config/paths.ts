/**
 * @module
 * Home-directory and `~` handling, the same on every OS.
 */
import { isAbsolute, join, resolve } from "node:path";

/** The user's home directory from the environment (HOME, or USERPROFILE on Windows). */
export function homeDir(): string {
  const home = Deno.env.get("HOME") ?? Deno.env.get("USERPROFILE");
  if (!home) throw new Error("cannot find the home directory: set HOME");
  return home;
}

/** Expands a leading `~` and makes the path absolute against `base`. */
export function expandPath(path: string, base: string = Deno.cwd()): string {
  if (path === "~") return homeDir();
  if (path.startsWith("~/") || path.startsWith("~\\")) return join(homeDir(), path.slice(2));
  return isAbsolute(path) ? resolve(path) : resolve(base, path);
}
