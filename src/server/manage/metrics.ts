/**
 * @module
 * `GET /metrics` in Prometheus's text format, through prom-client (it runs
 * under Deno with subgate's permission set: nothing beyond what it has). Fed
 * by the pipeline's hooks and the refresh engine, and read at scrape time
 * from the pool and the quota source:
 *
 * - `subgate_requests_total{dialect,provider,model,status}`
 * - `subgate_tokens_total{provider,model,direction}` (input, output, cache_read,
 *   cache_write, reasoning; from the upstream's own usage, when it reported it)
 * - `subgate_request_duration_seconds`, `subgate_time_to_first_byte_seconds`
 *   histograms `{dialect,provider}`
 * - `subgate_upstream_errors_total{provider,kind}` (rate_limit, auth, server,
 *   connection, stream, unknown_model, request)
 * - `subgate_token_refreshes_total{provider,outcome}`
 * - `subgate_accounts{provider,state}`, `subgate_quota_used_ratio{provider,account,window}`
 * - `subgate_build_info{version}`
 * - teams (`store`): `subgate_store_up`, `subgate_store_outages_total`,
 *   `subgate_store_spooled_tokens`
 *
 * Model names come from clients, so at most 200 distinct ones are labelled;
 * the rest count as `other`.
 */
import { Counter, Gauge, Histogram, Registry } from "prom-client";
import type { RefreshOutcome } from "../../auth/refresh/refresh-account.ts";
import type { Pool } from "../../pool/pool.ts";
import type { PipelineHooks, RequestRecord, UpstreamFailure } from "../../proxy/request-record.ts";
import type { Account } from "../../store/account.ts";
import { VERSION } from "../../version.ts";
import { stateOf } from "./account-view.ts";
import type { QuotaSource, StoreSource } from "./sources.ts";

const MOST_MODELS = 200;
const SECONDS = [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600];

export interface MetricsSources {
  accounts(): readonly Account[];
  pool: Pool;
  quota?: QuotaSource;
  store?: StoreSource;
}

export interface Metrics {
  hooks: PipelineHooks;
  /** Counts a refresh's outcome (the refresh engine's listener). */
  refreshed(outcome: RefreshOutcome, file: string): void;
  /** The exposition text, and its content type. */
  scrape(): Promise<{ text: string; contentType: string }>;
}

function errorKind(failure: UpstreamFailure): string {
  if (failure.broke) return "stream";
  if (failure.status === 429 || failure.kind === "rate_limit") return "rate_limit";
  if (failure.status === 401 || failure.status === 403) return "auth";
  if (!failure.answered) return "connection";
  if (failure.status >= 500 || failure.status === 408) return "server";
  if (failure.status === 404) return "unknown_model";
  return "request";
}

