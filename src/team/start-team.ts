/**
 * @module
 * Teams mode as the server starts it: the instance's name, the token cipher
 * (`SUBGATE_STORE_KEY`, required), the database (connected, migrated,
 * listened to) and the logins' working set, loaded. Loaded by
 * `cli/serve-command.ts` only when a store URL is set, so a single-user
 * subgate never loads this folder or the PostgreSQL client.
 */
import type { Config } from "../config/config-types.ts";
import type { Logger } from "../log/logger.ts";
import { createTokenCipher, STORE_KEY_ENV, type TokenCipher } from "../store/token-crypto.ts";
import { parseStoreUrl } from "./connect.ts";
import { createTeamAccounts, type TeamAccounts } from "./team-accounts.ts";
import { openTeam, type Team } from "./team.ts";
import type { KeyStore } from "../keys/key-store.ts";
import type { KeyLimiter } from "../keys/key-limits.ts";
import type { UsageStore } from "../usage/usage-store.ts";
import type { Pool } from "../pool/pool.ts";
import type { InstanceView, StoreHealth } from "./team.ts";
import { createTeamKeyLimiter, createTeamKeyStore } from "./team-keys.ts";
import { createTeamUsageStore } from "./team-usage.ts";
import { shareRestsAndQuota } from "./team-pool.ts";
import { createTeamConfig, type TeamConfig } from "./team-config.ts";
import { createTeamQuotaPolls } from "./team-quota-polls.ts";
import type { PollTurns } from "../pool/quota-poller.ts";

export interface StartedTeam {
  team: Team;
  cipher: TokenCipher;
  accounts: TeamAccounts;
  keyStore: KeyStore;
  limiter: KeyLimiter;
  usage: UsageStore;
  /** The config the instances share (`PUT /manage/config` saves it there). */
  config: TeamConfig;
  /** Turns at the usage endpoints: one instance asks each login at a time. */
  quotaTurns: PollTurns;
  /** What the management API and `/metrics` show of the store (its `StoreSource`). */
  source: {
    name: string;
    where: string;
    health(): StoreHealth;
    spooled(): number;
    instances(): Promise<InstanceView[]>;
  };
  /** Shares the pool's rests and quota readings with the other instances. */
  share(pool: Pool): void;
  close(): Promise<void>;
}

const INSTANCE_ENV = "SUBGATE_INSTANCE_NAME";

function readEnv(name: string): string | undefined {
  try {
    return Deno.env.get(name)?.trim() || undefined;
  } catch {
    return undefined;
  }
}

/**
 * This instance's name: `instance-name`, else `SUBGATE_INSTANCE_NAME`, else the host name.
 * Deno's host name call needs the `sys` permission, which subgate's permission set does not
 * grant; the host name is read from `/etc/hostname` (Linux, and every container) or the
 * `HOSTNAME` variable (set by Docker and most shells) instead.
 */
export function instanceName(config: Config): string {
  const named = config.instanceName ?? readEnv(INSTANCE_ENV);
  if (named) return named;
  let host: string | undefined;
  try {
    host = Deno.readTextFileSync("/etc/hostname").trim().split("\n")[0];
  } catch {
    host = undefined;
  }
  host ||= readEnv("HOSTNAME");
  const clean = host?.replace(/[^A-Za-z0-9._:-]/g, "-").replace(/^[^A-Za-z0-9]+/, "").slice(0, 63);
  return clean || "subgate";
}

/** The cipher from `SUBGATE_STORE_KEY`; throws with what to do when it is missing or weak. */
export async function storeCipher(): Promise<TokenCipher> {
  const text = readEnv(STORE_KEY_ENV);
  if (!text) {
    throw new Error(
      `${STORE_KEY_ENV} is not set: the shared store keeps tokens encrypted under it ` +
        `(make one with: openssl rand -base64 32, and give every instance the same)`,
    );
  }
  return await createTokenCipher(text);
}

/** Connects and loads; throws with the reason when teams mode cannot start. */
export async function startTeam(
  config: Config,
  log: Logger,
  version: string,
): Promise<StartedTeam> {
  const url = config.store!;
  parseStoreUrl(url);
  const cipher = await storeCipher();
  const name = instanceName(config);
  const team = await openTeam({ url, instanceName: name, version, log });
  const accounts = createTeamAccounts({ team, cipher, authDir: config.authDir, log });
  try {
    await accounts.load();
  } catch (error) {
    await team.close();
    throw error;
  }
  log.info("shared store in use", {
    store: team.where,
    instance: name,
    accounts: accounts.accounts().length,
    key: cipher.keyId,
  });
  return {
    team,
    cipher,
    accounts,
    keyStore: createTeamKeyStore(team, log),
    limiter: createTeamKeyLimiter(team, log),
    usage: createTeamUsageStore(team),
    config: createTeamConfig(team, cipher),
    quotaTurns: createTeamQuotaPolls(team, log),
    source: {
      name: name,
      where: team.where,
      health: () => team.health(),
      spooled: () => accounts.spooled(),
      instances: () => team.instances(),
    },
    share: (pool) => shareRestsAndQuota(team, pool, log),
    async close() {
      accounts.close();
      await team.close();
    },
  };
}
