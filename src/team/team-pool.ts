/**
 * @module
 * Rests and plan-quota readings shared by the instances of a team: a rest
 * one instance puts on an account (a 429 with its retry-after, refused
 * credentials, a failing upstream) or lifts after a success, and a quota
 * reading that changes what routing sees, are written to the database and
 * announced; the others put them in force when they hear it (within a
 * second, usually milliseconds). Nothing on the request path waits: the
 * writes are sent after the fact, and a reading is shared at most once a
 * second per account (the last one wins).
 */
import type { Logger } from "../log/logger.ts";
import type { Cooldown } from "../pool/cooldowns.ts";
import type { Pool } from "../pool/pool.ts";
import type { QuotaWindow } from "../pool/quota-book.ts";
import { isConnectionError, type Team } from "./team.ts";

const QUOTA_EVERY_MS = 1000;

interface RestRow {
  account_id: string;
  model: string;
  kind: Cooldown["kind"];
  reason: string;
  until: Date;
  strikes: number;
  fingerprint: string | null;
}

function cooldownOf(row: RestRow): Cooldown {
  return {
    until: row.until.getTime(),
    reason: row.reason,
    kind: row.kind,
    strikes: row.strikes,
    ...(row.fingerprint ? { fingerprint: row.fingerprint } : {}),
  };
}

export function shareRestsAndQuota(team: Team, pool: Pool, log: Logger): void {
  const me = team.instance.id;
  const fail = (what: string) => (error: unknown) => {
    if (!isConnectionError(error)) {
      log.warn(`${what} could not be shared`, { reason: (error as Error).message.split("\n")[0] });
    }
  };

  pool.share({
    rested(accountId, model, cooldown) {
      team.run((sql) =>
        sql.begin(async (tx) => {
          await tx`INSERT INTO subgate_rests
              (account_id, model, kind, reason, until, strikes, fingerprint, set_by)
            VALUES (${accountId}, ${model}, ${cooldown.kind}, ${cooldown.reason},
              ${new Date(cooldown.until)}, ${cooldown.strikes}, ${cooldown.fingerprint ?? null},
              ${team.instance.name})
            ON CONFLICT (account_id, model) DO UPDATE SET kind = EXCLUDED.kind,
              reason = EXCLUDED.reason, until = EXCLUDED.until, strikes = EXCLUDED.strikes,
              fingerprint = EXCLUDED.fingerprint, set_by = EXCLUDED.set_by, set_at = now()`;
          await team.announce(tx, "rest", { a: accountId, m: model, c: cooldown });
        })
      ).catch(fail("a rest"));
    },
    cleared(accountId, model) {
      team.run((sql) =>
        sql.begin(async (tx) => {
          await tx`DELETE FROM subgate_rests WHERE account_id = ${accountId} AND model = ${model}`;
          await team.announce(tx, "rest", { a: accountId, m: model });
        })
      ).catch(fail("a lifted rest"));
    },
  });

  // Quota readings: the newest per account, sent at most once a second.
  const waiting = new Map<string, readonly QuotaWindow[]>();
  let timer: ReturnType<typeof setTimeout> | undefined;
  const sendQuota = async () => {
    timer = undefined;
    const batch = [...waiting.entries()].sort(([a], [b]) => a.localeCompare(b));
    waiting.clear();
    for (const [accountId, windows] of batch) {
      await team.run((sql) =>
        sql.begin(async (tx) => {
          await tx`INSERT INTO subgate_quota (account_id, windows, set_by)
            VALUES (${accountId}, ${tx.json(windows as never)}, ${team.instance.name})
            ON CONFLICT (account_id) DO UPDATE SET windows = EXCLUDED.windows,
              set_by = EXCLUDED.set_by, updated_at = now()`;
          await team.announce(tx, "quota", { a: accountId });
        })
      ).catch(fail("a quota reading"));
    }
  };
  pool.quota.share((accountId, windows) => {
    waiting.set(accountId, windows);
    timer ??= setTimeout(sendQuota, QUOTA_EVERY_MS);
  });

  team.on("rest", (change) => {
    if (change.i === me) return;
    pool.applyRest(String(change.a), String(change.m), change.c as Cooldown | undefined);
  });
  team.on("quota", (change) => {
    if (change.i === me) return;
    readQuota(team, pool, String(change.a)).catch(fail("a quota reading"));
  });
  const readAll = async () => {
    await loadRestsAndQuota(team, pool);
    await team.run((sql) => sql`DELETE FROM subgate_rests WHERE until < now() - interval '1 hour'`);
  };
  team.onResync(readAll);
  readAll().catch(fail("the shared rests"));
}

/** Puts the quota readings of one account (or all) from the database in the pool's book. */
async function readQuota(team: Team, pool: Pool, accountId?: string): Promise<void> {
  const rows = await team.run((sql) =>
    accountId === undefined
      ? sql<{ account_id: string; windows: QuotaWindow[] }[]>`SELECT account_id, windows
          FROM subgate_quota`
      : sql<{ account_id: string; windows: QuotaWindow[] }[]>`SELECT account_id, windows
          FROM subgate_quota WHERE account_id = ${accountId}`
  );
  for (const row of rows) pool.quota.applyWindows(row.account_id, row.windows);
}

/**
 * Puts the team's rests still in force and its quota readings in `pool`: at an instance's start
 * and after a resync, and for `subgate accounts`, which shows them as a server shows its own.
 */
export async function loadRestsAndQuota(team: Team, pool: Pool): Promise<void> {
  const rests = await team.run((sql) =>
    sql<RestRow[]>`SELECT account_id, model, kind, reason, until, strikes, fingerprint
      FROM subgate_rests WHERE until > now()`
  );
  for (const row of rests) pool.applyRest(row.account_id, row.model, cooldownOf(row));
  await readQuota(team, pool);
}
