/**
 * @module
 * Turns at the providers' usage endpoints for a team (`PollTurns`): without
 * them every instance would ask each login's endpoint, N times as often as one
 * subgate. A login's row in `subgate_quota_polls` says when it is due
 * (`next_at`, set by the last poll: the pace, or a failure's backoff, so a
 * 429's `retry-after` holds for the team) and who holds the turn. When a login
 * is due, each instance tries to claim it in one statement; the row lock lets
 * one win, for as long as a poll may take. The winner asks, writes when it is
 * due next, clears the claim and announces the poll (`quota-poll`); its
 * reading travels as any reading does (`team-pool.ts`). The others wait
 * until it is due again.
 *
 * No instance owns a login: whoever claims first when it is due asks. An
 * instance killed between two polls leaves nothing behind; one killed during a
 * poll holds the turn at most until its claim ends (the poll's timeout and a
 * margin, half a minute), then the next claimer asks. With the database
 * unreachable a claim is answered "ask yourself": each instance polls as a
 * subgate alone does, since no reading could be shared anyway.
 */
import type { Logger } from "../log/logger.ts";
import type { PollNote } from "../pool/quota-book.ts";
import type { PollTurns } from "../pool/quota-poller.ts";
import type { Sql } from "./connect.ts";
import { isConnectionError, type Team } from "./team.ts";

interface PollRow {
  account_id: string;
  polled_by: string | null;
  polled_at: Date | null;
  poll_error: string | null;
  next_at: Date;
  /** Milliseconds until it is due, by the database's clock. */
  wait_ms: number;
}

/** What a `quota-poll` notification carries besides its kind. */
interface PollChange {
  a: string;
  n: PollNote;
}

const reasonOf = (error: unknown) => (error as Error)?.message?.split("\n")[0] ?? String(error);

/**
 * Claims the login's turn when it is due and no live claim holds it; when not, how long until it
 * is due (by the database's clock, so the instances' clocks need not agree). Of instances claiming
 * at once, one wins: the conflict's WHERE sees the row as the first claimer left it.
 */
async function claimTurn(
  sql: Sql,
  accountId: string,
  me: string,
  holdMs: number,
): Promise<true | { waitMs: number }> {
  const won =
    await sql`INSERT INTO subgate_quota_polls (account_id, next_at, claimed_by, claim_until)
    VALUES (${accountId}, now(), ${me}, now() + make_interval(secs => ${holdMs / 1000}))
    ON CONFLICT (account_id) DO UPDATE SET claimed_by = EXCLUDED.claimed_by,
      claim_until = EXCLUDED.claim_until
    WHERE subgate_quota_polls.next_at <= now()
      AND (subgate_quota_polls.claim_until IS NULL OR subgate_quota_polls.claim_until <= now())
    RETURNING account_id`;
  if (won.length) return true;
  const [row] = await sql<{ wait_ms: number }[]>`SELECT (extract(epoch FROM
      greatest(next_at, coalesce(claim_until, next_at)) - now()) * 1000)::float8 AS wait_ms
    FROM subgate_quota_polls WHERE account_id = ${accountId}`;
  return { waitMs: Math.max(0, row?.wait_ms ?? 0) };
}

export function createTeamQuotaPolls(team: Team, log: Logger): PollTurns {
  const me = team.instance.id;
  const name = team.instance.name;
  const listeners: ((accountId: string, note: PollNote) => void)[] = [];
  const tell = (accountId: string, note: PollNote) => {
    for (const listener of listeners) listener(accountId, note);
  };
  const warn = (what: string) => (error: unknown) => {
    if (!isConnectionError(error)) log.warn(what, { reason: reasonOf(error) });
  };

  /** Every login's last poll, as a (re)connected instance learns them. */
  const readAll = async () => {
    const rows = await team.run((sql) =>
      sql<PollRow[]>`SELECT account_id, polled_by, polled_at, poll_error, next_at,
          (extract(epoch FROM next_at - now()) * 1000)::float8 AS wait_ms
        FROM subgate_quota_polls WHERE polled_at IS NOT NULL`
    );
    for (const row of rows) {
      tell(row.account_id, {
        at: row.polled_at!.getTime(),
        next: Date.now() + Math.max(0, row.wait_ms),
        ...(row.poll_error ? { error: row.poll_error } : {}),
        ...(row.polled_by ? { by: row.polled_by } : {}),
      });
    }
  };

  team.on("quota-poll", (change) => {
    if (change.i === me) return;
    const { a, n } = change as unknown as PollChange;
    tell(a, n);
  });

  return {
    by: name,
    async claim(accountId, holdMs) {
      try {
        return await team.run((sql) => claimTurn(sql, accountId, me, holdMs));
      } catch (error) {
        warn("the turn at a usage endpoint could not be claimed; asking it alone")(error);
        return true;
      }
    },
    polled(accountId, note) {
      const waitS = Math.max(0, ((note.next ?? note.at) - note.at) / 1000);
      team.run((sql) =>
        sql.begin(async (tx) => {
          await tx`INSERT INTO subgate_quota_polls
              (account_id, next_at, polled_by, polled_at, poll_error)
            VALUES (${accountId}, now() + make_interval(secs => ${waitS}), ${name}, now(),
              ${note.error ?? null})
            ON CONFLICT (account_id) DO UPDATE SET next_at = EXCLUDED.next_at,
              polled_by = EXCLUDED.polled_by, polled_at = EXCLUDED.polled_at,
              poll_error = EXCLUDED.poll_error,
              claimed_by = CASE WHEN subgate_quota_polls.claimed_by = ${me} THEN NULL
                ELSE subgate_quota_polls.claimed_by END,
              claim_until = CASE WHEN subgate_quota_polls.claimed_by = ${me} THEN NULL
                ELSE subgate_quota_polls.claim_until END`;
          await team.announce(tx, "quota-poll", { a: accountId, n: { ...note, by: name } });
        })
      ).catch(warn("a usage endpoint's poll could not be noted for the team"));
    },
    onPolled(listener) {
      listeners.push(listener);
      team.onResync(readAll);
      readAll().catch(warn("the team's usage endpoint polls could not be read"));
    },
  };
}
