/**
 * @module
 * Client keys created through the API, kept in `<auth-dir>/keys.json`
 * (0600, written atomically): each key's name, policy, creation and last use,
 * and the SHA-256 of the key, never the key itself, which is shown once, when
 * it is created. Changes are made under a lock file and on a fresh read of
 * the file, so two processes (a server and a command, or two servers) never
 * undo each other's changes; a running server watches the file and applies a
 * change made elsewhere within a second.
 *
 * The file's entries use the config's names (`name`, `key-sha256`, `models`,
 * `limits`, `expires`), so one can be moved into `api-keys` as it is.
 */
import { join } from "node:path";
import type { KeyLimits } from "../config/config-types.ts";
import { KEY_NAME, KEY_NAME_RULE } from "../config/schema.ts";
import { parseDateTime } from "../config/validate.ts";
import { apiError } from "../errors/api-error.ts";
import { readRegularFile } from "../fs/read-regular-file.ts";
import { watchFile } from "../fs/watch-file.ts";
import type { DirWatcher } from "../fs/watch-dir.ts";
import { ensurePrivateDir, writeFileAtomic } from "../fs/write-file-atomic.ts";
import type { Logger } from "../log/logger.ts";
import { withFileLock } from "../auth/refresh/lock-file.ts";
import { displayPrefix, hexDigestOf } from "./client-key.ts";

export const KEYS_FILE = "keys.json";

export interface StoredKey {
  name: string;
  /** Hex SHA-256 of the key. */
  keySha256: string;
  /** `sg-…abcd`: enough of the key to tell it apart, nothing more. */
  prefix?: string;
  models?: string[];
  limits: KeyLimits;
  /** Epoch ms. */
  expires?: number;
  created: number;
  lastUsed?: number;
}

/** What a new key is made of; everything but the name is optional. */
export interface NewKey {
  name: string;
  models?: string[];
  limits?: KeyLimits;
  /** An RFC 3339 date or date-time, or epoch ms. */
  expires?: string | number;
}

export interface KeyStore {
  readonly path: string;
  /** The keys in force; a new array after every change. */
  keys(): readonly StoredKey[];
  /**
   * (Re)reads the file; a file that does not parse is reported and the keys in force stay.
   * True when the keys in force changed.
   */
  load(): Promise<boolean>;
  /** Makes a key; `taken` says whether a name is in use elsewhere (the config's keys). */
  create(spec: NewKey, taken?: (name: string) => boolean): Promise<CreatedKey>;
  /** Removes the key; `check` (given the keys that would remain) may refuse by throwing. */
  revoke(
    name: string,
    check?: (record: StoredKey, remaining: readonly StoredKey[]) => void,
  ): Promise<StoredKey>;
  /** Writes when the keys were last used (the later of the file's time and this one). */
  saveLastUsed(used: ReadonlyMap<string, number>): Promise<void>;
  /** Applies changes made to the file by others; `onChange` after each. */
  watch(onChange?: () => void): void;
  close(): void;
}

export interface CreatedKey {
  /** The key: shown this once, stored nowhere. */
  key: string;
  record: StoredKey;
}

const LIMIT_NAMES = {
  "requests-per-minute": "requestsPerMinute",
  "requests-per-day": "requestsPerDay",
  "tokens-per-day": "tokensPerDay",
} as const;

/** `sg-` and 32 random bytes, base64url: 256 bits no one guesses. */
export function generateKey(): string {
  const bytes = crypto.getRandomValues(new Uint8Array(32));
  const base64 = btoa(String.fromCharCode(...bytes));
  return `sg-${base64.replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "")}`;
}

const isLimit = (value: unknown) =>
  typeof value === "number" && Number.isSafeInteger(value) && value >= 1;

/** Why `limits` is not a set of limits, or undefined (naming each limit as the config does). */
function limitsProblem(limits: Record<string, unknown>): string | undefined {
  for (const [field, value] of Object.entries(limits)) {
    const name = Object.entries(LIMIT_NAMES).find(([, known]) => known === field)?.[0];
    if (!name) {
      return `limits: unknown limit "${field}"; known: ${Object.keys(LIMIT_NAMES).join(", ")}`;
    }
    if (value !== undefined && !isLimit(value)) {
      return `limits.${name}: must be a whole number of at least 1`;
    }
  }
  return undefined;
}

function modelsProblem(models: unknown): string | undefined {
  if (models === undefined) return undefined;
  if (!Array.isArray(models) || models.some((m) => typeof m !== "string" || m.trim() === "")) {
    return "models: must be a list of model names or patterns";
  }
  return models.length === 0
    ? "models: an empty list allows no model; leave it out to allow every model"
    : undefined;
}

/** Why `name` cannot name a new key, or undefined. */
function nameProblem(name: unknown): string | undefined {
  if (typeof name !== "string" || !KEY_NAME.test(name)) return `name: must be ${KEY_NAME_RULE}`;
  // The config names its plain keys by their place: key-1, key-2 …
  if (/^key-\d+$/.test(name)) return `name: "${name}" is reserved for the config's plain keys`;
  return undefined;
}