export function createMetrics(sources: MetricsSources): Metrics {
  const registry = new Registry();
  const registers = [registry];
  const models = new Set<string>();
  const modelLabel = (name: string | undefined) => {
    if (!name) return "";
    if (models.has(name)) return name;
    if (models.size >= MOST_MODELS) return "other";
    models.add(name);
    return name;
  };

  const requests = new Counter({
    name: "subgate_requests_total",
    help: "Requests through the pipeline, by client dialect, provider, model and status.",
    labelNames: ["dialect", "provider", "model", "status"],
    registers,
  });
  const tokens = new Counter({
    name: "subgate_tokens_total",
    help: "Tokens the upstreams reported, by direction.",
    labelNames: ["provider", "model", "direction"],
    registers,
  });
  const duration = new Histogram({
    name: "subgate_request_duration_seconds",
    help: "From a request's arrival to its answer's last byte.",
    labelNames: ["dialect", "provider"],
    buckets: SECONDS,
    registers,
  });
  const firstByte = new Histogram({
    name: "subgate_time_to_first_byte_seconds",
    help: "From a request's arrival to its answer's first byte.",
    labelNames: ["dialect", "provider"],
    buckets: SECONDS,
    registers,
  });
  const upstreamErrors = new Counter({
    name: "subgate_upstream_errors_total",
    help: "Failed upstream attempts, by kind.",
    labelNames: ["provider", "kind"],
    registers,
  });
  const refreshes = new Counter({
    name: "subgate_token_refreshes_total",
    help: "Token refreshes, by outcome (refreshed, fresh, needs-login, failed).",
    labelNames: ["provider", "outcome"],
    registers,
  });
  new Gauge({
    name: "subgate_accounts",
    help: "Accounts by provider and state (ready, resting, expired, needs-login, disabled).",
    labelNames: ["provider", "state"],
    registers,
    collect() {
      this.reset();
      const pool = sources.pool.snapshot();
      for (const account of sources.accounts()) {
        this.inc({ provider: account.provider, state: stateOf(account, pool[account.id]) });
      }
    },
  });
  if (sources.quota) {
    const quota = sources.quota;
    new Gauge({
      name: "subgate_quota_used_ratio",
      help: "How much of each plan window an account has used (0 to 1).",
      labelNames: ["provider", "account", "window"],
      registers,
      collect() {
        this.reset();
        const accounts = new Map(sources.accounts().map((a) => [a.id, a]));
        for (const reading of quota.snapshot()) {
          const account = accounts.get(reading.accountId);
          for (const window of reading.windows) {
            this.set({
              provider: account?.provider ?? "",
              account: account?.label ?? reading.accountId,
              window: window.name,
            }, window.usedPercent / 100);
          }
        }
      },
    });
  }
  new Gauge({
    name: "subgate_build_info",
    help: "The running subgate's version.",
    labelNames: ["version"],
    registers,
  }).set({ version: VERSION }, 1);
  const store = sources.store;
  if (store) {
    new Gauge({
      name: "subgate_store_up",
      help: "1 while the shared database answers, 0 during an outage.",
      registers,
      collect() {
        this.set(store.health().up ? 1 : 0);
      },
    });
    new Gauge({
      name: "subgate_store_outages_total",
      help: "Outages of the shared database this instance saw since it started.",
      registers,
      collect() {
        this.set(store.health().outages);
      },
    });
    new Gauge({
      name: "subgate_store_spooled_tokens",
      help: "Accounts whose newest tokens wait in this instance's spool for the database.",
      registers,
      collect() {
        this.set(store.spooled());
      },
    });
  }

  // Each label set's child, looked up once: prom-client hashes a label object on every call.
  const children = new Map<string, {
    requests: { inc(): void };
    duration: { observe(value: number): void };
    firstByte: { observe(value: number): void };
  }>();
  const childrenOf = (dialect: string, provider: string, model: string, status: string) => {
    const id = `${dialect}\u0000${provider}\u0000${model}\u0000${status}`;
    let found = children.get(id);
    if (!found) {
      found = {
        requests: requests.labels({ dialect, provider, model, status }),
        duration: duration.labels({ dialect, provider }),
        firstByte: firstByte.labels({ dialect, provider }),
      };
      children.set(id, found);
    }
    return found;
  };
  const ended = (record: RequestRecord) => {
    const provider = record.account?.provider ?? "";
    const model = modelLabel(record.servedModel ?? (record.account ? record.requestedModel : ""));
    const child = childrenOf(record.clientDialect, provider, model, String(record.status));
    child.requests.inc();
    child.duration.observe(record.latencyMs / 1000);
    if (record.firstByteMs !== undefined) child.firstByte.observe(record.firstByteMs / 1000);
    const usage = record.usage;
    if (!usage) return;
    const counts: [string, number | undefined][] = [
      ["input", usage.inputTokens],
      ["output", usage.outputTokens],
      ["cache_read", usage.cachedInputTokens],
      ["cache_write", usage.cacheCreationInputTokens],
      ["reasoning", usage.reasoningTokens],
    ];
    for (const [direction, count] of counts) {
      if (count) tokens.inc({ provider, model, direction }, count);
    }
  };

  return {
    hooks: {
      ended,
      upstreamFailed: (account, failure) =>
        upstreamErrors.inc({ provider: account.provider, kind: errorKind(failure) }),
    },
    refreshed(outcome, file) {
      const account = sources.accounts().find((a) => a.file === file);
      refreshes.inc({ provider: account?.provider ?? "", outcome: outcome.status });
    },
    async scrape() {
      return { text: await registry.metrics(), contentType: registry.contentType };
    },
  };
}
