/**
 * @module
 * Model lists asked of the upstreams that publish them (Copilot's `/models`,
 * the ChatGPT backend's), so routing follows what each login's plan offers
 * today instead of the list subgate shipped with. Lists are fetched in the
 * background, kept for an hour, and never block a request: until one
 * arrives, or when the upstream will not say, the built-in list stands. A
 * configured `providers.<name>.models` list wins over both.
 */
import type { Config } from "../config/config-types.ts";
import type { Logger } from "../log/logger.ts";
import { withoutExcluded } from "../models/match-model.ts";
import type { ProviderId } from "../providers/provider.ts";
import type { Account } from "../store/account.ts";
import { upstreamFor } from "../upstreams/index.ts";

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
  let query = new URLSearchParams();
  let known: readonly Account[] = [];
  let stopped = false;

  const configured = (account: Account) =>
    options.providers()[account.provider as ProviderId]?.models !== undefined;

  async function fetchList(account: Account) {
    const upstream = upstreamFor(account, options.providers());
    if (!upstream?.listModels) return;
    pending.add(account.id);
    try {
      const listed = await upstream.listModels(query);
      if (stopped) return;
      const models = listed.map((model) => model.id);
      const withEndpoints = listed.filter((model) => model.endpoints?.length);
      const endpoints = withEndpoints.length
        ? Object.fromEntries(withEndpoints.map((model) => [model.id, model.endpoints!]))
        : undefined;
      const previous = lists.get(account.id)?.models;
      if (models.length === 0) {
        // Nothing listed for this caller: keep what we had and ask again after the cache time.
        lists.set(account.id, { models: previous ?? [], fetchedAt: Date.now() });
        options.log.debug("upstream listed no models; keeping the built-in list", {
          provider: account.provider,
          account: account.label,
        });
        return;
      }
      lists.set(account.id, { models, endpoints, fetchedAt: Date.now() });
      if (previous?.join("\n") !== models.join("\n")) {
        options.log.info("model list fetched", {
          provider: account.provider,
          account: account.label,
          models: models.length,
        });
        options.onChange();
      }
    } catch (error) {
      options.log.warn("could not fetch the model list; keeping the built-in one", {
        provider: account.provider,
        account: account.label,
        reason: (error as Error).message,
      });
      // Try again after the cache time, not on every change.
      const previous = lists.get(account.id);
      lists.set(account.id, { models: previous?.models ?? [], fetchedAt: Date.now() });
    } finally {
      pending.delete(account.id);
    }
  }

  const refresh = (accounts: readonly Account[]) => {
    known = accounts;
    const now = Date.now();
    for (const account of accounts) {
      if (account.kind !== "oauth" || account.disabled || account.needsLogin) continue;
      // An expired token would only be refused; the refresh scheduler renews it first.
      if (account.expiresAt && account.expiresAt.getTime() <= now) continue;
      if (pending.has(account.id) || configured(account)) continue;
      const entry = lists.get(account.id);
      if (entry && now - entry.fetchedAt < ttl) continue;
      void fetchList(account);
    }
  };
  const timer = setInterval(() => refresh(known), Math.min(ttl, 600_000));
  Deno.unrefTimer(timer);

  return {
    apply(accounts) {
      return accounts.map((account) => {
        const entry = lists.get(account.id);
        if (!entry?.models.length) return account;
        // Which API serves a model holds even when the config names the models.
        const modelEndpoints = entry.endpoints;
        if (configured(account)) return { ...account, modelEndpoints };
        const models = withoutExcluded(entry.models, account.excludedModels ?? []);
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
      clearInterval(timer);
    },
  };
}
