/**
 * @module
 * What the auth store says about files that are not (or not safely) account
 * files: why each failing file does not load, which are no account file at
 * all, and which are readable by others. Each is logged when it becomes
 * true, not at every look at the directory.
 */
import { join } from "node:path";
import type { Logger } from "../log/logger.ts";

export interface FileReports {
  /** Files that currently fail to load, with the reason. */
  readonly problems: Map<string, string>;
  /** Files whose permissions let group or others read them. */
  readonly unsafe: Set<string>;
  /** Problem files that are no account file at all (a FIFO, a directory, a link leading out). */
  readonly skipped: Set<string>;
  /** Records why `name` does not load; logs `message` only when the reason is new. */
  report(name: string, reason: string, message: string): void;
  /** Records that `name` is no account file at all. */
  skip(name: string, reason: string): void;
  /** Notes whether `name`'s mode lets others read it; warns once when it does. */
  checkMode(name: string, mode: number | null): void;
  /** Forgets everything said about `name` (it is gone). */
  forget(name: string): void;
}

function modeText(mode: number): string {
  return (mode & 0o777).toString(8).padStart(4, "0");
}

export function createFileReports(dir: string, log: Logger): FileReports {
  const problems = new Map<string, string>();
  const unsafe = new Set<string>();
  const skipped = new Set<string>();

  const report = (name: string, reason: string, message: string) => {
    skipped.delete(name);
    if (problems.get(name) === reason) return;
    problems.set(name, reason);
    log.warn(message, { file: name, reason });
  };

  return {
    problems,
    unsafe,
    skipped,
    report,
    skip(name, reason) {
      unsafe.delete(name);
      report(name, reason, "account file skipped");
      skipped.add(name);
    },
    checkMode(name, mode) {
      if (Deno.build.os === "windows" || mode === null) return;
      if ((mode & 0o077) === 0) {
        unsafe.delete(name);
        return;
      }
      if (!unsafe.has(name)) {
        log.warn("unsafe permissions on token file: readable by group or others", {
          file: name,
          mode: modeText(mode),
          fix: `chmod 600 ${join(dir, name)}`,
        });
      }
      unsafe.add(name);
    },
    forget(name) {
      problems.delete(name);
      unsafe.delete(name);
      skipped.delete(name);
    },
  };
}