/** `{requests-per-minute: 60}` (the file's names) as `{requestsPerMinute: 60}`. */
function limitsFromFile(raw: unknown): KeyLimits | undefined {
  if (raw === undefined) return {};
  if (!raw || typeof raw !== "object" || Array.isArray(raw)) return undefined;
  const limits: Record<string, unknown> = {};
  for (const [name, value] of Object.entries(raw)) {
    const field = LIMIT_NAMES[name as keyof typeof LIMIT_NAMES];
    if (!field || !isLimit(value)) return undefined;
    limits[field] = value;
  }
  return limits as KeyLimits;
}

function limitsToFile(limits: KeyLimits): Record<string, number> | undefined {
  const out: Record<string, number> = {};
  for (const [name, field] of Object.entries(LIMIT_NAMES)) {
    if (limits[field] !== undefined) out[name] = limits[field]!;
  }
  return Object.keys(out).length ? out : undefined;
}

const time = (value: unknown) => typeof value === "string" ? parseDateTime(value) : undefined;
const iso = (ms: number | undefined) => ms === undefined ? undefined : new Date(ms).toISOString();

/** One entry of the file, or why it is not one (never quoting its hash). */
function parseEntry(raw: unknown): StoredKey | string {
  if (!raw || typeof raw !== "object" || Array.isArray(raw)) return "not an object";
  const entry = raw as Record<string, unknown>;
  if (typeof entry.name !== "string" || !KEY_NAME.test(entry.name)) {
    return `name: must be ${KEY_NAME_RULE}`;
  }
  const hash = entry["key-sha256"];
  if (typeof hash !== "string" || !/^[0-9a-f]{64}$/i.test(hash)) {
    return "key-sha256: must be the hex SHA-256 of the key";
  }
  const limits = limitsFromFile(entry.limits);
  if (!limits) return "limits: must map limit names to whole numbers of at least 1";
  const models = modelsProblem(entry.models);
  if (models) return models;
  const created = time(entry.created);
  if (created === undefined) return "created: must be an RFC 3339 date-time";
  const expires = time(entry.expires);
  if (entry.expires !== undefined && expires === undefined) {
    return "expires: must be an RFC 3339 date or date-time";
  }
  return {
    name: entry.name,
    keySha256: hash.toLowerCase(),
    prefix: typeof entry.prefix === "string" ? entry.prefix : undefined,
    models: entry.models as string[] | undefined,
    limits,
    expires,
    created,
    lastUsed: time(entry["last-used"]),
  };
}

function toFile(records: readonly StoredKey[]): string {
  const keys = records.map((record) => ({
    name: record.name,
    "key-sha256": record.keySha256,
    prefix: record.prefix,
    models: record.models,
    limits: limitsToFile(record.limits),
    expires: iso(record.expires),
    created: iso(record.created),
    "last-used": iso(record.lastUsed),
  }));
  return JSON.stringify({ keys }, null, 2) + "\n";
}

/** The file without the times of last use: what the key ring is built from. */
function policies(records: readonly StoredKey[]): string {
  return toFile(records.map((record) => ({ ...record, lastUsed: undefined })));
}

type Parsed =
  | { ok: true; keys: StoredKey[]; problems: string[]; text?: string }
  | { ok: false; reason: string };

/** The file's keys (none when it does not exist); entries that do not parse are left out. */
async function readKeys(path: string, dir: string): Promise<Parsed> {
  const read = await readRegularFile(path, { inside: { dir, label: "the auth dir" } });
  if (!read.ok) {
    return read.problem === "missing"
      ? { ok: true, keys: [], problems: [] }
      : { ok: false, reason: read.reason };
  }
  let data: unknown;
  try {
    data = JSON.parse(read.text);
  } catch {
    return { ok: false, reason: "is not valid JSON" };
  }
  const list = (data as { keys?: unknown } | null)?.keys;
  if (!Array.isArray(list)) return { ok: false, reason: 'has no "keys" list' };
  const keys: StoredKey[] = [];
  const problems: string[] = [];
  const names = new Set<string>();
  const text = read.text;
  list.forEach((raw, index) => {
    const parsed = parseEntry(raw);
    if (typeof parsed === "string") problems.push(`keys[${index}]: ${parsed}`);
    else if (names.has(parsed.name)) {
      problems.push(`keys[${index}]: a second key named ${parsed.name}`);
    } else {
      names.add(parsed.name);
      keys.push(parsed);
    }
  });
  return { ok: true, keys, problems, text };
}

/** `spec.expires` as epoch ms in the future, or the problem with it. */
function expiryOf(expires: NewKey["expires"], now: number): number | string | undefined {
  if (expires === undefined) return undefined;
  const at = typeof expires === "number" ? expires : parseDateTime(expires);
  if (at === undefined || !Number.isFinite(at)) {
    return "expires: must be an RFC 3339 date or date-time such as 2027-01-01";
  }
  return at <= now ? "expires: must be in the future" : at;
}

