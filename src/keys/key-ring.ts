/**
 * @module
 * Every client key in force, the config's and the stored ones together, and
 * the lookup a request's key goes through: SHA-256 digests compared in
 * constant time, then a cache of the key texts already accepted, so a
 * client's next request costs one map lookup. The ring is rebuilt (and the
 * cache emptied) whenever either source changes, so a revoked or removed key
 * is refused from its next request on.
 */
import { timingSafeEqual } from "node:crypto";
import type { ClientKeyEntry } from "../config/config-types.ts";
import type { Logger } from "../log/logger.ts";
import { bytesOfHex, type ClientKey, digestOf } from "./client-key.ts";
import type { StoredKey } from "./key-store.ts";

export interface KeySources {
  /** The config's `api-keys`; a new array when the config changes. */
  config(): readonly ClientKeyEntry[];
  /** The keys in `keys.json`; a new array when the file changes. */
  stored(): readonly StoredKey[];
}

export interface KeyRing {
  /** How many keys are in force. */
  size(): number;
  /** The key one of the `presented` texts is, or undefined. */
  find(presented: readonly string[]): ClientKey | undefined;
  /** The key of that name (the config's when both sources have the name). */
  byName(name: string): ClientKey | undefined;
  all(): readonly ClientKey[];
}

interface Snapshot {
  config: readonly ClientKeyEntry[];
  stored: readonly StoredKey[];
  keys: ClientKey[];
  byName: Map<string, ClientKey>;
  /**
   * Key texts already accepted, so a client's next request skips hashing. Only keys in force
   * ever enter it. A lookup hashes the presented text and compares characters only with an entry
   * of the same hash, so a wrong key learns nothing from its timing; wrong keys still go through
   * the constant-time comparison.
   */
  accepted: Map<string, ClientKey>;
}

function fromConfig(entry: ClientKeyEntry): ClientKey {
  return {
    name: entry.name,
    source: "config",
    models: entry.models,
    limits: entry.limits,
    expires: entry.expires,
    digest: entry.key !== undefined ? digestOf(entry.key) : bytesOfHex(entry.keySha256!),
  };
}

function fromStore(entry: StoredKey): ClientKey {
  return {
    name: entry.name,
    source: "stored",
    models: entry.models,
    limits: entry.limits,
    expires: entry.expires,
    digest: bytesOfHex(entry.keySha256),
  };
}

export function createKeyRing(sources: KeySources, log: Logger): KeyRing {
  let snapshot: Snapshot | undefined;

  const build = (config: readonly ClientKeyEntry[], stored: readonly StoredKey[]): Snapshot => {
    const keys = [...config.map(fromConfig), ...stored.map(fromStore)];
    const byName = new Map<string, ClientKey>();
    for (const key of keys) {
      if (!byName.has(key.name)) byName.set(key.name, key);
      else if (key.source === "stored") {
        log.warn(
          "a stored client key has the name of one in the config; the config's policy applies to both",
          {
            name: key.name,
            fix: "rename or revoke one of them",
          },
        );
      }
    }
    return { config, stored, keys, byName, accepted: new Map() };
  };

  const current = (): Snapshot => {
    const config = sources.config();
    const stored = sources.stored();
    if (snapshot?.config !== config || snapshot.stored !== stored) {
      snapshot = build(config, stored);
    }
    return snapshot;
  };

  return {
    size: () => current().keys.length,
    all: () => current().keys,
    byName: (name) => current().byName.get(name),
    find(presented) {
      const { keys, accepted } = current();
      for (const candidate of presented) {
        const known = accepted.get(candidate);
        if (known) return known;
      }
      let matched: [string, ClientKey] | undefined;
      for (const candidate of presented) {
        const presentedDigest = digestOf(candidate);
        // Every key is compared, in constant time, whatever matched before.
        for (const key of keys) {
          if (timingSafeEqual(presentedDigest, key.digest)) matched = [candidate, key];
        }
      }
      if (!matched) return undefined;
      accepted.set(matched[0], matched[1]);
      return matched[1];
    },
  };
}
