/**
 * @module
 * The embedded usage store: SQLite (`node:sqlite`, built into Deno) in one
 * file in the auth dir, `usage.db`, mode 0600 (its `-wal` and `-shm` files
 * take the same mode). WAL journaling lets `subgate usage` read while the
 * server writes. Two tables: every request (`usage_requests`, kept for the
 * retention period) and hourly sums per key, account, model, provider,
 * dialects and action (`usage_hourly`, kept), both written in the same
 * transaction. `synchronous = NORMAL`: a process crash loses nothing
 * committed (a power cut may lose the last commits). The writer never waits
 * for a lock (busy timeout 0): a locked database fails the batch at once.
 */
import { DatabaseSync, type SQLInputValue, type StatementSync } from "node:sqlite";
import { DAY_MS, HOUR_MS, type UsageQuery, type UsageRow, type UsageStore } from "./usage-store.ts";
import {
  count,
  type HourKey,
  mergeTotals,
  type Segment,
  segmentsFor,
  sumByHour,
  sumColumns,
} from "./usage-sums.ts";

export const USAGE_DB_FILE = "usage.db";

const SCHEMA_VERSION = 1;

const SCHEMA = `
CREATE TABLE IF NOT EXISTS usage_requests (
  id INTEGER PRIMARY KEY,
  at INTEGER NOT NULL,
  client_key TEXT,
  account_id TEXT,
  account_label TEXT,
  provider TEXT,
  requested_model TEXT NOT NULL,
  served_model TEXT,
  client_dialect TEXT NOT NULL,
  upstream_dialect TEXT,
  action TEXT NOT NULL,
  status INTEGER NOT NULL,
  latency_ms INTEGER NOT NULL,
  first_byte_ms INTEGER,
  stream INTEGER NOT NULL,
  input_tokens INTEGER,
  output_tokens INTEGER,
  cache_read_tokens INTEGER,
  cache_write_tokens INTEGER,
  reasoning_tokens INTEGER,
  error TEXT
);
CREATE INDEX IF NOT EXISTS usage_requests_at ON usage_requests (at);
CREATE TABLE IF NOT EXISTS usage_hourly (
  hour INTEGER NOT NULL,
  client_key TEXT NOT NULL,
  account_id TEXT NOT NULL,
  account_label TEXT NOT NULL,
  provider TEXT NOT NULL,
  requested_model TEXT NOT NULL,
  served_model TEXT NOT NULL,
  client_dialect TEXT NOT NULL,
  upstream_dialect TEXT NOT NULL,
  action TEXT NOT NULL,
  requests INTEGER NOT NULL,
  errors INTEGER NOT NULL,
  input_tokens INTEGER NOT NULL,
  output_tokens INTEGER NOT NULL,
  cache_read_tokens INTEGER NOT NULL,
  cache_write_tokens INTEGER NOT NULL,
  reasoning_tokens INTEGER NOT NULL,
  latency_ms INTEGER NOT NULL,
  PRIMARY KEY (hour, client_key, account_id, account_label, provider, requested_model,
    served_model, client_dialect, upstream_dialect, action)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS usage_meta (key TEXT PRIMARY KEY, value INTEGER NOT NULL);
`;

const ROW_COLUMNS = [
  "at",
  "client_key",
  "account_id",
  "account_label",
  "provider",
  "requested_model",
  "served_model",
  "client_dialect",
  "upstream_dialect",
  "action",
  "status",
  "latency_ms",
  "first_byte_ms",
  "stream",
  "input_tokens",
  "output_tokens",
  "cache_read_tokens",
  "cache_write_tokens",
  "reasoning_tokens",
  "error",
];

/** The key columns of an hourly sum, after `hour`. */
const HOURLY_KEYS: readonly Exclude<keyof HourKey, "hour">[] = [
  "client_key",
  "account_id",
  "account_label",
  "provider",
  "requested_model",
  "served_model",
  "client_dialect",
  "upstream_dialect",
  "action",
];

