/**
 * @module
 * Logins in the shared database: each instance's working set (every account,
 * decrypted, in memory: the request path never waits on the database), kept
 * current by change notifications, and the refresh engine's storage for
 * teams: one refresh per rotation across instances.
 *
 * The lease protocol (see README, "Teams"):
 *
 * 1. Claim: one statement takes the account's lease (a claim id, this
 *    instance's name, an end) only when no live lease exists and the row's
 *    generation is the one this instance saw. A lease left by a claimer that
 *    never finished (it died, or its token request got no answer) marks the
 *    refresh as interrupted.
 * 2. The token request is sent only while the lease has the request's
 *    timeout plus a margin left; the request is given up at its timeout, well
 *    before the lease ends. No connection or transaction is held meanwhile.
 * 3. The answer's tokens are written first, in one transaction: a receipt
 *    row, the new sealed record with generation + 1, the lease cleared, and
 *    the notification. When that fails (the database is unreachable), the
 *    tokens go to a 0600 spool file in the auth dir (sealed too), are used
 *    from memory, and are replayed as soon as the database answers.
 * 4. A refusal or failure is written only while the lease is still this
 *    claim's. An interrupted refresh is tried once by the next claimer: a
 *    spent token's refusal then marks the account "needs login", saying why.
 */
import { join } from "node:path";
import { createHash } from "node:crypto";
import type { AccountBackend, Claim, ClaimResult } from "../auth/refresh/token-storage.ts";
import { ensurePrivateDir, writeFileAtomic } from "../fs/write-file-atomic.ts";
import type { Json } from "../ir/json.ts";
import type { Logger } from "../log/logger.ts";
import type { LoginAccount } from "../store/account.ts";
import type { AuthStore } from "../store/auth-store.ts";
import { parseAccountFile } from "../store/parse-account-file.ts";
import { IN_FLIGHT_KEY } from "../store/refresh-marks.ts";
import type { TokenCipher } from "../store/token-crypto.ts";
import { type Change, isConnectionError, type Team } from "./team.ts";

/** Keys a person sets on an account: a refresh writing at the same time keeps the database's. */
const PERSON_KEYS = ["disabled", "excluded_models", "prefix", "note", "priority", "headers"];

/** The spool directory inside the auth dir: tokens waiting for the database. */
export const SPOOL_DIR = ".subgate-spool";

interface Entry {
  generation: number;
  record: Json;
  account?: LoginAccount;
  interrupted: boolean;
}

interface Row {
  name: string;
  generation: string | number;
  sealed: string;
  refresh_interrupted: boolean;
}

interface Spooled {
  name: string;
  record: Json;
  /** The refresh token the token request spent. */
  sent: unknown;
  generation: number;
  claim: string;
  at: number;
  /**
   * A second keep of the same answer (after its checks) once the first is stored: stored only
   * while nothing has happened since (same generation, no lease taken), else left out.
   */
  followUp?: boolean;
}

export interface TeamAccounts extends AuthStore, AccountBackend {
  /** Accounts whose newest tokens wait in the spool for the database. */
  spooled(): number;
}

export interface TeamAccountsOptions {
  team: Team;
  cipher: TokenCipher;
  /** The auth dir: the spool lives there. */
  authDir: string;
  log: Logger;
}

const context = (name: string) => `account:${name}`;

/** The lease margin for a token request of `timeoutMs`: clamped to 1–10 s. */
export function leaseMarginMs(timeoutMs: number): number {
  return Math.min(10_000, Math.max(1000, timeoutMs / 2));
}

function plainColumns(record: Json, name: string) {
  const parsed = parseAccountFile(name, JSON.stringify(record));
  const expires = parsed.ok ? parsed.account.expiresAt : undefined;
  return {
    provider: parsed.ok ? parsed.account.provider : String(record.type ?? "unknown"),
    label: parsed.ok ? parsed.account.label : name,
    disabled: record.disabled === true,
    needs_login: record.needs_login === true,
    last_error: typeof record.last_error === "string" ? record.last_error.slice(0, 500) : null,
    expires_at: expires ?? null,
  };
}

/** `next`, with the keys a person sets taken from the database's current record. */
function withPersonKeys(next: Json, current: Json): Json {
  const merged: Json = { ...next };
  for (const key of PERSON_KEYS) {
    if (key in current) merged[key] = current[key];
    else delete merged[key];
  }
  delete merged[IN_FLIGHT_KEY];
  return merged;
}

