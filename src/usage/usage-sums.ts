/**
 * @module
 * What both ledger stores (the embedded SQLite one and the team's PostgreSQL one) compute the
 * same way: a batch of rows summed per hour and key, the time range split into what the raw rows
 * and the hourly sums answer, and the rows a store's query found merged into totals.
 */
import {
  emptySums,
  HOUR_MS,
  isError,
  type UsageQuery,
  type UsageRow,
  type UsageSums,
  type UsageTotal,
} from "./usage-store.ts";

export const floorHour = (ms: number) => Math.floor(ms / HOUR_MS) * HOUR_MS;
const ceilHour = (ms: number) => Math.ceil(ms / HOUR_MS) * HOUR_MS;

/** A token count as stored: a whole number, or null when unknown. */
export const count = (value: number | undefined) =>
  value === undefined || !Number.isFinite(value) ? null : Math.round(value);

/** The key of an hourly sum, by its column names. */
export interface HourKey {
  hour: number;
  client_key: string;
  account_id: string;
  account_label: string;
  provider: string;
  requested_model: string;
  served_model: string;
  client_dialect: string;
  upstream_dialect: string;
  action: string;
}

/** The batch summed per hour and key, in key order (two writers then lock rows in one order). */
export function sumByHour(rows: readonly UsageRow[]): { key: HourKey; sums: UsageSums }[] {
  const sums = new Map<string, { key: HourKey; sums: UsageSums }>();
  for (const row of rows) {
    const key: HourKey = {
      hour: floorHour(row.at),
      client_key: row.clientKey ?? "",
      account_id: row.accountId ?? "",
      account_label: row.accountLabel ?? "",
      provider: row.provider ?? "",
      requested_model: row.requestedModel,
      served_model: row.servedModel ?? "",
      client_dialect: row.clientDialect,
      upstream_dialect: row.upstreamDialect ?? "",
      action: row.action,
    };
    const id = JSON.stringify(key);
    let entry = sums.get(id);
    if (!entry) sums.set(id, entry = { key, sums: emptySums() });
    const total = entry.sums;
    total.requests++;
    if (isError(row.status)) total.errors++;
    total.inputTokens += count(row.inputTokens) ?? 0;
    total.outputTokens += count(row.outputTokens) ?? 0;
    total.cacheReadTokens += count(row.cacheReadTokens) ?? 0;
    total.cacheWriteTokens += count(row.cacheWriteTokens) ?? 0;
    total.reasoningTokens += count(row.reasoningTokens) ?? 0;
    total.latencyMs += Math.round(row.latencyMs);
  }
  return [...sums.entries()].sort(([a], [b]) => a < b ? -1 : a > b ? 1 : 0).map(([, v]) => v);
}

/** The sums as the stores' columns name them. */
export function sumColumns(s: UsageSums) {
  return {
    requests: s.requests,
    errors: s.errors,
    input_tokens: s.inputTokens,
    output_tokens: s.outputTokens,
    cache_read_tokens: s.cacheReadTokens,
    cache_write_tokens: s.cacheWriteTokens,
    reasoning_tokens: s.reasoningTokens,
    latency_ms: s.latencyMs,
  };
}

/** A time range and which table answers it. */
export interface Segment {
  table: "raw" | "hourly";
  from: number;
  to: number;
}

/**
 * The range in pieces: whole hours from the hourly sums, partial hours at the edges from the raw
 * rows where they are still kept (from `rawSince` on), else rounded out to whole hours.
 */
export function segmentsFor(from: number, to: number, rawSince: number): Segment[] {
  if (to <= from) return [];
  const segments: Segment[] = [];
  let start = ceilHour(from);
  if (from < start) {
    if (from >= rawSince) segments.push({ table: "raw", from, to: Math.min(start, to) });
    else start = floorHour(from);
  }
  let end = floorHour(to);
  if (end < to && end >= start) {
    if (end >= rawSince) segments.push({ table: "raw", from: end, to });
    else end = ceilHour(to);
  }
  if (start < end) segments.push({ table: "hourly", from: start, to: end });
  return segments;
}

/**
 * One row a store's totals query found: its group `g`, bucket `b`, the account's label and
 * provider where the group names them, and the sums under their column names.
 */
export type FoundTotal = Record<string, unknown>;

/** Adds up what the queries of every segment found, per bucket and group, busiest first. */
export function mergeTotals(found: Iterable<FoundTotal>, request: UsageQuery): UsageTotal[] {
  const merged = new Map<string, UsageTotal>();
  for (const row of found) {
    const id = `${row.b}\u0000${row.g}`;
    let total = merged.get(id);
    if (!total) {
      total = { ...emptySums() };
      if (request.group) total.group = String(row.g);
      if (request.bucket) total.bucket = Number(row.b);
      merged.set(id, total);
    }
    if (request.group === "account" && row.label) total.label = String(row.label);
    if ((request.group === "account" || request.group === "provider") && row.provider) {
      total.provider = String(row.provider);
    }
    total.requests += Number(row.requests);
    total.errors += Number(row.errors);
    total.inputTokens += Number(row.input_tokens);
    total.outputTokens += Number(row.output_tokens);
    total.cacheReadTokens += Number(row.cache_read_tokens);
    total.cacheWriteTokens += Number(row.cache_write_tokens);
    total.reasoningTokens += Number(row.reasoning_tokens);
    total.latencyMs += Number(row.latency_ms);
  }
  const totals = [...merged.values()];
  totals.sort((a, b) => (a.bucket ?? 0) - (b.bucket ?? 0) || b.requests - a.requests);
  return totals;
}