const SUM_COLUMNS = [
  "requests",
  "errors",
  "input_tokens",
  "output_tokens",
  "cache_read_tokens",
  "cache_write_tokens",
  "reasoning_tokens",
  "latency_ms",
];

const INSERT_ROW = `INSERT INTO usage_requests (${ROW_COLUMNS.join(", ")}) VALUES (${
  ROW_COLUMNS.map(() => "?").join(", ")
})`;

const UPSERT_HOUR = `INSERT INTO usage_hourly (hour, ${HOURLY_KEYS.join(", ")}, ${
  SUM_COLUMNS.join(", ")
}) VALUES (${[0, ...HOURLY_KEYS, ...SUM_COLUMNS].map(() => "?").join(", ")})
ON CONFLICT DO UPDATE SET ${SUM_COLUMNS.map((c) => `${c} = ${c} + excluded.${c}`).join(", ")}`;

/** How each grouping reads in the two tables: the group value, and for accounts their names. */
const GROUPS: Record<string, { raw: string; hourly: string }> = {
  none: {
    raw: "'' AS g, '' AS label, '' AS provider",
    hourly: "'' AS g, '' AS label, '' AS provider",
  },
  account: {
    raw: "COALESCE(account_id, '') AS g, MAX(COALESCE(account_label, '')) AS label, " +
      "MAX(COALESCE(provider, '')) AS provider",
    hourly: "account_id AS g, MAX(account_label) AS label, MAX(provider) AS provider",
  },
  model: {
    raw: "COALESCE(NULLIF(served_model, ''), requested_model) AS g, '' AS label, '' AS provider",
    hourly: "CASE served_model WHEN '' THEN requested_model ELSE served_model END AS g, " +
      "'' AS label, '' AS provider",
  },
  key: {
    raw: "COALESCE(client_key, '') AS g, '' AS label, '' AS provider",
    hourly: "client_key AS g, '' AS label, '' AS provider",
  },
  provider: {
    raw: "COALESCE(provider, '') AS g, '' AS label, COALESCE(provider, '') AS provider",
    hourly: "provider AS g, '' AS label, provider",
  },
};

const RAW_SUMS = `COUNT(*) AS requests,
  COALESCE(SUM(status >= 400 AND status != 499), 0) AS errors,
  COALESCE(SUM(input_tokens), 0) AS input_tokens,
  COALESCE(SUM(output_tokens), 0) AS output_tokens,
  COALESCE(SUM(cache_read_tokens), 0) AS cache_read_tokens,
  COALESCE(SUM(cache_write_tokens), 0) AS cache_write_tokens,
  COALESCE(SUM(reasoning_tokens), 0) AS reasoning_tokens,
  COALESCE(SUM(latency_ms), 0) AS latency_ms`;

const HOURLY_SUMS = SUM_COLUMNS.map((c) => `SUM(${c}) AS ${c}`).join(", ");

function bucketOf(column: string, bucket: UsageQuery["bucket"]): string {
  if (!bucket) return "0 AS b";
  const size = bucket === "day" ? DAY_MS : HOUR_MS;
  return `(${column} / ${size}) * ${size} AS b`;
}

type Json = Record<string, SQLInputValue>;

const text = (value: string | undefined) => value ?? null;

function rowValues(row: UsageRow): SQLInputValue[] {
  return [
    row.at,
    text(row.clientKey),
    text(row.accountId),
    text(row.accountLabel),
    text(row.provider),
    row.requestedModel,
    text(row.servedModel),
    row.clientDialect,
    text(row.upstreamDialect),
    row.action,
    row.status,
    Math.round(row.latencyMs),
    count(row.firstByteMs),
    row.stream ? 1 : 0,
    count(row.inputTokens),
    count(row.outputTokens),
    count(row.cacheReadTokens),
    count(row.cacheWriteTokens),
    count(row.reasoningTokens),
    row.error === undefined ? null : row.error.slice(0, 500),
  ];
}

