/**
 * @module
 * Client keys as the server uses them: the config's `api-keys` and the keys
 * created through the API (`keys.json`) in one ring; the key check a request
 * passes first (known, not expired); the admission the pipeline asks once the
 * model is known (the key's allowlist, then its limits); the listener that
 * counts each ended request's tokens against its key; and the functions the
 * management API calls to create, list and revoke keys. Every change applies
 * to the next request, without a restart.
 */
import type { Config, KeyLimits } from "../config/config-types.ts";
import { apiError } from "../errors/api-error.ts";
import type { Logger } from "../log/logger.ts";
import type { Admit } from "../proxy/admission.ts";
import type { PipelineHooks } from "../proxy/request-record.ts";
import { type ClientKey, displayPrefix, mayUse } from "./client-key.ts";
import { createKeyLimiter, type KeyLimiter } from "./key-limits.ts";
import { createKeyRing } from "./key-ring.ts";
import { createKeyStore, type KeyStore, type NewKey, type StoredKey } from "./key-store.ts";

export type { ClientKey, NewKey };

/** A key as listed: never the key or its hash. */
export interface KeyListing {
  name: string;
  /** `config`: from `api-keys`; `api`: created through the API, in `keys.json`. */
  source: "config" | "api";
  /** `sg-…abcd`, when the key is long enough to show that much of it safely. */
  prefix?: string;
  /** Model patterns it may use; absent: every model. */
  models?: string[];
  limits: KeyLimits;
  created?: string;
  expires?: string;
  expired: boolean;
  /** Since this server started, or as `keys.json` last recorded it. */
  lastUsed?: string;
  /** Counts in the current windows (this server's, since it started). */
  usage: { requestsThisMinute: number; requestsToday: number; tokensToday: number };
}

export interface CreatedKeyListing {
  /** The key: shown this once, stored nowhere. */
  key: string;
  record: KeyListing;
}

export interface ClientKeys {
  /** How many keys are in force, the config's and the stored ones. */
  count(): number;
  /** How many of them were created through the API (`keys.json`). */
  storedCount(): number;
  /** The key among those presented, or a 401: unknown, or expired. */
  authenticate(presented: readonly string[]): ClientKey;
  /** The key's allowlist (403) and limits (429), asked once the model is known. */
  admit: Admit;
  /** Counts each ended request's tokens against its key. */
  hooks: PipelineHooks;
  createKey(spec: NewKey): Promise<CreatedKeyListing>;
  listKeys(): KeyListing[];
  revokeKey(name: string): Promise<KeyListing>;
  /** Stops watching `keys.json` and records when the stored keys were last used. */
  close(): Promise<void>;
}

export interface ClientKeysOptions {
  config(): Config;
  log: Logger;
  /** Whether subgate listens beyond loopback: then the last key cannot be revoked. */
  exposed(): boolean;
  /** How often the times of last use are written to `keys.json`. */
  saveEveryMs?: number;
  /** Where created keys are kept: `keys.json` by default, the shared database for teams. */
  store?: KeyStore;
  /** How limits are counted: in memory by default, in the shared database for teams. */
  limiter?: KeyLimiter;
}

const iso = (ms: number | undefined) => ms === undefined ? undefined : new Date(ms).toISOString();

export async function createClientKeys(options: ClientKeysOptions): Promise<ClientKeys> {
  const { config, log } = options;
  const store = options.store ?? createKeyStore(config().authDir, log);
  await store.load();
  const ring = createKeyRing({ config: () => config().apiKeys, stored: store.keys }, log);
  const limiter = options.limiter ?? createKeyLimiter();
  /** When each key was last used by this server. */
  const used = new Map<string, number>();

  const save = async () => {
    try {
      await store.saveLastUsed(used);
    } catch (error) {
      log.warn("could not record when client keys were last used", {
        file: store.path,
        reason: (error as Error).message,
      });
    }
  };
  const saver = setInterval(save, options.saveEveryMs ?? 60_000);
  Deno.unrefTimer(saver);
  store.watch();

  const listing = (key: ClientKey): KeyListing => {
    const stored = key.source === "stored"
      ? store.keys().find((record) => record.name === key.name)
      : undefined;
    const entry = key.source === "config"
      ? config().apiKeys.find((candidate) => candidate.name === key.name)
      : undefined;
    const lastUsed = Math.max(used.get(key.name) ?? 0, stored?.lastUsed ?? 0);
    return {
      name: key.name,
      source: key.source === "config" ? "config" : "api",
      prefix: stored?.prefix ?? (entry?.key !== undefined ? displayPrefix(entry.key) : undefined),
      models: key.models ? [...key.models] : undefined,
      limits: { ...key.limits },
      created: iso(stored?.created),
      expires: iso(key.expires),
      expired: key.expires !== undefined && Date.now() >= key.expires,
      lastUsed: lastUsed ? iso(lastUsed) : undefined,
      usage: limiter.usage(key.name),
    };
  };
  const recordListing = (record: StoredKey) =>
    listing({ ...record, source: "stored", digest: new Uint8Array() });

  return {
    count: () => ring.size(),
    storedCount: () => store.keys().length,
    authenticate(presented) {
      const key = ring.find(presented);
      if (!key) {
        throw apiError("authentication", "Invalid API key: it is not one of subgate's api-keys.");
      }
      const now = Date.now();
      if (key.expires !== undefined && now >= key.expires) {
        throw apiError(
          "authentication",
          `The client key '${key.name}' expired at ${iso(key.expires)}.`,
        );
      }
      used.set(key.name, now);
      return key;
    },
    admit({ clientKey, model, action }) {
      if (clientKey === undefined) return;
      const key = ring.byName(clientKey);
      // Revoked while its request was arriving.
      if (!key) throw apiError("authentication", `The client key '${clientKey}' was revoked.`);
      if (!mayUse(key, model)) {
        throw apiError(
          "permission",
          `The client key '${key.name}' may not use the model '${model}'; ` +
            `its models: ${key.models!.join(", ")}.`,
        );
      }
      // Token counts cost nothing upstream: only generation counts against the limits.
      if (action !== "generate") return;
      const refusal = limiter.admit(key);
      if (refusal) throw refusal;
    },
    hooks: {
      ended(record) {
        if (record.clientKey === undefined || !record.usage) return;
        limiter.addTokens(record.clientKey, record.usage.inputTokens + record.usage.outputTokens);
      },
    },
    async createKey(spec) {
      const taken = (name: string) => config().apiKeys.some((entry) => entry.name === name);
      const created = await store.create(spec, taken);
      log.info("client key created", { name: created.record.name });
      return { key: created.key, record: recordListing(created.record) };
    },
    listKeys: () => ring.all().map(listing),
    async revokeKey(name) {
      if (
        config().apiKeys.some((entry) => entry.name === name) &&
        !store.keys().some((record) => record.name === name)
      ) {
        throw apiError(
          "invalid_request",
          `The client key '${name}' is defined in the config; remove it from api-keys there.`,
        );
      }
      const revoked = await store.revoke(name, (_, remaining) => {
        if (options.exposed() && config().apiKeys.length + remaining.length === 0) {
          throw apiError(
            "invalid_request",
            `'${name}' is the last client key while subgate listens beyond loopback; ` +
              `without keys anyone who can reach it could spend your subscriptions.`,
            { status: 409 },
          );
        }
      });
      log.info("client key revoked", { name });
      return recordListing(revoked);
    },
    async close() {
      clearInterval(saver);
      store.close();
      await save();
    },
  };
}
