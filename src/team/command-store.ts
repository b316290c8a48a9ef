/**
 * @module
 * The shared database as one CLI command uses it (`login`, `logout`,
 * `accounts`, `refresh`, `usage`, `store`): the cipher, the connection, the
 * schema migrated (or refused when newer), the logins' working set, the
 * usage ledger, and a close. Its changes go through the same code an
 * instance uses (`team-accounts.ts`), announced in the changing transaction,
 * so the running instances hear them at once.
 *
 * A command is not an instance: it writes no instance row, keeps no
 * heartbeat and listens to no change feed. It lives for seconds (a login, for
 * minutes) and must not count among the live instances, since the client
 * keys' limits are shared out among those.
 */
import { join } from "node:path";
import type { Config } from "../config/config-types.ts";
import { createLogger } from "../log/logger.ts";
import { createPool } from "../pool/pool.ts";
import type { AccountState } from "../pool/pool.ts";
import type { TokenCipher } from "../store/token-crypto.ts";
import type { UsageStore } from "../usage/usage-store.ts";
import { connect, describeStoreUrl, parseStoreUrl } from "./connect.ts";
import { migrate } from "./migrations.ts";
import { instanceName, storeCipher } from "./start-team.ts";
import { createTeamAccounts, liveLeases, SPOOL_DIR, type TeamAccounts } from "./team-accounts.ts";
import { loadRestsAndQuota } from "./team-pool.ts";
import { createTeamUsageStore } from "./team-usage.ts";
import {
  announceChange,
  isConnectionError,
  readInstances,
  type StoreHealth,
  type Team,
  tellOthers,
} from "./team.ts";

export interface CommandStore {
  team: Team;
  cipher: TokenCipher;
  /** The database without its password, for messages. */
  where: string;
  /** The logins, loaded (unless opened with `accounts: false`); their changes are announced. */
  accounts: TeamAccounts;
  usage: UsageStore;
  /** This host's spool: new tokens the database did not take wait there, sealed. */
  spoolDir: string;
  /**
   * What `subgate accounts` shows of a server's state, for the team: rests in force and quota
   * readings, and each account's requests and errors in the last `sinceMs`.
   */
  states(sinceMs: number): Promise<Record<string, AccountState>>;
  /** Accounts being refreshed now: name → the instance holding the lease. */
  leases(): Promise<Map<string, string>>;
  close(): Promise<void>;
}

export interface CommandStoreOptions {
  /** The command, for the name its changes and leases carry (`<instance>:<command>`). */
  command: string;
  version: string;
  /** Load the logins' working set (default true); `usage` needs none. */
  accounts?: boolean;
}

const firstLine = (error: unknown) => ((error as Error)?.message ?? String(error)).split("\n")[0];

/** A `Team` for a command: connected and migrated, announcing changes, hearing none. */
async function openCommandTeam(url: string, name: string): Promise<Team> {
  const id = crypto.randomUUID();
  const sql = await connect(url, { instance: name, max: 2 });
  try {
    await migrate(sql, name);
  } catch (error) {
    await sql.end({ timeout: 1 }).catch(() => {});
    throw error;
  }
  let health: StoreHealth = { up: true, since: Date.now(), outages: 0 };
  const run: Team["run"] = async (work) => {
    try {
      return await work(sql);
    } catch (error) {
      if (isConnectionError(error) && health.up) {
        health = { up: false, since: Date.now(), reason: firstLine(error), outages: 1 };
      }
      throw error;
    }
  };
  return {
    sql,
    instance: { id, name },
    where: describeStoreUrl(url),
    health: () => ({ ...health }),
    run,
    // Nothing to hear: a command reads what it needs once, and ends.
    on() {},
    onResync() {},
    onUp() {},
    announce: (tx, kind, fields) => announceChange(tx, id, kind, fields),
    tell: (db, kind, fields) => tellOthers(db, id, kind, fields),
    instances: () => readInstances(run, id),
    liveRank: () => ({ rank: 0, count: 1 }),
    setUrl() {},
    close: () => sql.end({ timeout: 2 }).catch(() => {}),
  };
}

/**
 * The reason a store could not be opened, in one line naming it without its password (a
 * driver's message might quote the URL it was given).
 */
function openProblem(url: string, error: unknown): Error {
  const where = describeStoreUrl(url);
  const password = parseStoreUrl(url).password;
  let reason = firstLine(error);
  if (password) reason = reason.split(password).join("***");
  return new Error(
    isConnectionError(error) ? `${where} is unreachable (${reason})` : `${where}: ${reason}`,
  );
}

/**
 * Opens the shared store named by `config.store`; throws with a one-line reason: the store key
 * missing or weak (as `serve` says it), the URL malformed, the database unreachable or newer.
 */
export async function openCommandStore(
  config: Config,
  options: CommandStoreOptions,
): Promise<CommandStore> {
  const url = config.store!;
  parseStoreUrl(url);
  const cipher = await storeCipher();
  let team: Team;
  try {
    team = await openCommandTeam(url, `${instanceName(config)}:${options.command}`);
  } catch (error) {
    throw openProblem(url, error);
  }
  // Errors only: a command reports what it did itself; tokens that could not be kept must show.
  const log = createLogger("error");
  const accounts = createTeamAccounts({ team, cipher, authDir: config.authDir, log });
  if (options.accounts !== false) {
    try {
      await accounts.load();
    } catch (error) {
      await team.close();
      throw openProblem(url, error);
    }
  }
  const usage = createTeamUsageStore(team);
  return {
    team,
    cipher,
    where: team.where,
    accounts,
    usage,
    spoolDir: join(config.authDir, SPOOL_DIR),
    async states(sinceMs) {
      const pool = createPool();
      await loadRestsAndQuota(team, pool);
      const states = pool.snapshot();
      const to = Date.now();
      for (const total of await usage.totals({ from: to - sinceMs, to, group: "account" })) {
        if (!total.group) continue;
        states[total.group] ??= { requests: 0, errors: 0, resting: [] };
        states[total.group].requests = total.requests;
        states[total.group].errors = total.errors;
      }
      return states;
    },
    leases: () => liveLeases(team),
    async close() {
      accounts.close();
      await team.close();
    },
  };
}
