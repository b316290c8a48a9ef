/**
 * @module
 * The usage ledger in the shared database: a second `UsageStore`, beside the
 * embedded SQLite one, with the same two tables (every request's row, kept
 * for the retention; hourly sums, kept for good). Each instance's ledger
 * writes its batch (every two seconds, and at shutdown) in one transaction:
 * the rows, then the hourly sums as upserts that add to what other
 * instances wrote, in key order so that two instances' batches never
 * deadlock. Totals read across instances are therefore exact.
 */
import { DAY_MS, HOUR_MS, type UsageRow, type UsageStore } from "../usage/usage-store.ts";
import {
  count,
  type FoundTotal,
  mergeTotals,
  segmentsFor,
  sumByHour,
  sumColumns,
} from "../usage/usage-sums.ts";
import type { Team } from "./team.ts";

/** The group's value in each table (as text), and for accounts its label and provider. */
const GROUPS: Record<string, { raw: string; hourly: string }> = {
  none: { raw: "''", hourly: "''" },
  account: { raw: "COALESCE(account_id, '')", hourly: "account_id" },
  model: {
    raw: "COALESCE(NULLIF(served_model, ''), requested_model)",
    hourly: "CASE served_model WHEN '' THEN requested_model ELSE served_model END",
  },
  key: { raw: "COALESCE(client_key, '')", hourly: "client_key" },
  provider: { raw: "COALESCE(provider, '')", hourly: "provider" },
};

/** The batch's hourly sums as rows of `subgate_usage_hourly`, in key order. */
function hourlySums(rows: readonly UsageRow[]) {
  return sumByHour(rows).map(({ key, sums }) => ({ ...key, ...sumColumns(sums) }));
}

