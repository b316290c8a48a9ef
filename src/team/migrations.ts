/**
 * @module
 * The shared database's schema, as versioned migrations applied in order at
 * start. Every instance runs `migrate` when it starts, under a transaction-level
 * advisory lock, so instances starting together apply each migration once and
 * the others wait for it; a database migrated by a newer subgate is refused
 * rather than written with an older idea of its tables. A migration is never
 * edited once released: a change is a new entry at the end.
 */
import type { Sql } from "./connect.ts";

export interface Migration {
  version: number;
  name: string;
  sql: string;
}

/** The change counter's sequence: every change takes a number; the 30 s poll compares it. */
export const CHANGE_SEQUENCE = "subgate_change_seq";

export const MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    name: "accounts, leases, receipts, rests, quota, keys, usage, instances, config",
    sql: `
CREATE SEQUENCE subgate_change_seq;

-- One row per login: the account record (the JSON an account file holds) sealed with
-- AES-256-GCM; its plain columns are copies for people and queries, never read back.
-- generation: + 1 at every change; a lease is taken only at the generation its taker saw.
CREATE TABLE subgate_accounts (
  name text PRIMARY KEY,
  provider text NOT NULL,
  label text NOT NULL,
  sealed text NOT NULL,
  generation bigint NOT NULL DEFAULT 1,
  disabled boolean NOT NULL DEFAULT false,
  needs_login boolean NOT NULL DEFAULT false,
  last_error text,
  expires_at timestamptz,
  lease_id uuid,
  lease_owner text,
  lease_until timestamptz,
  refresh_interrupted boolean NOT NULL DEFAULT false,
  updated_at timestamptz NOT NULL DEFAULT now(),
  updated_by text NOT NULL
);

-- One row per token answer written (or replayed from an instance's spool).
CREATE TABLE subgate_refresh_receipts (
  id bigserial PRIMARY KEY,
  account text NOT NULL,
  claim_id uuid,
  instance text NOT NULL,
  generation bigint,
  outcome text NOT NULL,
  at timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX subgate_refresh_receipts_account ON subgate_refresh_receipts (account, id);

CREATE TABLE subgate_rests (
  account_id text NOT NULL,
  model text NOT NULL,
  kind text NOT NULL,
  reason text NOT NULL,
  until timestamptz NOT NULL,
  strikes integer NOT NULL,
  fingerprint text,
  set_by text NOT NULL,
  set_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (account_id, model)
);

CREATE TABLE subgate_quota (
  account_id text PRIMARY KEY,
  windows jsonb NOT NULL,
  set_by text NOT NULL,
  updated_at timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE subgate_keys (
  name text PRIMARY KEY,
  key_sha256 text NOT NULL UNIQUE,
  prefix text,
  models jsonb,
  limits jsonb NOT NULL DEFAULT '{}',
  expires timestamptz,
  created timestamptz NOT NULL,
  last_used timestamptz
);

-- Client-key limit counters per window (counter: minute, day, tokens; window_start: epoch ms).
CREATE TABLE subgate_key_counts (
  key_name text NOT NULL,
  counter text NOT NULL,
  window_start bigint NOT NULL,
  count bigint NOT NULL DEFAULT 0,
  PRIMARY KEY (key_name, counter, window_start)
);

CREATE TABLE subgate_usage_requests (
  id bigserial PRIMARY KEY,
  at bigint NOT NULL,
  instance text NOT NULL,
  client_key text,
  account_id text,
  account_label text,
  provider text,
  requested_model text NOT NULL,
  served_model text,
  client_dialect text NOT NULL,
  upstream_dialect text,
  action text NOT NULL,
  status integer NOT NULL,
  latency_ms bigint NOT NULL,
  first_byte_ms bigint,
  stream boolean NOT NULL,
  input_tokens bigint,
  output_tokens bigint,
  cache_read_tokens bigint,
  cache_write_tokens bigint,
  reasoning_tokens bigint,
  error text
);
CREATE INDEX subgate_usage_requests_at ON subgate_usage_requests (at);

CREATE TABLE subgate_usage_hourly (
  hour bigint NOT NULL,
  client_key text NOT NULL,
  account_id text NOT NULL,
  account_label text NOT NULL,
  provider text NOT NULL,
  requested_model text NOT NULL,
  served_model text NOT NULL,
  client_dialect text NOT NULL,
  upstream_dialect text NOT NULL,
  action text NOT NULL,
  requests bigint NOT NULL,
  errors bigint NOT NULL,
  input_tokens bigint NOT NULL,
  output_tokens bigint NOT NULL,
  cache_read_tokens bigint NOT NULL,
  cache_write_tokens bigint NOT NULL,
  reasoning_tokens bigint NOT NULL,
  latency_ms bigint NOT NULL,
  PRIMARY KEY (hour, client_key, account_id, account_label, provider, requested_model,
    served_model, client_dialect, upstream_dialect, action)
);

CREATE TABLE subgate_usage_meta (key text PRIMARY KEY, value bigint NOT NULL);

CREATE TABLE subgate_instances (
  id uuid PRIMARY KEY,
  name text NOT NULL,
  url text,
  version text NOT NULL,
  started_at timestamptz NOT NULL,
  seen_at timestamptz NOT NULL
);
`,
  },
  {
    version: 2,
    name: "shared config, turns at the quota endpoints",
    sql: `
-- The config every instance serves with (its instance keys left out), one row, sealed like the
-- tokens (it holds upstream keys); generation + 1 at every save, the version If-Match names.
CREATE TABLE subgate_config (
  id integer PRIMARY KEY CHECK (id = 1),
  sealed text NOT NULL,
  generation bigint NOT NULL,
  saved_by text NOT NULL,
  saved_via text NOT NULL,
  saved_at timestamptz NOT NULL DEFAULT now()
);

-- Whose turn it is to ask a login's usage endpoint: the one that claims it once next_at has
-- passed, for as long as a poll may take (claim_until); and the last poll, for people.
CREATE TABLE subgate_quota_polls (
  account_id text PRIMARY KEY,
  next_at timestamptz NOT NULL,
  claimed_by uuid,
  claim_until timestamptz,
  polled_by text,
  polled_at timestamptz,
  poll_error text
);
`,
  },
];

