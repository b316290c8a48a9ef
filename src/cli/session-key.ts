/**
 * @module
 * The client key a `subgate run` session's client sends. With no client keys in force subgate
 * checks none, and a placeholder does (creating a key would turn the check on for everyone).
 * With keys, the session gets its own, created in `keys.json` like a key made through the API
 * (`run-<client>-<random>`, so the ledger and the log tell sessions apart), revoked when the
 * session ends, and expiring after 30 days should the session never end cleanly; keys of such
 * sessions that have expired are removed at the next start. It is never printed. The running
 * server picks it up within a second; until it does, the config's first key in clear serves.
 */
import type { Config } from "../config/config-types.ts";
import { createKeyStore } from "../keys/key-store.ts";
import { createLogger } from "../log/logger.ts";

/** Sent when subgate wants no key: any non-empty value passes, and clients insist on one. */
export const PLACEHOLDER_KEY = "subgate";

const SESSION_DAYS = 30;
const SESSION_PREFIX = "run-";

export interface SessionKey {
  key: string;
  /** Its name, when the session made it. */
  name?: string;
  /** Removes a key made for the session (nothing otherwise). */
  revoke(): Promise<void>;
}

/** The config's first key written in clear (plain string or `key:`), if any. */
export function configKeyInClear(config: Config): string | undefined {
  return config.apiKeys.find((entry) => entry.key !== undefined && !expired(entry.expires))?.key;
}

const expired = (expires: number | undefined) => expires !== undefined && expires <= Date.now();

const quiet = () => createLogger("error", () => {});

/**
 * The key for a session of `client`: a placeholder without keys, else one made for it. Falls
 * back to the config's first key in clear when `keys.json` cannot be written.
 */
export async function sessionKey(config: Config, client: string): Promise<SessionKey> {
  const store = createKeyStore(config.authDir, quiet());
  await store.load();
  const none = { revoke: () => Promise.resolve() };
  if (config.apiKeys.length + store.keys().length === 0) return { key: PLACEHOLDER_KEY, ...none };
  for (const stale of store.keys()) {
    if (stale.name.startsWith(SESSION_PREFIX) && expired(stale.expires)) {
      await store.revoke(stale.name).catch(() => {});
    }
  }
  const suffix = crypto.getRandomValues(new Uint8Array(4));
  const name = `${SESSION_PREFIX}${client}-${
    [...suffix].map((byte) => byte.toString(16).padStart(2, "0")).join("")
  }`;
  try {
    const created = await store.create({
      name,
      expires: Date.now() + SESSION_DAYS * 86_400_000,
    });
    return {
      key: created.key,
      name,
      revoke: async () => {
        const again = createKeyStore(config.authDir, quiet());
        await again.load();
        await again.revoke(name).catch(() => {});
      },
    };
  } catch (error) {
    const inClear = configKeyInClear(config);
    if (inClear) return { key: inClear, ...none };
    throw new Error(`cannot make a client key for the session: ${(error as Error).message}`);
  }
}
