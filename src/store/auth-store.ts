/**
 * @module
 * The live set of accounts from the auth dir: one JSON file per account,
 * watched so that adding, replacing, renaming or deleting a file changes the
 * set without a restart. A broken file is reported by name and reason, and
 * the last good version of that account stays in use. Only regular files
 * inside the dir are read (`read-regular-file.ts`): a FIFO, a directory or a
 * symlink leading out is skipped and reported, never opened.
 */
import { join } from "node:path";
import type { Logger } from "../log/logger.ts";
import { type DirWatcher, watchDir } from "../fs/watch-dir.ts";
import type { Account } from "./account.ts";
import { parseAccountFile } from "./parse-account-file.ts";
import { readLinkedTokens } from "./import/linked-file.ts";
import { readRegularFile } from "../fs/read-regular-file.ts";

export interface AuthStore {
  readonly dir: string;
  /** Accounts in force: each file's last good version. */
  accounts(): Account[];
  /** Files that currently fail to load, with the reason. */
  problems(): ReadonlyMap<string, string>;
  /** Files whose permissions let group or others read them. */
  unsafeFiles(): ReadonlySet<string>;
  /** Problem files that are no account file at all (a FIFO, a directory, a link leading out). */
  skippedFiles(): ReadonlySet<string>;
  /** Scans the whole directory once. */
  load(): Promise<void>;
  /** Starts watching; `onChange` runs after every batch that changed the set. */
  watch(onChange?: () => void): void;
  close(): void;
}

interface Entry {
  account: Account;
  text: string;
}

export function isAccountFileName(name: string): boolean {
  return name.endsWith(".json") && !name.startsWith(".");
}

function modeText(mode: number): string {
  return (mode & 0o777).toString(8).padStart(4, "0");
}

export function createAuthStore(dir: string, log: Logger): AuthStore {
  const entries = new Map<string, Entry>();
  const problems = new Map<string, string>();
  const unsafe = new Set<string>();
  const skipped = new Set<string>();
  let snapshot: Account[] = [];
  let watcher: DirWatcher | undefined;

  const rebuild = () => {
    snapshot = [...entries.values()].map((e) => e.account).sort((a, b) => a.id.localeCompare(b.id));
  };

  const checkMode = (name: string, mode: number | null) => {
    if (Deno.build.os === "windows" || mode === null) return;
    if ((mode & 0o077) !== 0) {
      if (!unsafe.has(name)) {
        log.warn("unsafe permissions on token file: readable by group or others", {
          file: name,
          mode: modeText(mode),
          fix: `chmod 600 ${join(dir, name)}`,
        });
      }
      unsafe.add(name);
    } else {
      unsafe.delete(name);
    }
  };

  /** Drops the account `name` held; returns true when there was one. */
  const drop = (name: string): boolean => {
    const entry = entries.get(name);
    if (!entry) return false;
    entries.delete(name);
    log.info("account removed", { provider: entry.account.provider, file: name });
    return true;
  };

  const forget = (name: string): boolean => {
    problems.delete(name);
    unsafe.delete(name);
    skipped.delete(name);
    return drop(name);
  };

  /** Records why `name` does not load; logs only when the reason is new, not at every event. */
  const report = (name: string, reason: string, message: string) => {
    skipped.delete(name);
    if (problems.get(name) === reason) return;
    problems.set(name, reason);
    log.warn(message, { file: name, reason });
  };

  /** Re-reads one file; returns true when the live set changed. */
  const reload = async (name: string): Promise<boolean> => {
    const read = await readRegularFile(join(dir, name), { inside: { dir, label: "the auth dir" } });
    if (!read.ok) {
      if (read.problem === "missing") return forget(name);
      if (read.problem === "unreadable") {
        report(name, read.reason, "cannot read account file");
        return false;
      }
      // No longer an account file at all (a FIFO, a directory, a link leading out): its
      // account goes, and the name stays reported until it changes.
      unsafe.delete(name);
      const removed = drop(name);
      report(name, read.reason, "account file skipped");
      skipped.add(name);
      return removed;
    }
    skipped.delete(name);
    checkMode(name, read.mode);
    const text = read.text;
    const previous = entries.get(name);
    if (previous?.text === text) {
      if (problems.delete(name)) log.info("account file is valid again", { file: name });
      return false;
    }
    const parsed = parseAccountFile(name, text);
    if (!parsed.ok) {
      const known = problems.get(name);
      problems.set(name, parsed.reason);
      if (known !== parsed.reason) {
        log.warn(
          previous
            ? "account file is invalid; keeping its last good version"
            : "account file is invalid; not loaded",
          { file: name, reason: parsed.reason },
        );
      }
      return false;
    }
    if (parsed.account.linked) {
      // The vendor's file holds the tokens; it is read now and again at every refresh.
      const linked = await readLinkedTokens(parsed.account.credentials as Record<string, unknown>);
      if (!linked.ok) {
        report(name, linked.reason, "linked account not loaded");
        return false;
      }
      const { hints: _hints, ...fields } = linked.tokens;
      parsed.account.credentials = { ...parsed.account.credentials, ...fields };
      parsed.account.expiresAt = linked.tokens.expired
        ? new Date(linked.tokens.expired)
        : undefined;
      parsed.account.linked = {
        ...parsed.account.linked,
        realPath: linked.realPath,
        outsideHome: linked.outsideHome,
      };
      if (linked.outsideHome) {
        log.warn("linked login file resolves outside the home dir", {
          file: name,
          linked: linked.realPath,
        });
      }
    }
    problems.delete(name);
    entries.set(name, { account: parsed.account, text });
    log.info(previous ? "account updated" : "account loaded", {
      provider: parsed.account.provider,
      account: parsed.account.label,
      file: name,
    });
    return true;
  };

  const listNames = async (): Promise<Set<string>> => {
    const names = new Set<string>();
    try {
      for await (const item of Deno.readDir(dir)) {
        if (isAccountFileName(item.name)) names.add(item.name);
      }
    } catch (error) {
      if (!(error instanceof Deno.errors.NotFound)) throw error;
    }
    return names;
  };

  /** Reloads `changed` plus whatever appeared or vanished since the last look. */
  const sync = async (changed: Iterable<string>): Promise<boolean> => {
    const present = await listNames();
    const todo = new Set<string>();
    for (const name of changed) if (isAccountFileName(name)) todo.add(name);
    for (const name of present) if (!entries.has(name) && !problems.has(name)) todo.add(name);
    for (const name of [...entries.keys(), ...problems.keys()]) {
      if (!present.has(name)) todo.add(name);
    }
    let changedSet = false;
    for (const name of todo) changedSet = (await reload(name)) || changedSet;
    if (changedSet) rebuild();
    return changedSet;
  };

  return {
    dir,
    accounts: () => snapshot,
    problems: () => problems,
    unsafeFiles: () => unsafe,
    skippedFiles: () => skipped,
    async load() {
      await sync(await listNames());
    },
    watch(onChange) {
      watcher = watchDir(dir, async (names) => {
        if (await sync(names)) onChange?.();
      }, { accept: isAccountFileName });
    },
    close() {
      watcher?.close();
      watcher = undefined;
    },
  };
}