export function createTeamAccounts(options: TeamAccountsOptions): TeamAccounts {
  const { team, cipher, log } = options;
  const me = team.instance.name;
  const entries = new Map<string, Entry>();
  const problems = new Map<string, string>();
  const spool = new Map<string, Spooled>();
  const waiters = new Map<string, Set<() => void>>();
  const spoolDir = join(options.authDir, SPOOL_DIR);
  let snapshot: LoginAccount[] = [];
  let onChange: (() => void) | undefined;
  let replayTimer: ReturnType<typeof setInterval> | undefined;

  const seal = (name: string, record: Json) => cipher.seal(JSON.stringify(record), context(name));
  const unseal = async (name: string, sealed: string): Promise<Json> =>
    JSON.parse(await cipher.open(sealed, context(name)));

  const rebuild = () => {
    snapshot = [...entries.values()].map((entry) => entry.account)
      .filter((account): account is LoginAccount => account !== undefined)
      .sort((a, b) => a.id.localeCompare(b.id));
    onChange?.();
  };

  const wake = (name: string) => {
    const list = waiters.get(name);
    if (!list) return;
    waiters.delete(name);
    for (const resolve of list) resolve();
  };

  /** Puts a record in the working set. */
  const setEntry = (name: string, generation: number, record: Json, interrupted: boolean) => {
    const marked = interrupted && typeof record.last_error !== "string"
      ? { ...record, [IN_FLIGHT_KEY]: true }
      : record;
    const parsed = parseAccountFile(name, JSON.stringify(marked));
    if (!parsed.ok) {
      problems.set(name, parsed.reason);
      entries.set(name, { generation, record, interrupted });
    } else {
      problems.delete(name);
      entries.set(name, { generation, record, interrupted, account: parsed.account });
    }
  };

  const applyRow = async (row: Row) => {
    const generation = Number(row.generation);
    // Tokens waiting in the spool are newer than the database's until they are replayed.
    if (spool.has(row.name)) return;
    try {
      setEntry(row.name, generation, await unseal(row.name, row.sealed), row.refresh_interrupted);
    } catch (error) {
      problems.set(row.name, `cannot decrypt: ${(error as Error).message}`);
      entries.delete(row.name);
    }
  };

  const readRow = async (name: string): Promise<Row | undefined> => {
    const rows = await team.run((sql) =>
      sql<Row[]>`SELECT name, generation, sealed, refresh_interrupted
        FROM subgate_accounts WHERE name = ${name}`
    );
    return rows[0];
  };

  const loadAll = async () => {
    const rows = await team.run((sql) =>
      sql<Row[]>`SELECT name, generation, sealed, refresh_interrupted FROM subgate_accounts`
    );
    const present = new Set(rows.map((row) => row.name));
    for (const name of [...entries.keys()]) {
      if (!present.has(name) && !spool.has(name)) entries.delete(name);
    }
    for (const name of [...problems.keys()]) if (!present.has(name)) problems.delete(name);
    for (const row of rows) {
      const known = entries.get(row.name);
      if (known && known.generation === Number(row.generation)) continue;
      await applyRow(row);
    }
    rebuild();
  };

  /** The one transaction that stores a token answer: receipt, tokens, generation + 1, notify. */
  const commitTokens = async (item: Spooled, outcome: "refreshed" | "checked" | "replayed") => {
    return await team.run((sql) =>
      sql.begin(async (tx) => {
        const [receipt] = await tx<{ id: string }[]>`INSERT INTO subgate_refresh_receipts
          (account, claim_id, instance, outcome)
          VALUES (${item.name}, ${item.claim}, ${me}, ${outcome}) RETURNING id`;
        const [row] = await tx<(Row & { leased: boolean })[]>`SELECT name, generation, sealed,
            refresh_interrupted, lease_id IS NOT NULL AS leased
          FROM subgate_accounts WHERE name = ${item.name} FOR UPDATE`;
        if (!row) {
          await tx`UPDATE subgate_refresh_receipts SET outcome = 'account gone' WHERE id = ${receipt.id}`;
          return undefined;
        }
        if (item.followUp && (row.leased || Number(row.generation) !== item.generation)) {
          // Its tokens are stored already; another refresh (or a person) has moved on since.
          await tx`UPDATE subgate_refresh_receipts SET outcome = 'superseded' WHERE id = ${receipt.id}`;
          return undefined;
        }
        const current = await unseal(item.name, row.sealed);
        if (current.refresh_token !== item.sent && Number(row.generation) !== item.generation) {
          // A new login replaced the account meanwhile: its tokens win.
          await tx`UPDATE subgate_refresh_receipts SET outcome = 'superseded' WHERE id = ${receipt.id}`;
          return undefined;
        }
        const record = withPersonKeys(item.record, current);
        const columns = plainColumns(record, item.name);
        const [updated] = await tx<{ generation: string }[]>`UPDATE subgate_accounts SET
            sealed = ${await seal(item.name, record)}, generation = generation + 1,
            provider = ${columns.provider}, label = ${columns.label},
            disabled = ${columns.disabled}, needs_login = ${columns.needs_login},
            last_error = ${columns.last_error}, expires_at = ${columns.expires_at},
            refresh_interrupted = false,
            lease_id = NULL, lease_owner = NULL, lease_until = NULL,
            updated_at = now(), updated_by = ${me}
          WHERE name = ${item.name} RETURNING generation`;
        const generation = Number(updated.generation);
        await tx`UPDATE subgate_refresh_receipts SET generation = ${generation} WHERE id = ${receipt.id}`;
        await team.announce(tx, "account", { n: item.name, g: generation });
        return { generation, record };
      })
    );
  };

  const spoolPath = (name: string) =>
    join(spoolDir, `${createHash("sha256").update(name).digest("hex").slice(0, 32)}.json`);

  const writeSpool = async (item: Spooled) => {
    spool.set(item.name, item);
    try {
      await ensurePrivateDir(spoolDir);
      const sealed = await cipher.seal(JSON.stringify(item), `spool:${item.name}`);
      await writeFileAtomic(spoolPath(item.name), JSON.stringify({ account: item.name, sealed }));
      log.warn("new tokens spooled until the shared database answers", {
        account: item.name,
        file: spoolPath(item.name),
      });
    } catch (error) {
      log.error("new tokens could not be spooled either; they are kept in memory", {
        account: item.name,
        reason: (error as Error).message,
      });
    }
    replayTimer ??= setInterval(() => void replayAll(), 2000);
    Deno.unrefTimer(replayTimer);
  };

  /** Stores one spooled answer; true when it left the spool. */
  const replay = async (name: string): Promise<boolean> => {
    const item = spool.get(name);
    if (!item) return true;
    try {
      const stored = await commitTokens(item, "replayed");
      spool.delete(name);
      await Deno.remove(spoolPath(name)).catch(() => {});
      log.info("spooled tokens written to the shared database", { account: name });
      if (stored) setEntry(name, stored.generation, stored.record, false);
      else {
        const row = await readRow(name).catch(() => undefined);
        if (row) await applyRow(row);
      }
      rebuild();
      wake(name);
      return true;
    } catch (error) {
      if (!isConnectionError(error)) {
        log.warn("spooled tokens not written yet", {
          account: name,
          reason: (error as Error).message,
        });
      }
      return false;
    }
  };

  const replayAll = async () => {
    for (const name of [...spool.keys()]) await replay(name);
    if (spool.size === 0 && replayTimer !== undefined) {
      clearInterval(replayTimer);
      replayTimer = undefined;
    }
  };

  /** Spool files left by an earlier run of this instance (it stopped before the database came back). */
  const readSpoolDir = async () => {
    try {
      for await (const item of Deno.readDir(spoolDir)) {
        if (!item.isFile || !item.name.endsWith(".json")) continue;
        try {
          const file = JSON.parse(await Deno.readTextFile(join(spoolDir, item.name)));
          const name = String(file.account);
          const opened = JSON.parse(await cipher.open(file.sealed, `spool:${name}`)) as Spooled;
          spool.set(name, opened);
          setEntry(name, opened.generation, opened.record, false);
        } catch (error) {
          log.error("a spool file cannot be read", {
            file: item.name,
            reason: (error as Error).message,
          });
        }
      }
    } catch (error) {
      if (!(error instanceof Deno.errors.NotFound)) throw error;
    }
  };

  team.on("account", (change: Change) => {
    const name = String(change.n ?? "");
    if (!name) return;
    void (async () => {
      if (change.deleted) {
        if (!spool.has(name)) entries.delete(name);
        problems.delete(name);
      } else {
        const known = entries.get(name);
        if (known && change.g !== undefined && known.generation >= Number(change.g)) {
          wake(name);
          return;
        }
        const row = await readRow(name);
        if (row) await applyRow(row);
        else entries.delete(name);
      }
      rebuild();
      wake(name);
    })().catch((error) => {
      if (!isConnectionError(error)) {
        log.warn("an account change could not be read", { account: name, reason: String(error) });
      }
    });
  });
  team.onResync(async () => {
    await replayAll();
    await loadAll();
  });
  team.onUp(() => void replayAll());

  const leaseFor = (timeoutMs: number) => timeoutMs + 2 * leaseMarginMs(timeoutMs);

  /** A claim that sends nothing: the working set already holds newer tokens than the caller. */
  const readOnlyClaim = (record: Json): Claim => ({
    record,
    interrupted: false,
    begin: () => Promise.resolve({ ok: false, reason: "another instance refreshed it already" }),
    keep: () => Promise.resolve(),
    note: () => Promise.resolve(),
    release: () => Promise.resolve(),
  });

  const claimOnce = async (
    name: string,
    generation: number,
    leaseMs: number,
  ): Promise<{ claim: string; row?: Row; leftMs: number; at: number }> => {
    const claim = crypto.randomUUID();
    const at = performance.now();
    const rows = await team.run((sql) =>
      sql<(Row & { left_ms: number })[]>`UPDATE subgate_accounts SET
          refresh_interrupted = (refresh_interrupted OR lease_id IS NOT NULL),
          lease_id = ${claim}, lease_owner = ${me},
          lease_until = now() + make_interval(secs => ${leaseMs / 1000}),
          updated_at = now()
        WHERE name = ${name} AND generation = ${generation}
          AND (lease_id IS NULL OR lease_until < now())
        RETURNING name, generation, sealed, refresh_interrupted,
          (extract(epoch FROM lease_until - now()) * 1000)::float8 AS left_ms`
    );
    const elapsed = performance.now() - at;
    return {
      claim,
      row: rows[0],
      leftMs: (rows[0]?.left_ms ?? 0) - elapsed,
      at: performance.now(),
    };
  };

  const makeClaim = (
    name: string,
    taken: { claim: string; row: Row; leftMs: number; at: number },
    record: Json,
  ): Claim => {
    // What the database holds as far as this claim knows: its tokens become the claim's own once
    // kept, since a refresh keeps twice (the answer before its checks, then after them).
    let generation = Number(taken.row.generation);
    const leaseEnd = taken.at + taken.leftMs;
    let done = false;
    let sent = record.refresh_token;
    let stored = false;
    return {
      record,
      interrupted: taken.row.refresh_interrupted,
      begin(timeoutMs) {
        const left = leaseEnd - performance.now();
        if (left < timeoutMs + leaseMarginMs(timeoutMs)) {
          return Promise.resolve({
            ok: false,
            reason: `the lease has ${Math.max(0, Math.round(left))} ms left, too little for a ` +
              `token request: no refresh sent`,
          });
        }
        return Promise.resolve({ ok: true, deadline: Date.now() + timeoutMs });
      },
      async keep(next) {
        done = true;
        const item: Spooled = {
          name,
          record: next,
          sent,
          generation,
          claim: taken.claim,
          at: Date.now(),
          followUp: stored,
        };
        // In the working set first: this instance serves with the new tokens from now on.
        setEntry(name, generation, next, false);
        rebuild();
        try {
          const committed = await commitTokens(item, item.followUp ? "checked" : "refreshed");
          if (committed) {
            setEntry(name, committed.generation, committed.record, false);
            generation = committed.generation;
            sent = committed.record.refresh_token;
            stored = true;
          } else {
            if (!item.followUp) {
              log.warn("refreshed tokens not stored: the account was replaced meanwhile", {
                account: name,
              });
            }
            const row = await readRow(name);
            if (row) await applyRow(row);
          }
          rebuild();
          wake(name);
        } catch (error) {
          log.error("refreshed tokens could not be written to the shared database", {
            account: name,
            reason: (error as Error).message.split("\n")[0],
          });
          await writeSpool(item);
        }
      },
      async note(next, interrupted) {
        done = true;
        try {
          await team.run((sql) =>
            sql.begin(async (tx) => {
              const [row] = await tx<Row[]>`SELECT name, generation, sealed, refresh_interrupted
                FROM subgate_accounts WHERE name = ${name} AND lease_id = ${taken.claim} FOR UPDATE`;
              if (!row) return;
              const record = withPersonKeys(next, await unseal(name, row.sealed));
              const columns = plainColumns(record, name);
              const [updated] = await tx<{ generation: string }[]>`UPDATE subgate_accounts SET
                  sealed = ${await seal(name, record)}, generation = generation + 1,
                  needs_login = ${columns.needs_login}, last_error = ${columns.last_error},
                  disabled = ${columns.disabled},
                  refresh_interrupted = ${interrupted},
                  lease_id = NULL, lease_owner = NULL, lease_until = NULL,
                  updated_at = now(), updated_by = ${me}
                WHERE name = ${name} RETURNING generation`;
              setEntry(name, Number(updated.generation), record, interrupted);
              await team.announce(tx, "account", { n: name, g: Number(updated.generation) });
            })
          );
          rebuild();
        } catch (error) {
          // The lease runs out by itself; the next claimer finds the refresh interrupted.
          log.warn("a refresh's outcome could not be written to the shared database", {
            account: name,
            reason: (error as Error).message.split("\n")[0],
          });
        }
      },
      async release() {
        if (done) return;
        done = true;
        await team.run((sql) =>
          sql`UPDATE subgate_accounts SET lease_id = NULL, lease_owner = NULL, lease_until = NULL
            WHERE name = ${name} AND lease_id = ${taken.claim}`
        ).catch(() => {});
      },
    };
  };

  const store: TeamAccounts = {
    kind: "postgres",
    dir: options.authDir,
    where: `the shared database ${team.where}`,
    key: (file) => `postgres:${file}`,
    current: (file) => Promise.resolve(entries.get(file)?.record),
    async claim(file, hints = {}): Promise<ClaimResult> {
      if (spool.has(file) && !(await replay(file))) {
        return {
          ok: false,
          busy: false,
          reason: "its newest tokens wait in this instance's spool for the shared database: " +
            "no refresh sent",
        };
      }
      const timeoutMs = hints.timeoutMs ?? 30_000;
      for (let attempt = 0; attempt < 3; attempt++) {
        const entry = entries.get(file);
        if (!entry) return { ok: false, busy: false, reason: "the account is gone" };
        if (hints.knownAccessToken && entry.record.access_token !== hints.knownAccessToken) {
          return { ok: true, claim: readOnlyClaim(entry.record) };
        }
        let taken;
        try {
          taken = await claimOnce(file, entry.generation, leaseFor(timeoutMs));
        } catch (error) {
          return {
            ok: false,
            busy: false,
            reason: `the shared database is unreachable (${
              (error as Error).message.split("\n")[0]
            }): no refresh sent`,
          };
        }
        if (taken.row) {
          const record = await unseal(file, taken.row.sealed);
          return { ok: true, claim: makeClaim(file, { ...taken, row: taken.row }, record) };
        }
        // Not taken: someone holds a live lease, or the account changed since this instance
        // read it.
        const current = await team.run((sql) =>
          sql<(Row & { lease_owner: string | null; left_ms: number | null })[]>`SELECT
              name, generation, sealed, refresh_interrupted, lease_owner,
              CASE WHEN lease_id IS NOT NULL AND lease_until > now()
                THEN (extract(epoch FROM lease_until - now()) * 1000)::float8 END AS left_ms
            FROM subgate_accounts WHERE name = ${file}`
        ).catch(() => []);
        const row = current[0];
        if (!row) return { ok: false, busy: false, reason: "the account is gone" };
        if (Number(row.generation) !== entry.generation) {
          await applyRow(row);
          rebuild();
        }
        if (row.left_ms !== null) {
          return {
            ok: false,
            busy: true,
            reason: `instance ${row.lease_owner} is refreshing it`,
            until: Date.now() + row.left_ms,
          };
        }
      }
      return { ok: false, busy: false, reason: "the account kept changing: no refresh sent" };
    },
    changed(file, until) {
      return new Promise<void>((resolve) => {
        const list = waiters.get(file) ?? new Set();
        const timer = setTimeout(done, Math.max(0, until - Date.now()));
        function done() {
          clearTimeout(timer);
          list.delete(done);
          resolve();
        }
        list.add(done);
        waiters.set(file, list);
      });
    },
    async setDisabled(file, disabled) {
      return await change(file, (record) => {
        const next = { ...record };
        if (disabled) next.disabled = true;
        else delete next.disabled;
        return next;
      });
    },
    async remove(file) {
      const removed = await team.run((sql) =>
        sql.begin(async (tx) => {
          const rows = await tx`DELETE FROM subgate_accounts WHERE name = ${file} RETURNING name`;
          if (rows.length) await team.announce(tx, "account", { n: file, deleted: true });
          return rows.length > 0;
        })
      );
      if (removed) {
        entries.delete(file);
        rebuild();
      }
      return removed as boolean;
    },
    async save(file, record) {
      const clean = { ...record };
      delete clean[IN_FLIGHT_KEY];
      const columns = plainColumns(clean, file);
      const sealed = await seal(file, clean);
      const generation = await team.run((sql) =>
        sql.begin(async (tx) => {
          const [row] = await tx<{ generation: string }[]>`INSERT INTO subgate_accounts
              (name, provider, label, sealed, disabled, needs_login, last_error, expires_at,
               updated_by)
            VALUES (${file}, ${columns.provider}, ${columns.label}, ${sealed}, ${columns.disabled},
              ${columns.needs_login}, ${columns.last_error}, ${columns.expires_at}, ${me})
            ON CONFLICT (name) DO UPDATE SET
              provider = EXCLUDED.provider, label = EXCLUDED.label, sealed = EXCLUDED.sealed,
              disabled = EXCLUDED.disabled, needs_login = EXCLUDED.needs_login,
              last_error = EXCLUDED.last_error, expires_at = EXCLUDED.expires_at,
              generation = subgate_accounts.generation + 1, refresh_interrupted = false,
              updated_at = now(), updated_by = EXCLUDED.updated_by
            RETURNING generation`;
          await team.announce(tx, "account", { n: file, g: Number(row.generation) });
          return Number(row.generation);
        })
      );
      setEntry(file, generation as number, clean, false);
      rebuild();
    },
    accounts: () => snapshot,
    problems: () => problems,
    unsafeFiles: () => new Set<string>(),
    skippedFiles: () => new Set<string>(),
    async load() {
      await loadAll();
      await readSpoolDir();
      if (spool.size) {
        rebuild();
        await replayAll();
        replayTimer ??= setInterval(() => void replayAll(), 2000);
        Deno.unrefTimer(replayTimer);
      }
    },
    watch(listener) {
      onChange = listener;
    },
    close() {
      onChange = undefined;
      if (replayTimer !== undefined) clearInterval(replayTimer);
      replayTimer = undefined;
    },
    spooled: () => spool.size,
  };

  /** A change a person makes to one account's record: one transaction, announced. */
  const change = async (file: string, edit: (record: Json) => Json): Promise<boolean> => {
    const result = await team.run((sql) =>
      sql.begin(async (tx) => {
        const [row] = await tx<Row[]>`SELECT name, generation, sealed, refresh_interrupted
          FROM subgate_accounts WHERE name = ${file} FOR UPDATE`;
        if (!row) return undefined;
        const record = edit(await unseal(file, row.sealed));
        const columns = plainColumns(record, file);
        const [updated] = await tx<{ generation: string }[]>`UPDATE subgate_accounts SET
            sealed = ${await seal(file, record)}, generation = generation + 1,
            disabled = ${columns.disabled}, needs_login = ${columns.needs_login},
            last_error = ${columns.last_error}, updated_at = now(), updated_by = ${me}
          WHERE name = ${file} RETURNING generation`;
        await team.announce(tx, "account", { n: file, g: Number(updated.generation) });
        return {
          generation: Number(updated.generation),
          record,
          interrupted: row.refresh_interrupted,
        };
      })
    ) as { generation: number; record: Json; interrupted: boolean } | undefined;
    if (!result) return false;
    setEntry(file, result.generation, result.record, result.interrupted);
    rebuild();
    return true;
  };

  return store;
}

/** The accounts whose refresh lease is live now, each with the instance holding it. */
export async function liveLeases(team: Team): Promise<Map<string, string>> {
  const rows = await team.run((sql) =>
    sql<{ name: string; lease_owner: string | null }[]>`SELECT name, lease_owner
      FROM subgate_accounts WHERE lease_id IS NOT NULL AND lease_until > now()`
  );
  return new Map(rows.map((row) => [row.name, row.lease_owner ?? "another instance"]));
}
