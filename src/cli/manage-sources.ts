/**
 * @module
 * The management API's sources, adapted from the parts that keep the
 * records: the usage ledger, the quota book and its poller, the client keys.
 * Each adapter only reshapes (epoch ms to RFC 3339, a record to a list).
 */
import type { ClientKeys, KeyListing } from "../keys/client-keys.ts";
import type { QuotaPoller } from "../pool/quota-poller.ts";
import type { Pool } from "../pool/pool.ts";
import type {
  ClientKeyView,
  KeySource,
  ManageSources,
  QuotaSource,
  UsageSource,
} from "../server/manage/sources.ts";
import type { Ledger } from "../usage/ledger.ts";

function usageSource(ledger: Ledger): UsageSource {
  return {
    async query(query) {
      const totals = await ledger.totals(query);
      return totals.map((total) => ({
        bucket: new Date(total.bucket ?? query.from).toISOString(),
        group: total.group ?? "",
        requests: total.requests,
        errors: total.errors,
        inputTokens: total.inputTokens,
        outputTokens: total.outputTokens,
        cacheReadTokens: total.cacheReadTokens,
        cacheWriteTokens: total.cacheWriteTokens,
        reasoningTokens: total.reasoningTokens,
      }));
    },
  };
}

function quotaSource(pool: Pool, poller: QuotaPoller): QuotaSource {
  return {
    snapshot: () =>
      Object.entries(pool.quotaSnapshot()).map(([accountId, quota]) => ({
        accountId,
        windows: quota.windows.map((window) => ({
          name: window.name,
          usedPercent: window.usedPercent,
          resetsAt: window.resetsAt,
          ...(window.models ? { models: window.models } : {}),
          ...(window.advisory ? { advisory: true } : {}),
        })),
        readAt: quota.polledAt,
        ...(quota.polledBy ? { readBy: quota.polledBy } : {}),
        error: quota.pollError,
      })),
    async refresh(accountId) {
      const ids = accountId ? [accountId] : Object.keys(pool.quotaSnapshot());
      for (const id of ids) await poller.refresh(id);
    },
  };
}

function keyView(listing: KeyListing): ClientKeyView {
  return {
    name: listing.name,
    source: listing.source,
    createdAt: listing.created,
    expires: listing.expires,
    models: listing.models,
    limits: listing.limits,
  };
}

function keySource(keys: ClientKeys): KeySource {
  return {
    list: () => Promise.resolve(keys.listKeys().map(keyView)),
    async create(input) {
      const created = await keys.createKey(input);
      return { key: created.key, view: keyView(created.record) };
    },
    async revoke(name) {
      if (!keys.listKeys().some((key) => key.name === name && key.source === "api")) {
        // A config key is refused by revokeKey itself, with why.
        if (keys.listKeys().some((key) => key.name === name)) await keys.revokeKey(name);
        return false;
      }
      await keys.revokeKey(name);
      return true;
    },
  };
}

export function manageSources(parts: {
  ledger: Ledger;
  pool: Pool;
  quota: QuotaPoller;
  keys: ClientKeys;
}): ManageSources {
  return {
    usage: usageSource(parts.ledger),
    quota: quotaSource(parts.pool, parts.quota),
    keys: keySource(parts.keys),
  };
}
