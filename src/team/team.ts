/**
 * @module
 * One instance's link to the shared database: the connection pool, the
 * schema migrated at start, the instance's row (its name, address and last
 * heartbeat: the live instances are those seen in the last 30 s), and the
 * change feed every part of the shared state listens to.
 *
 * Changes are announced with `NOTIFY subgate, '<json>'` in the transaction
 * that makes them (so they are heard only once committed), and every change
 * also takes a number from a sequence. Each instance LISTENs (change-feed.ts:
 * reconnected, and checked by a ping it sends itself with each heartbeat),
 * and every (re)connection makes the parts re-read everything (`onResync`).
 * A poll of the sequence every 30 s backs up a notification missed for any
 * other reason.
 *
 * Health: the database is "up" while statements succeed; a failed statement
 * or a dropped connection marks it down (logged once per outage, shown in
 * the management API and `/metrics`) until the next statement succeeds.
 */
import type { Logger } from "../log/logger.ts";
import { connect, describeStoreUrl, type Sql, type Tx } from "./connect.ts";
import { CHANGE_SEQUENCE, migrate } from "./migrations.ts";
import { openChangeFeed, PING_DEADLINE_MS } from "./change-feed.ts";

export const CHANNEL = "subgate";
const HEARTBEAT_MS = 5000;
const POLL_MS = 30_000;
/** An instance not seen for this long is no longer listed as live. */
export const LIVE_WINDOW_S = 30;

/** What a notification carries: its kind, and the instance that made the change. */
export interface Change {
  /** `account`, `rest`, `quota`, `keys`, `instances`, … */
  k: string;
  /** The instance that made the change. */
  i: string;
  [field: string]: unknown;
}

export interface StoreHealth {
  up: boolean;
  /** Since when it has been up or down (epoch ms). */
  since: number;
  /** Why it is down. */
  reason?: string;
  /** Outages since this instance started. */
  outages: number;
}

export interface InstanceView {
  id: string;
  name: string;
  url?: string;
  version: string;
  startedAt: string;
  seenAt: string;
  self: boolean;
}

export interface Team {
  sql: Sql;
  /** This instance: a random id per process, and its name. */
  instance: { id: string; name: string };
  /** The URL without its password. */
  where: string;
  health(): StoreHealth;
  /** Runs a statement block, marking the database up or down by how it went. */
  run<T>(work: (sql: Sql) => Promise<T>): Promise<T>;
  /** Listens to changes of one kind (others' and this instance's own). */
  on(kind: string, handler: (change: Change) => void): void;
  /** Runs `handler` after every (re)connection of the listener and when the poll saw changes. */
  onResync(handler: () => void | Promise<void>): void;
  /** Runs `handler` whenever the database comes back after an outage. */
  onUp(handler: () => void): void;
  /**
   * Announces a change inside the transaction `tx` that makes it: heard by every instance once
   * committed, and counted in the change sequence.
   */
  announce(tx: Tx, kind: string, fields?: Record<string, unknown>): Promise<void>;
  /**
   * Tells the others something that is no change of shared state (not counted in the change
   * sequence, so the poll re-reads nothing for it): a hint a missed one costs only freshness.
   */
  tell(db: Tx, kind: string, fields?: Record<string, unknown>): Promise<void>;
  /** Instances seen in the last 30 s. */
  instances(): Promise<InstanceView[]>;
  /** How many instances are live (this one included) and this one's place among them by id. */
  liveRank(): { rank: number; count: number };
  /** Names this instance's address (listed with the instances). */
  setUrl(url: string): void;
  close(): Promise<void>;
}

/** Whether an error means the database could not be reached (rather than a refused statement). */
export function isConnectionError(error: unknown): boolean {
  const code = String((error as { code?: unknown })?.code ?? "");
  return /^(ECONN|CONNECT|CONNECTION_|EPIPE|ETIMEDOUT|ENOTFOUND|EHOSTUNREACH|57P0|08)/.test(code) ||
    /statement timeout|canceling statement|terminating connection/i.test(
      (error as Error)?.message ?? "",
    ) ||
    error instanceof Deno.errors.ConnectionRefused ||
    error instanceof Deno.errors.ConnectionReset;
}

function reasonOf(error: unknown): string {
  return ((error as Error)?.message ?? String(error)).split("\n")[0].slice(0, 200);
}