/** Schema version this subgate knows. */
export const SCHEMA_VERSION = MIGRATIONS[MIGRATIONS.length - 1].version;

/** A constant the advisory lock is taken on (an arbitrary 64-bit number: "subgate"). */
const LOCK_KEY = 0x737562676174;

/** Applies the migrations the database lacks; returns the versions applied. */
export async function migrate(sql: Sql, instance: string): Promise<number[]> {
  return await sql.begin(async (tx) => {
    await tx`SELECT pg_advisory_xact_lock(${LOCK_KEY})`;
    await tx`CREATE TABLE IF NOT EXISTS subgate_schema (
      version integer PRIMARY KEY,
      name text NOT NULL,
      applied_at timestamptz NOT NULL DEFAULT now(),
      applied_by text NOT NULL
    )`;
    const rows = await tx<{ version: number }[]>`SELECT version FROM subgate_schema`;
    const have = new Set(rows.map((row) => Number(row.version)));
    const newest = Math.max(0, ...have);
    if (newest > SCHEMA_VERSION) {
      throw new Error(
        `the database's schema is version ${newest}, newer than this subgate knows ` +
          `(${SCHEMA_VERSION}): upgrade subgate`,
      );
    }
    const applied: number[] = [];
    for (const migration of MIGRATIONS) {
      if (have.has(migration.version)) continue;
      await tx.unsafe(migration.sql);
      await tx`INSERT INTO subgate_schema (version, name, applied_by)
        VALUES (${migration.version}, ${migration.name}, ${instance})`;
      applied.push(migration.version);
    }
    return applied;
  }) as number[];
}