/** A new key for `spec` (checked: name, models, limits, expiry); throws the API's refusal. */
export function makeKey(spec: NewKey, taken: (name: string) => boolean = () => false): CreatedKey {
  const now = Date.now();
  const problem = nameProblem(spec.name) ?? modelsProblem(spec.models) ??
    limitsProblem({ ...spec.limits });
  if (problem) throw apiError("invalid_request", problem);
  const expires = expiryOf(spec.expires, now);
  if (typeof expires === "string") throw apiError("invalid_request", expires);
  if (taken(spec.name)) {
    throw apiError("invalid_request", `A client key named '${spec.name}' already exists.`, {
      status: 409,
    });
  }
  const key = generateKey();
  return {
    key,
    record: {
      name: spec.name,
      keySha256: hexDigestOf(key),
      prefix: displayPrefix(key),
      models: spec.models?.map((model) => model.trim()),
      limits: { ...spec.limits },
      expires,
      created: now,
    },
  };
}

export function createKeyStore(authDir: string, log: Logger): KeyStore {
  const path = join(authDir, KEYS_FILE);
  let keys: readonly StoredKey[] = [];
  let lastText: string | undefined;
  let watcher: DirWatcher | undefined;
  // Changes from this process, one at a time (the lock file orders them with other processes).
  let queue: Promise<unknown> = Promise.resolve();

  const report = (problems: string[]) => {
    for (const problem of problems) {
      log.warn("client key in keys.json skipped", { reason: problem });
    }
  };

  /**
   * Puts `next` in force. When only the times of last use differ, the array in force stays the
   * same one (its records get the new times), so the key ring is not rebuilt for them.
   */
  const apply = (next: StoredKey[]) => {
    if (policies(next) !== policies(keys)) {
      keys = next;
      return true;
    }
    const used = new Map(next.map((key) => [key.name, key.lastUsed]));
    for (const key of keys) key.lastUsed = used.get(key.name);
    return false;
  };

  /** Reads the file; true when the keys in force changed. */
  const load = async () => {
    const parsed = await readKeys(path, authDir);
    if (!parsed.ok) {
      log.error("keys.json not loaded; the keys in force stay", {
        file: path,
        reason: parsed.reason,
      });
      return false;
    }
    lastText = parsed.text;
    report(parsed.problems);
    return apply(parsed.keys);
  };

  /** Runs `change` on a fresh read of the file under its lock, writes, and applies the result. */
  const mutate = <T>(change: (current: StoredKey[]) => { next: StoredKey[]; result: T }) => {
    const run = async () => {
      await ensurePrivateDir(authDir);
      return await withFileLock(path, async () => {
        const parsed = await readKeys(path, authDir);
        if (!parsed.ok) {
          throw apiError("api_error", `keys.json ${parsed.reason}; fix or remove it first.`);
        }
        // Writing would drop the entries that do not parse: the user's to fix, not ours to lose.
        if (parsed.problems.length) {
          throw apiError(
            "api_error",
            `keys.json has entries subgate cannot read (${parsed.problems.join("; ")}); ` +
              `fix them first.`,
          );
        }
        const { next, result } = change(parsed.keys);
        const text = toFile(next);
        await writeFileAtomic(path, text);
        lastText = text;
        apply(next);
        return result;
      }, { waitMs: 10_000 });
    };
    const done = queue.then(run, run);
    queue = done.catch(() => {});
    return done;
  };

  return {
    path,
    keys: () => keys,
    load,
    create(spec, taken = () => false) {
      let made: CreatedKey;
      try {
        made = makeKey(spec, taken);
      } catch (error) {
        return Promise.reject(error);
      }
      const { key, record } = made;
      return mutate((current) => {
        if (current.some((other) => other.name === spec.name)) {
          throw apiError("invalid_request", `A client key named '${spec.name}' already exists.`, {
            status: 409,
          });
        }
        return { next: [...current, record], result: { key, record } };
      });
    },
    revoke(name, check) {
      return mutate((current) => {
        const record = current.find((entry) => entry.name === name);
        if (!record) {
          throw apiError("not_found", `No client key named '${name}' was created through the API.`);
        }
        const next = current.filter((entry) => entry !== record);
        check?.(record, next);
        return { next, result: record };
      });
    },
    async saveLastUsed(used) {
      const stale = keys.filter((key) => (used.get(key.name) ?? 0) > (key.lastUsed ?? 0));
      if (!stale.length) return;
      await mutate((current) => ({
        next: current.map((key) => {
          const at = used.get(key.name);
          return at !== undefined && at > (key.lastUsed ?? 0) ? { ...key, lastUsed: at } : key;
        }),
        result: undefined,
      }));
    },
    watch(onChange) {
      watcher ??= watchFile(path, async () => {
        const before = lastText;
        const changed = await load();
        // Our own write comes back as a change: nothing new.
        if (lastText === before) return;
        if (changed) log.info("client keys reloaded", { file: path, stored: keys.length });
        onChange?.();
      });
    },
    close() {
      watcher?.close();
    },
  };
}
