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
import { readRegularFile } from "../fs/read-regular-file.ts";
import type { LoginAccount } from "./account.ts";
import { createFileReports, type FileReports } from "./file-reports.ts";
import { withLinkedTokens } from "./linked-account.ts";
import { parseAccountFile } from "./parse-account-file.ts";
import { openFromFile } from "./file-cipher.ts";

export interface AuthStore {
  readonly dir: string;
  /** Accounts in force: each file's last good version. */
  accounts(): LoginAccount[];
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
  account: LoginAccount;
  text: string;
}

/** What the store's steps share: the directory, the loaded files, and what is said about them. */
interface StoreState {
  dir: string;
  log: Logger;
  entries: Map<string, Entry>;
  reports: FileReports;
}

/** Files of the auth dir that hold no account: the client keys created through the API. */
const OTHER_FILES = new Set(["keys.json"]);

export function isAccountFileName(name: string): boolean {
  return name.endsWith(".json") && !name.startsWith(".") && !OTHER_FILES.has(name);
}

/** Drops the account `name` held; returns true when there was one. */
function drop({ entries, log }: StoreState, name: string): boolean {
  const entry = entries.get(name);
  if (!entry) return false;
  entries.delete(name);
  log.info("account removed", { provider: entry.account.provider, file: name });
  return true;
}

/** Parses an account file, its sealed token fields opened (`token-encryption`). */
async function parseSealed(name: string, text: string) {
  const parsed = parseAccountFile(name, text);
  if (!parsed.ok) return parsed;
  try {
    const opened = await openFromFile(parsed.account.credentials as Record<string, unknown>);
    if (opened === parsed.account.credentials) return parsed;
    return parseAccountFile(name, JSON.stringify(opened));
  } catch (error) {
    return { ok: false as const, reason: `cannot decrypt its tokens: ${(error as Error).message}` };
  }
}

/** Takes in a file's new text; returns true when the live set changed. */
async function load(state: StoreState, name: string, text: string): Promise<boolean> {
  const { entries, reports, log } = state;
  const previous = entries.get(name);
  const parsed = await parseSealed(name, text);
  if (!parsed.ok) {
    const message = previous
      ? "account file is invalid; keeping its last good version"
      : "account file is invalid; not loaded";
    reports.report(name, parsed.reason, message);
    return false;
  }
  let account = parsed.account;
  if (account.linked) {
    // The vendor's file holds the tokens; it is read now and again at every refresh.
    const linked = await withLinkedTokens(account, log);
    if (!linked.ok) {
      reports.report(name, linked.reason, "linked account not loaded");
      return false;
    }
    account = linked.account;
  }
  reports.problems.delete(name);
  entries.set(name, { account, text });
  log.info(previous ? "account updated" : "account loaded", {
    provider: account.provider,
    account: account.label,
    file: name,
  });
  return true;
}

/** Re-reads one file; returns true when the live set changed. */
async function reload(state: StoreState, name: string): Promise<boolean> {
  const { dir, reports, log } = state;
  const read = await readRegularFile(join(dir, name), { inside: { dir, label: "the auth dir" } });
  if (!read.ok) {
    if (read.problem === "missing") {
      reports.forget(name);
      return drop(state, name);
    }
    if (read.problem === "unreadable") {
      reports.report(name, read.reason, "cannot read account file");
      return false;
    }
    // No longer an account file at all (a FIFO, a directory, a link leading out): its
    // account goes, and the name stays reported until it changes.
    const removed = drop(state, name);
    reports.skip(name, read.reason);
    return removed;
  }
  reports.skipped.delete(name);
  reports.checkMode(name, read.mode);
  if (state.entries.get(name)?.text === read.text) {
    if (reports.problems.delete(name)) log.info("account file is valid again", { file: name });
    return false;
  }
  return await load(state, name, read.text);
}

async function listNames(dir: string): Promise<Set<string>> {
  const names = new Set<string>();
  try {
    for await (const item of Deno.readDir(dir)) {
      if (isAccountFileName(item.name)) names.add(item.name);
    }
  } catch (error) {
    if (!(error instanceof Deno.errors.NotFound)) throw error;
  }
  return names;
}

/** Reloads `changed` plus whatever appeared or vanished since the last look. */
async function sync(state: StoreState, changed: Iterable<string>): Promise<boolean> {
  const { entries, reports } = state;
  const present = await listNames(state.dir);
  const todo = new Set<string>();
  for (const name of changed) if (isAccountFileName(name)) todo.add(name);
  for (const name of present) if (!entries.has(name) && !reports.problems.has(name)) todo.add(name);
  for (const name of [...entries.keys(), ...reports.problems.keys()]) {
    if (!present.has(name)) todo.add(name);
  }
  let changedSet = false;
  for (const name of todo) changedSet = (await reload(state, name)) || changedSet;
  return changedSet;
}

export function createAuthStore(dir: string, log: Logger): AuthStore {
  const state: StoreState = { dir, log, entries: new Map(), reports: createFileReports(dir, log) };
  let snapshot: LoginAccount[] = [];
  let watcher: DirWatcher | undefined;

  /** Looks at `changed` (and the directory); true when the set changed, then re-listed. */
  const update = async (changed: Iterable<string>): Promise<boolean> => {
    if (!(await sync(state, changed))) return false;
    snapshot = [...state.entries.values()].map((e) => e.account)
      .sort((a, b) => a.id.localeCompare(b.id));
    return true;
  };

  return {
    dir,
    accounts: () => snapshot,
    problems: () => state.reports.problems,
    unsafeFiles: () => state.reports.unsafe,
    skippedFiles: () => state.reports.skipped,
    async load() {
      await update(await listNames(dir));
    },
    watch(onChange) {
      watcher = watchDir(dir, async (names) => {
        if (await update(names)) onChange?.();
      }, { accept: isAccountFileName });
    },
    close() {
      watcher?.close();
      watcher = undefined;
    },
  };
}