/** `NOTIFY` of a change inside `tx` (heard once committed), counted in the change sequence. */
export async function announceChange(
  tx: Tx,
  instanceId: string,
  kind: string,
  fields: Record<string, unknown> = {},
): Promise<void> {
  const payload = JSON.stringify({ k: kind, i: instanceId, ...fields });
  await tx`SELECT pg_notify(${CHANNEL}, ${payload}), nextval(${CHANGE_SEQUENCE})`;
}

/** `NOTIFY` of a hint that is no change of shared state: not counted in the change sequence. */
export async function tellOthers(
  db: Tx,
  instanceId: string,
  kind: string,
  fields: Record<string, unknown> = {},
): Promise<void> {
  await db`SELECT pg_notify(${CHANNEL}, ${JSON.stringify({ k: kind, i: instanceId, ...fields })})`;
}

/** The instances seen in the last 30 s; `self`: the one whose id is `selfId`. */
export async function readInstances(
  run: Team["run"],
  selfId: string,
): Promise<InstanceView[]> {
  const rows = await run((db) =>
    db<
      {
        id: string;
        name: string;
        url: string | null;
        version: string;
        started_at: Date;
        seen_at: Date;
      }[]
    >`SELECT id, name, url, version, started_at, seen_at FROM subgate_instances
      WHERE seen_at > now() - make_interval(secs => ${LIVE_WINDOW_S}) ORDER BY name, started_at`
  );
  return rows.map((row) => ({
    id: row.id,
    name: row.name,
    url: row.url ?? undefined,
    version: row.version,
    startedAt: row.started_at.toISOString(),
    seenAt: row.seen_at.toISOString(),
    self: row.id === selfId,
  }));
}

export interface TeamOptions {
  url: string;
  instanceName: string;
  version: string;
  log: Logger;
}

