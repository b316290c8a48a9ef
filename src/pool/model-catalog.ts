/**
 * @module
 * Model lists asked of every upstream that publishes one (Anthropic's and
 * OpenAI's `/v1/models`, Gemini's `/v1beta/models`, Copilot's, the ChatGPT
 * backend's, any OpenAI-compatible server's), so routing and `GET /v1/models`
 * follow what each account offers today instead of the list subgate shipped
 * with. Lists are fetched in the background, kept for an hour, and never
 * block a request: until one arrives, or when the upstream will not say, the
 * built-in seed stands. A list in the config wins over both. A config entry's
 * list is fetched again when its key, base URL or headers change.
 */
import type { Config } from "../config/config-types.ts";
import type { Logger } from "../log/logger.ts";
import { withoutExcluded } from "../models/match-model.ts";
import type { Account } from "../store/account.ts";
import { credentialFingerprint } from "../store/credential-fingerprint.ts";
import { upstreamFor } from "../providers/upstream-for.ts";

/** Model-list fetches at a time: lists are asked in the background, never in a burst. */
const MAX_FETCHES = 4;

export interface ModelCatalog {
  /** The accounts with each login's fetched list in place of its built-in one. */
  apply(accounts: readonly Account[]): Account[];
  /** Fetches the lists that are missing or older than the cache time (in the background). */
  refresh(accounts: readonly Account[]): void;
  /**
   * A client's model-list query: the ChatGPT backend lists models per client version, so a
   * client that names its own (`?client_version=`) has the lists asked again with it.
   */
  hint(query: Record<string, string>): void;
  stop(): void;
}

interface Entry {
  models: string[];
  endpoints?: Record<string, string[]>;
  fetchedAt: number;
}

export function createModelCatalog(options: {
  providers: () => Config["providers"];
  log: Logger;
  /** Called when a fetched list changed, so routing picks it up. */
  onChange: () => void;
  ttlMs?: number;
}): ModelCatalog {
  const ttl = options.ttlMs ?? 3600_000;
  const lists = new Map<string, Entry>();
  const pending = new Set<string>();
  /** Accounts whose list is due, waiting for one of the few fetches allowed at a time. */
  const queue: Account[] = [];
  let running = 0;
  let query = new URLSearchParams();
  let known: readonly Account[] = [];
  let stopped = false;

  const configured = (account: Account) => account.modelSource === "config";
  // A config entry is known by its place in the file: its credentials say whether it changed.
  const keyOf = (account: Account) =>
    account.source === "config" ? `${account.id}#${credentialFingerprint(account)}` : account.id;

  /** Starts queued fetches while fewer than `MAX_FETCHES` run (a thousand logins at start). */
  const pump = () => {
    while (running < MAX_FETCHES && queue.length && !stopped) {
      const account = queue.shift()!;
      running++;
      void fetchList(account).finally(() => {
        running--;
        pending.delete(keyOf(account));
        pump();
      });
    }
  };

  async function fetchList(account: Account) {
    const upstream = upstreamFor(account, options.providers());
    if (!upstream?.listModels) return;
    const key = keyOf(account);
    try {
      const listed = await upstream.listModels(query);
      if (stopped) return;
      const models = listed.map((model) => model.id);
      const withEndpoints = listed.filter((model) => model.endpoints?.length);
      const endpoints = withEndpoints.length
        ? Object.fromEntries(withEndpoints.map((model) => [model.id, model.endpoints!]))
        : undefined;
      const previous = lists.get(key)?.models;
      if (models.length === 0) {
        // Nothing listed for this caller: keep what we had and ask again after the cache time.
        lists.set(key, { models: previous ?? [], fetchedAt: Date.now() });
        options.log.debug("upstream listed no models; keeping the built-in list", {
          provider: account.provider,
          account: account.label,
        });
        return;
      }
      lists.set(key, { models, endpoints, fetchedAt: Date.now() });
      if (previous?.join("\n") !== models.join("\n")) {
        options.log.info("model list fetched", {
          provider: account.provider,
          account: account.label,
          models: models.length,
        });
        options.onChange();
      }
    } catch (error) {
      const reason = (error as Error).message;
      // A server without a list (many OpenAI-compatible ones) is normal, not a fault.
      const level = /HTTP (404|405|501)\b/.test(reason) ? "info" : "warn";
      options.log[level]("could not fetch the model list; keeping the built-in one", {
        provider: account.provider,
        account: account.label,
        reason,
      });
      // Try again after the cache time, not on every change.
      const previous = lists.get(key);
      lists.set(key, { models: previous?.models ?? [], fetchedAt: Date.now() });
    }
  }

  const refresh = (accounts: readonly Account[]) => {
    known = accounts;
    const now = Date.now();
    for (const account of accounts) {
      if (account.disabled || account.needsLogin) continue;
      // An expired token would only be refused; the refresh scheduler renews it first.
      if (account.expiresAt && account.expiresAt.getTime() <= now) continue;
      if (pending.has(keyOf(account)) || configured(account)) continue;
      const entry = lists.get(keyOf(account));
      if (entry && now - entry.fetchedAt < ttl) continue;
      pending.add(keyOf(account));
      queue.push(account);
    }
    pump();
  };
  const timer = setInterval(() => refresh(known), Math.min(ttl, 600_000));
  Deno.unrefTimer(timer);

  return {
    apply(accounts) {
      return accounts.map((account) => {
        const entry = lists.get(keyOf(account));
        if (!entry?.models.length) return account;
        // Which API serves a model holds even when the config names the models.
        const modelEndpoints = entry.endpoints;
        if (configured(account)) return { ...account, modelEndpoints };
        const prefix = account.prefix ? `${account.prefix}/` : "";
        const models = withoutExcluded(entry.models, account.excludedModels ?? [])
          .map((name) => prefix + name);
        return { ...account, models, modelEndpoints };
      });
    },
    refresh,
    hint(params) {
      const version = params.client_version;
      // Only a version-shaped value: anything else would just make every login ask again.
      if (!version || !/^\d+\.\d+\.\d+[\w.+-]*$/.test(version)) return;
      if (version === query.get("client_version")) return;
      query = new URLSearchParams({ client_version: version });
      for (const entry of lists.values()) entry.fetchedAt = 0;
      refresh(known);
    },
    stop() {
      stopped = true;
      queue.length = 0;
      clearInterval(timer);
    },
  };
}