function rowOf(record: Json): UsageRow {
  const str = (name: string) => record[name] === null ? undefined : String(record[name]);
  const num = (name: string) => record[name] === null ? undefined : Number(record[name]);
  return {
    at: Number(record.at),
    clientKey: str("client_key"),
    accountId: str("account_id"),
    accountLabel: str("account_label"),
    provider: str("provider"),
    requestedModel: String(record.requested_model),
    servedModel: str("served_model"),
    clientDialect: String(record.client_dialect),
    upstreamDialect: str("upstream_dialect"),
    action: String(record.action),
    status: Number(record.status),
    latencyMs: Number(record.latency_ms),
    firstByteMs: num("first_byte_ms"),
    stream: record.stream === 1,
    inputTokens: num("input_tokens"),
    outputTokens: num("output_tokens"),
    cacheReadTokens: num("cache_read_tokens"),
    cacheWriteTokens: num("cache_write_tokens"),
    reasoningTokens: num("reasoning_tokens"),
    error: str("error"),
  };
}

/** A batch's hourly sums: one row per hour and key, so each costs one upsert. */
/** The batch's hourly sums as the upsert's parameters: hour, the key columns, the sums. */
function hourlySums(rows: readonly UsageRow[]): SQLInputValue[][] {
  return sumByHour(rows).map(({ key, sums }) => [
    key.hour,
    ...HOURLY_KEYS.map((column) => key[column]),
    ...Object.values(sumColumns(sums)),
  ]);
}

/** Creates the file 0600 before SQLite does (it would use the umask), and refuses a non-file. */
function prepareFile(path: string): void {
  let info: Deno.FileInfo | undefined;
  try {
    info = Deno.lstatSync(path);
  } catch (error) {
    if (!(error instanceof Deno.errors.NotFound)) throw error;
  }
  if (info && !info.isFile) throw new Error(`${path} is not a regular file`);
  if (!info) Deno.openSync(path, { create: true, write: true, mode: 0o600 }).close();
  else if (Deno.build.os !== "windows" && info.mode !== null && (info.mode & 0o077) !== 0) {
    Deno.chmodSync(path, 0o600);
  }
}

export interface SqliteStoreOptions {
  /** Read only (`subgate usage`): never creates or changes the file. */
  readOnly?: boolean;
}

/** Opens (creating when writable) the usage database at `path`; throws when it cannot. */
export function openSqliteStore(path: string, options: SqliteStoreOptions = {}): UsageStore {
  const readOnly = options.readOnly ?? false;
  if (!readOnly) prepareFile(path);
  // A reader may wait a little for a writer's lock; the server's writer never waits.
  const db = new DatabaseSync(path, { readOnly, timeout: readOnly ? 5000 : 0 });
  try {
    if (!readOnly) {
      db.exec("PRAGMA journal_mode = WAL");
      db.exec("PRAGMA synchronous = NORMAL");
      const version = Number(
        (db.prepare("PRAGMA user_version").get() as Json | undefined)?.user_version ?? 0,
      );
      if (version > SCHEMA_VERSION) {
        throw new Error(
          `${path} was written by a newer subgate (schema ${version}; this one knows ${SCHEMA_VERSION})`,
        );
      }
      db.exec(SCHEMA);
      db.exec(`PRAGMA user_version = ${SCHEMA_VERSION}`);
    }
  } catch (error) {
    db.close();
    throw error;
  }
  // A file the server created but could not yet give its tables (a full disk) reads as empty.
  const tables = db.prepare(
    "SELECT count(*) AS n FROM sqlite_master WHERE name IN ('usage_requests', 'usage_hourly')",
  ).get() as Json;
  return sqliteStore(db, readOnly, Number(tables.n) === 2);
}

