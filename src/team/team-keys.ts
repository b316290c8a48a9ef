/**
 * @module
 * Client keys for a team: the keys created through the management API live
 * in the database (`subgate_keys`: name, SHA-256, policy, never the key), so
 * a key created or revoked through one instance is in force on every
 * instance as soon as the change is heard; and their limits count for the
 * team (`subgate_key_counts`).
 *
 * Limits across instances. Each instance admits on its own, never waiting
 * for the database: its count since the last exchange, added to the team's
 * count as of that exchange, must stay under the limit, and it may use only
 * its share of what the team has left (the rest split evenly between the
 * live instances, ordered by id, so the shares add up to what is left).
 * Counts are exchanged 50 ms after an admission and every second while a
 * key is in use (one upsert that returns the team's count). A key therefore
 * gets at most its limit while the exchanges keep up; when requests come
 * faster than that, each instance stays within its share, so the team's total
 * exceeds the limit by at most what one exchange interval lets through —
 * never N times the limit. Tokens per day are counted the same way, after
 * each request. With the database unreachable, each instance goes on with
 * the team's count as last seen and its own since.
 */
import { apiError } from "../errors/api-error.ts";
import type { ClientKey } from "../keys/client-key.ts";
import { DAY, type KeyLimiter, limitRefusal, MINUTE } from "../keys/key-limits.ts";
import { type KeyStore, makeKey, type StoredKey } from "../keys/key-store.ts";
import type { Logger } from "../log/logger.ts";
import { isConnectionError, type Team } from "./team.ts";

interface KeyRow {
  name: string;
  key_sha256: string;
  prefix: string | null;
  models: string[] | null;
  limits: StoredKey["limits"];
  expires: Date | null;
  created: Date;
  last_used: Date | null;
}

function storedOf(row: KeyRow): StoredKey {
  return {
    name: row.name,
    keySha256: row.key_sha256,
    prefix: row.prefix ?? undefined,
    models: row.models ?? undefined,
    limits: row.limits ?? {},
    expires: row.expires?.getTime(),
    created: row.created.getTime(),
    lastUsed: row.last_used?.getTime(),
  };
}

export function createTeamKeyStore(team: Team, log: Logger): KeyStore {
  let keys: readonly StoredKey[] = [];
  let onChange: (() => void) | undefined;

  const load = async () => {
    const rows = await team.run((sql) =>
      sql<KeyRow[]>`SELECT name, key_sha256, prefix, models, limits, expires, created, last_used
        FROM subgate_keys ORDER BY created, name`
    );
    const next = rows.map(storedOf);
    const before = JSON.stringify(keys.map((k) => ({ ...k, lastUsed: undefined })));
    const after = JSON.stringify(next.map((k) => ({ ...k, lastUsed: undefined })));
    if (before === after) {
      const used = new Map(next.map((k) => [k.name, k.lastUsed]));
      for (const key of keys) key.lastUsed = used.get(key.name);
      return false;
    }
    keys = next;
    return true;
  };
  const reload = () =>
    load().then((changed) => {
      if (changed) {
        log.info("client keys reloaded from the shared database", { stored: keys.length });
        onChange?.();
      }
    }).catch((error) => {
      if (!isConnectionError(error)) {
        log.warn("client keys could not be read", { reason: (error as Error).message });
      }
    });
  team.on("keys", () => void reload());
  team.onResync(reload);

  return {
    path: `${team.where} (subgate_keys)`,
    keys: () => keys,
    load,
    async create(spec, taken) {
      const made = makeKey(spec, taken);
      const { record } = made;
      const inserted = await team.run((sql) =>
        sql.begin(async (tx) => {
          const rows = await tx`INSERT INTO subgate_keys
              (name, key_sha256, prefix, models, limits, expires, created)
            VALUES (${record.name}, ${record.keySha256}, ${record.prefix ?? null},
              ${record.models ? tx.json(record.models) : null}, ${tx.json({ ...record.limits })},
              ${record.expires === undefined ? null : new Date(record.expires)},
              ${new Date(record.created)})
            ON CONFLICT DO NOTHING RETURNING name`;
          if (rows.length) await team.announce(tx, "keys");
          return rows.length > 0;
        })
      );
      if (!inserted) {
        throw apiError("invalid_request", `A client key named '${spec.name}' already exists.`, {
          status: 409,
        });
      }
      await load();
      return made;
    },
    async revoke(name, check) {
      const revoked = await team.run((sql) =>
        sql.begin(async (tx) => {
          const rows = await tx<KeyRow[]>`SELECT name, key_sha256, prefix, models, limits, expires,
              created, last_used FROM subgate_keys ORDER BY name FOR UPDATE`;
          const all = rows.map(storedOf);
          const record = all.find((key) => key.name === name);
          if (!record) {
            throw apiError(
              "not_found",
              `No client key named '${name}' was created through the API.`,
            );
          }
          check?.(record, all.filter((key) => key !== record));
          await tx`DELETE FROM subgate_keys WHERE name = ${name}`;
          await team.announce(tx, "keys");
          return record;
        })
      ) as StoredKey;
      await load();
      return revoked;
    },
    async saveLastUsed(used) {
      const stale = keys.filter((key) => (used.get(key.name) ?? 0) > (key.lastUsed ?? 0));
      if (!stale.length) return;
      await team.run(async (sql) => {
        for (const key of stale) {
          await sql`UPDATE subgate_keys SET last_used = GREATEST(last_used, ${new Date(
            used.get(key.name)!,
          )}) WHERE name = ${key.name}`;
        }
      });
    },
    watch(listener) {
      onChange = listener;
    },
    close() {
      onChange = undefined;
    },
  };
}