export function createTeamUsageStore(team: Team): UsageStore {
  const instance = team.instance.name;
  return {
    async append(rows) {
      if (rows.length === 0) return;
      const raw = rows.map((row) => ({
        at: row.at,
        instance,
        client_key: row.clientKey ?? null,
        account_id: row.accountId ?? null,
        account_label: row.accountLabel ?? null,
        provider: row.provider ?? null,
        requested_model: row.requestedModel,
        served_model: row.servedModel ?? null,
        client_dialect: row.clientDialect,
        upstream_dialect: row.upstreamDialect ?? null,
        action: row.action,
        status: row.status,
        latency_ms: Math.round(row.latencyMs),
        first_byte_ms: count(row.firstByteMs),
        stream: row.stream,
        input_tokens: count(row.inputTokens),
        output_tokens: count(row.outputTokens),
        cache_read_tokens: count(row.cacheReadTokens),
        cache_write_tokens: count(row.cacheWriteTokens),
        reasoning_tokens: count(row.reasoningTokens),
        error: row.error === undefined ? null : row.error.slice(0, 500),
      }));
      const sums = hourlySums(rows);
      await team.run((sql) =>
        sql.begin(async (tx) => {
          await tx`INSERT INTO subgate_usage_requests ${tx(raw as never)}`;
          for (const sum of sums) {
            await tx`INSERT INTO subgate_usage_hourly ${tx(sum as never)}
              ON CONFLICT (hour, client_key, account_id, account_label, provider, requested_model,
                served_model, client_dialect, upstream_dialect, action) DO UPDATE SET
                requests = subgate_usage_hourly.requests + EXCLUDED.requests,
                errors = subgate_usage_hourly.errors + EXCLUDED.errors,
                input_tokens = subgate_usage_hourly.input_tokens + EXCLUDED.input_tokens,
                output_tokens = subgate_usage_hourly.output_tokens + EXCLUDED.output_tokens,
                cache_read_tokens = subgate_usage_hourly.cache_read_tokens + EXCLUDED.cache_read_tokens,
                cache_write_tokens = subgate_usage_hourly.cache_write_tokens + EXCLUDED.cache_write_tokens,
                reasoning_tokens = subgate_usage_hourly.reasoning_tokens + EXCLUDED.reasoning_tokens,
                latency_ms = subgate_usage_hourly.latency_ms + EXCLUDED.latency_ms`;
          }
        })
      );
    },

    async totals(request) {
      const group = GROUPS[request.group ?? "none"];
      const size = request.bucket === "day" ? DAY_MS : HOUR_MS;
      const rawSince = await team.run((sql) =>
        sql<{ value: string }[]>`SELECT value FROM subgate_usage_meta WHERE key = 'raw_since'`
      );
      const found: FoundTotal[] = [];
      for (
        const segment of segmentsFor(request.from, request.to, Number(rawSince[0]?.value ?? 0))
      ) {
        const rows = await team.run((sql) =>
          segment.table === "raw"
            ? sql.unsafe(
              `SELECT ${group.raw} AS g, MAX(COALESCE(account_label, '')) AS label,
                MAX(COALESCE(provider, '')) AS provider,
                ${request.bucket ? `(at / ${size}) * ${size}` : "0"} AS b,
                COUNT(*) AS requests,
                COUNT(*) FILTER (WHERE status >= 400 AND status <> 499) AS errors,
                COALESCE(SUM(input_tokens), 0) AS input_tokens,
                COALESCE(SUM(output_tokens), 0) AS output_tokens,
                COALESCE(SUM(cache_read_tokens), 0) AS cache_read_tokens,
                COALESCE(SUM(cache_write_tokens), 0) AS cache_write_tokens,
                COALESCE(SUM(reasoning_tokens), 0) AS reasoning_tokens,
                COALESCE(SUM(latency_ms), 0) AS latency_ms
              FROM subgate_usage_requests WHERE at >= $1 AND at < $2 GROUP BY 1, 4`,
              [segment.from, segment.to],
            )
            : sql.unsafe(
              `SELECT ${group.hourly} AS g, MAX(account_label) AS label, MAX(provider) AS provider,
                ${request.bucket ? `(hour / ${size}) * ${size}` : "0"} AS b,
                SUM(requests) AS requests, SUM(errors) AS errors,
                SUM(input_tokens) AS input_tokens, SUM(output_tokens) AS output_tokens,
                SUM(cache_read_tokens) AS cache_read_tokens,
                SUM(cache_write_tokens) AS cache_write_tokens,
                SUM(reasoning_tokens) AS reasoning_tokens, SUM(latency_ms) AS latency_ms
              FROM subgate_usage_hourly WHERE hour >= $1 AND hour < $2 GROUP BY 1, 4`,
              [segment.from, segment.to],
            )
        );
        found.push(...rows as FoundTotal[]);
      }
      return mergeTotals(found, request);
    },

    async recent(limit) {
      const rows = await team.run((sql) =>
        sql<Record<string, unknown>[]>`SELECT * FROM subgate_usage_requests
          ORDER BY id DESC LIMIT ${Math.max(0, Math.floor(limit))}`
      );
      const str = (value: unknown) => value === null ? undefined : String(value);
      const num = (value: unknown) => value === null ? undefined : Number(value);
      return rows.map((row) => ({
        at: Number(row.at),
        clientKey: str(row.client_key),
        accountId: str(row.account_id),
        accountLabel: str(row.account_label),
        provider: str(row.provider),
        requestedModel: String(row.requested_model),
        servedModel: str(row.served_model),
        clientDialect: String(row.client_dialect),
        upstreamDialect: str(row.upstream_dialect),
        action: String(row.action),
        status: Number(row.status),
        latencyMs: Number(row.latency_ms),
        firstByteMs: num(row.first_byte_ms),
        stream: row.stream === true,
        inputTokens: num(row.input_tokens),
        outputTokens: num(row.output_tokens),
        cacheReadTokens: num(row.cache_read_tokens),
        cacheWriteTokens: num(row.cache_write_tokens),
        reasoningTokens: num(row.reasoning_tokens),
        error: str(row.error),
      }));
    },

    async prune(before, limit) {
      return await team.run((sql) =>
        sql.begin(async (tx) => {
          await tx`INSERT INTO subgate_usage_meta (key, value) VALUES ('raw_since', ${before})
            ON CONFLICT (key) DO UPDATE SET value = GREATEST(subgate_usage_meta.value, EXCLUDED.value)`;
          const removed = limit === undefined
            ? await tx`DELETE FROM subgate_usage_requests WHERE at < ${before}`
            : await tx`DELETE FROM subgate_usage_requests WHERE id IN (
                SELECT id FROM subgate_usage_requests WHERE at < ${before} ORDER BY at
                LIMIT ${Math.max(1, Math.floor(limit))})`;
          return removed.count;
        })
      ) as number;
    },

    close: () => Promise.resolve(),
  };
}