function sqliteStore(db: DatabaseSync, readOnly: boolean, ready: boolean): UsageStore {
  let insertRow: StatementSync | undefined;
  let upsertHour: StatementSync | undefined;

  const rawSince = (): number => {
    const row = db.prepare("SELECT value FROM usage_meta WHERE key = 'raw_since'").get() as
      | Json
      | undefined;
    return row ? Number(row.value) : 0;
  };

  const transaction = <T>(work: () => T): T => {
    db.exec("BEGIN IMMEDIATE");
    try {
      const result = work();
      db.exec("COMMIT");
      return result;
    } catch (error) {
      try {
        db.exec("ROLLBACK");
      } catch {
        // SQLite may have rolled back by itself (a full disk).
      }
      throw error;
    }
  };

  const query = (segment: Segment, group: string, bucket: UsageQuery["bucket"]): Json[] => {
    const columns = GROUPS[group];
    if (segment.table === "raw") {
      return db.prepare(
        `SELECT ${columns.raw}, ${bucketOf("at", bucket)}, ${RAW_SUMS} FROM usage_requests ` +
          `WHERE at >= ? AND at < ? GROUP BY g, b`,
      ).all(segment.from, segment.to) as Json[];
    }
    return db.prepare(
      `SELECT ${columns.hourly}, ${bucketOf("hour", bucket)}, ${HOURLY_SUMS} FROM usage_hourly ` +
        `WHERE hour >= ? AND hour < ? GROUP BY g, b`,
    ).all(segment.from, segment.to) as Json[];
  };

  return {
    append(rows) {
      if (readOnly) return Promise.reject(new Error("the usage store is open read-only"));
      if (rows.length === 0) return Promise.resolve();
      try {
        insertRow ??= db.prepare(INSERT_ROW);
        upsertHour ??= db.prepare(UPSERT_HOUR);
        const insert = insertRow;
        const upsert = upsertHour;
        transaction(() => {
          for (const row of rows) insert.run(...rowValues(row));
          for (const sums of hourlySums(rows)) upsert.run(...sums);
        });
        return Promise.resolve();
      } catch (error) {
        return Promise.reject(error);
      }
    },

    totals(request) {
      if (!ready) return Promise.resolve([]);
      try {
        const group = request.group ?? "none";
        const found = segmentsFor(request.from, request.to, rawSince()).flatMap((segment) =>
          query(segment, group, request.bucket)
        );
        const totals = mergeTotals(found, request);
        return Promise.resolve(totals);
      } catch (error) {
        return Promise.reject(error);
      }
    },

    recent(limit) {
      if (!ready) return Promise.resolve([]);
      try {
        const rows = db.prepare(
          `SELECT ${ROW_COLUMNS.join(", ")} FROM usage_requests ORDER BY id DESC LIMIT ?`,
        ).all(Math.max(0, Math.floor(limit))) as Json[];
        return Promise.resolve(rows.map(rowOf));
      } catch (error) {
        return Promise.reject(error);
      }
    },

    prune(before, limit) {
      if (readOnly) return Promise.reject(new Error("the usage store is open read-only"));
      try {
        const removed = transaction(() => {
          // Raw rows are complete from `before` on: older ranges are read from the hourly sums.
          db.prepare(
            "INSERT INTO usage_meta (key, value) VALUES ('raw_since', ?) " +
              "ON CONFLICT (key) DO UPDATE SET value = MAX(value, excluded.value)",
          ).run(before);
          const result = limit === undefined
            ? db.prepare("DELETE FROM usage_requests WHERE at < ?").run(before)
            : db.prepare(
              "DELETE FROM usage_requests WHERE id IN " +
                "(SELECT id FROM usage_requests WHERE at < ? ORDER BY at LIMIT ?)",
            ).run(before, Math.max(1, Math.floor(limit)));
          return Number(result.changes);
        });
        return Promise.resolve(removed);
      } catch (error) {
        return Promise.reject(error);
      }
    },

    close() {
      try {
        if (db.isOpen) db.close();
      } catch {
        // Closing twice, or after a failure: nothing left to release.
      }
      return Promise.resolve();
    },
  };
}