const EXCHANGE_SOON_MS = 50;
const EXCHANGE_EVERY_MS = 1000;
/** Keys not used for this long are no longer exchanged every second. */
const IDLE_MS = 2 * MINUTE;

type CounterName = "minute" | "day" | "tokens";

interface Counter {
  start: number;
  /** The team's count at the last exchange, this instance's included. */
  team: number;
  /** This instance's count in the window, exchanged or not. */
  own: number;
  /** This instance's count at the last exchange. */
  ownAtExchange: number;
  /** Not yet sent. */
  pending: number;
}

/** The start of the current window of a counter. */
function windowStart(counter: CounterName, at: number): number {
  return counter === "minute" ? at - at % MINUTE : at - at % DAY;
}

export function createTeamKeyLimiter(team: Team, log: Logger): KeyLimiter {
  const counters = new Map<string, Map<CounterName, Counter>>();
  const lastUse = new Map<string, number>();
  let soon: ReturnType<typeof setTimeout> | undefined;
  let exchanging = false;

  const counterOf = (name: string, which: CounterName, at: number): Counter => {
    let byName = counters.get(name);
    if (!byName) counters.set(name, byName = new Map());
    const start = windowStart(which, at);
    let counter = byName.get(which);
    if (!counter || counter.start !== start) {
      const team = heard.get(heardKey(name, which, start))?.count ?? 0;
      counter = { start, team, own: 0, ownAtExchange: 0, pending: 0 };
      byName.set(which, counter);
    }
    return counter;
  };

  // The team's counts other instances wrote, as they told them: a counter created later (a key
  // this instance has not used yet) starts from them.
  const heard = new Map<string, { count: number; start: number }>();
  const heardKey = (name: string, which: CounterName, start: number) =>
    `${name}\u0000${which}\u0000${start}`;
  team.on("key-counts", (change) => {
    if (change.i === team.instance.id) return;
    const name = String(change.n), which = change.w as CounterName, start = Number(change.s);
    const count = Number(change.c);
    if (!Number.isFinite(count) || !Number.isFinite(start)) return;
    const id = heardKey(name, which, start);
    heard.set(id, { count: Math.max(heard.get(id)?.count ?? 0, count), start });
    const counter = counters.get(name)?.get(which);
    if (counter && counter.start === start) counter.team = Math.max(counter.team, count);
  });

  /**
   * The most this instance may have counted in the window, by its share of what is left. Every
   * instance's view of the team's count is the same within milliseconds of each exchange (each
   * tells the others the total it wrote), so the shares of what is left add up to the limit.
   */
  const shareLimit = (counter: Counter, limit: number): number => {
    const { rank, count } = team.liveRank();
    const left = Math.max(0, limit - counter.team);
    const share = Math.floor(left / count) + (rank < left % count ? 1 : 0);
    return counter.ownAtExchange + share;
  };

  const exchange = async () => {
    soon = undefined;
    if (exchanging) return;
    exchanging = true;
    try {
      const now = Date.now();
      const work: { name: string; which: CounterName; counter: Counter; delta: number }[] = [];
      for (const [name, byName] of [...counters.entries()].sort(([a], [b]) => a.localeCompare(b))) {
        if (now - (lastUse.get(name) ?? 0) > IDLE_MS) {
          counters.delete(name);
          continue;
        }
        for (const which of ["minute", "day", "tokens"] as const) {
          const counter = byName.get(which);
          if (!counter || counter.start !== windowStart(which, now)) continue;
          work.push({ name, which, counter, delta: counter.pending });
        }
      }
      if (!work.length) return;
      await team.run(async (sql) => {
        for (const item of work) {
          const [row] = await sql<{ count: string }[]>`INSERT INTO subgate_key_counts
              (key_name, counter, window_start, count)
            VALUES (${item.name}, ${item.which}, ${item.counter.start}, ${item.delta})
            ON CONFLICT (key_name, counter, window_start)
              DO UPDATE SET count = subgate_key_counts.count + EXCLUDED.count
            RETURNING count`;
          item.counter.pending -= item.delta;
          item.counter.team = Number(row.count);
          item.counter.ownAtExchange = item.counter.own - item.counter.pending;
          if (item.delta > 0) {
            await team.tell(sql, "key-counts", {
              n: item.name,
              w: item.which,
              s: item.counter.start,
              c: item.counter.team,
            });
          }
        }
      });
      for (const [id, { start }] of heard) if (start < now - DAY) heard.delete(id);
    } catch (error) {
      if (!isConnectionError(error)) {
        log.warn("client-key counts could not be exchanged", { reason: (error as Error).message });
      }
    } finally {
      exchanging = false;
    }
  };
  const exchangeSoon = () => {
    soon ??= setTimeout(exchange, EXCHANGE_SOON_MS);
  };
  const every = setInterval(exchange, EXCHANGE_EVERY_MS);
  Deno.unrefTimer(every);
  const prune = setInterval(() => {
    team.run((sql) =>
      sql`DELETE FROM subgate_key_counts WHERE window_start < ${Date.now() - 2 * DAY}`
    ).catch(() => {});
  }, 3_600_000);
  Deno.unrefTimer(prune);

  return {
    admit(key: ClientKey) {
      const { requestsPerMinute, requestsPerDay, tokensPerDay } = key.limits;
      if (
        requestsPerMinute === undefined && requestsPerDay === undefined &&
        tokensPerDay === undefined
      ) {
        return undefined;
      }
      const at = Date.now();
      lastUse.set(key.name, at);
      const minute = counterOf(key.name, "minute", at);
      const day = counterOf(key.name, "day", at);
      const tokens = counterOf(key.name, "tokens", at);
      const total = (c: Counter) => c.team + c.pending;
      const refusal = limitRefusal(
        key,
        {
          tokensPerDay: tokensPerDay !== undefined && total(tokens) >= tokensPerDay,
          requestsPerDay: requestsPerDay !== undefined &&
            (total(day) >= requestsPerDay || day.own >= shareLimit(day, requestsPerDay)),
          requestsPerMinute: requestsPerMinute !== undefined &&
            (total(minute) >= requestsPerMinute ||
              minute.own >= shareLimit(minute, requestsPerMinute)),
        },
        at,
        "counted across the team's instances",
      );
      if (refusal) return refusal;
      for (const counter of [minute, day]) {
        counter.own++;
        counter.pending++;
      }
      exchangeSoon();
      return undefined;
    },
    addTokens(name, count) {
      if (!(count > 0)) return;
      const at = Date.now();
      if (!counters.has(name)) return;
      const tokens = counterOf(name, "tokens", at);
      tokens.own += count;
      tokens.pending += count;
      exchangeSoon();
    },
    usage(name) {
      const at = Date.now();
      const total = (which: CounterName) => {
        const counter = counters.get(name)?.get(which);
        return counter && counter.start === windowStart(which, at)
          ? counter.team + counter.pending
          : 0;
      };
      return {
        requestsThisMinute: total("minute"),
        requestsToday: total("day"),
        tokensToday: total("tokens"),
      };
    },
  };
}