/** Connects, migrates and starts listening; throws with the reason when the database is not there. */
export async function openTeam(options: TeamOptions): Promise<Team> {
  const { log } = options;
  const id = crypto.randomUUID();
  const name = options.instanceName;
  const where = describeStoreUrl(options.url);
  const health: StoreHealth = { up: true, since: Date.now(), outages: 0 };
  const upHandlers: (() => void)[] = [];
  const handlers = new Map<string, ((change: Change) => void)[]>();
  const resyncs: (() => void | Promise<void>)[] = [];
  let live = { rank: 0, count: 1 };
  let url: string | undefined;
  let closed = false;

  const down = (error: unknown) => {
    if (closed) return;
    if (health.up) {
      health.up = false;
      health.since = Date.now();
      health.outages++;
      log.error("shared database unreachable: refreshes and changes wait; serving goes on", {
        store: where,
        reason: reasonOf(error),
      });
    }
    health.reason = reasonOf(error);
  };
  const up = () => {
    if (health.up || closed) return;
    health.up = true;
    health.since = Date.now();
    health.reason = undefined;
    log.info("shared database reachable again", { store: where });
    for (const handler of upHandlers) handler();
  };

  const sql = await connect(options.url, {
    instance: name,
    max: 6,
    onclose: () => {
      // A closed connection is not yet an outage: the next statement tells.
    },
  });
  const run = async <T>(work: (sql: Sql) => Promise<T>): Promise<T> => {
    try {
      const result = await work(sql);
      up();
      return result;
    } catch (error) {
      if (isConnectionError(error)) down(error);
      throw error;
    }
  };

  const announce = (tx: Tx, kind: string, fields?: Record<string, unknown>) =>
    announceChange(tx, id, kind, fields);

  try {
    const applied = await migrate(sql, name);
    if (applied.length) {
      log.info("shared database migrated", { store: where, versions: applied.join(", ") });
    }
    await sql`INSERT INTO subgate_instances (id, name, version, started_at, seen_at)
      VALUES (${id}, ${name}, ${options.version}, now(), now())`;
    const same = await sql<{ n: number }[]>`SELECT count(*)::int AS n FROM subgate_instances
      WHERE name = ${name} AND id <> ${id} AND seen_at > now() - make_interval(secs => ${LIVE_WINDOW_S})`;
    if (same[0].n > 0) {
      log.warn("another live instance has this instance's name: give each its own", {
        instance: name,
        fix: "set instance-name in the config or SUBGATE_INSTANCE_NAME",
      });
    }
  } catch (error) {
    await sql.end({ timeout: 1 }).catch(() => {});
    throw error;
  }

  const resync = async () => {
    for (const handler of resyncs) {
      try {
        await handler();
      } catch (error) {
        if (isConnectionError(error)) down(error);
        else log.warn("re-reading the shared state failed", { reason: reasonOf(error) });
      }
    }
  };

  let listening = false;
  const onNotify = (text: string) => {
    let change: Change;
    try {
      change = JSON.parse(text);
    } catch {
      return;
    }
    for (const handler of handlers.get(change.k) ?? []) {
      try {
        handler(change);
      } catch (error) {
        log.warn("a change notification could not be applied", {
          kind: change.k,
          reason: reasonOf(error),
        });
      }
    }
  };
  const onListen = () => {
    // Called on every (re)connection of the listener: what was missed meanwhile is read again.
    up();
    if (listening) {
      log.info("listening to the shared database again; re-reading the shared state");
      void resync();
    }
    listening = true;
  };
  const feed = await openChangeFeed({
    url: options.url,
    channel: CHANNEL,
    id,
    name,
    onNotify,
    onListen,
    log,
  }).catch(async (error) => {
    await sql.end({ timeout: 1 }).catch(() => {});
    throw error;
  });
  // Right after an outage, make sure the feed is heard again soon rather than at the next beat.
  upHandlers.push(() => {
    void run((db) => feed.ping(db)).catch(() => {});
    setTimeout(() => health.up && feed.check(), PING_DEADLINE_MS + 100);
  });

  let lastChange = -1n;
  const poll = async () => {
    try {
      const rows = await run((db) =>
        db<{ v: string }[]>`SELECT last_value::text AS v FROM ${db(CHANGE_SEQUENCE)}`
      );
      const value = BigInt(rows[0].v);
      if (lastChange >= 0n && value !== lastChange) await resync();
      lastChange = value;
    } catch (error) {
      if (!isConnectionError(error)) log.warn("change poll failed", { reason: reasonOf(error) });
    }
  };
  await poll();
  const pollTimer = setInterval(poll, POLL_MS);
  Deno.unrefTimer(pollTimer);

  const heartbeat = async () => {
    try {
      const rows = await run((db) =>
        db<{ id: string }[]>`WITH me AS (
          INSERT INTO subgate_instances (id, name, url, version, started_at, seen_at)
          VALUES (${id}, ${name}, ${url ?? null}, ${options.version}, now(), now())
          ON CONFLICT (id) DO UPDATE SET seen_at = now(), url = EXCLUDED.url
        )
        SELECT id::text AS id FROM subgate_instances
        WHERE id <> ${id} AND seen_at > now() - make_interval(secs => ${LIVE_WINDOW_S})`
      );
      const ids = [...rows.map((row) => row.id), id].sort();
      live = { rank: ids.indexOf(id), count: ids.length };
      // The database answers: a ping of the last beat still unheard means the feed is dead.
      feed.check();
      await run((db) => feed.ping(db));
    } catch {
      // Marked down by `run`; the next beat tries again.
    }
  };
  await heartbeat();
  // Every 5 s; every second while the database is down, so its return is noticed soon.
  let beatTimer: ReturnType<typeof setTimeout>;
  const beat = async () => {
    await heartbeat();
    if (!closed) {
      beatTimer = setTimeout(beat, health.up ? HEARTBEAT_MS : 1000);
      Deno.unrefTimer(beatTimer);
    }
  };
  beatTimer = setTimeout(beat, HEARTBEAT_MS);
  // A new instance says so, and every instance counts again (the key limits' shares).
  const instancesChanged = (change: Change) => {
    if (change.i !== id) void heartbeat();
  };
  handlers.set("instances", [instancesChanged]);
  await run((db) => db.begin((tx) => announce(tx, "instances"))).catch(() => {});
  Deno.unrefTimer(beatTimer);

  return {
    sql,
    instance: { id, name },
    where,
    health: () => ({ ...health }),
    run,
    on(kind, handler) {
      const list = handlers.get(kind) ?? [];
      list.push(handler);
      handlers.set(kind, list);
    },
    onResync(handler) {
      resyncs.push(handler);
    },
    onUp(handler) {
      upHandlers.push(handler);
    },
    announce,
    tell: (db, kind, fields) => tellOthers(db, id, kind, fields),
    instances: () => readInstances(run, id),
    liveRank: () => live,
    setUrl(next) {
      url = next;
      void heartbeat();
    },
    async close() {
      if (closed) return;
      closed = true;
      clearInterval(pollTimer);
      clearTimeout(beatTimer);
      await feed.close();
      await sql.begin(async (tx) => {
        await tx`DELETE FROM subgate_instances WHERE id = ${id}`;
        await announce(tx, "instances");
      }).catch(() => {});
      await sql.end({ timeout: 2 }).catch(() => {});
    },
  };
}
