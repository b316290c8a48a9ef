/**
 * @module
 * The usage ledger's storage, as one small interface: append a batch of
 * request rows, sum them by group over a time range (in hour or day buckets),
 * list the latest rows, and drop raw rows past retention (their hourly sums
 * stay). The embedded implementation is SQLite in the auth dir
 * (`sqlite-store.ts`); a shared database can implement the same interface.
 */

/** One request as the ledger keeps it. Names and counts only: never a key, token or body. */
export interface UsageRow {
  /** When the request arrived (epoch ms). */
  at: number;
  /** The client key's name (never the key). */
  clientKey?: string;
  accountId?: string;
  accountLabel?: string;
  provider?: string;
  requestedModel: string;
  servedModel?: string;
  clientDialect: string;
  upstreamDialect?: string;
  /** `generate` or `count-tokens`. */
  action: string;
  status: number;
  latencyMs: number;
  firstByteMs?: number;
  stream: boolean;
  /** The whole prompt, cached tokens included. Absent: the upstream reported no usage. */
  inputTokens?: number;
  outputTokens?: number;
  cacheReadTokens?: number;
  cacheWriteTokens?: number;
  /** Output tokens spent on reasoning (part of outputTokens). */
  reasoningTokens?: number;
  /** Why it failed, in words, for failed requests. */
  error?: string;
}

export type UsageGroup = "account" | "model" | "key" | "provider";
export const USAGE_GROUPS: readonly UsageGroup[] = ["account", "model", "key", "provider"];

export type UsageBucket = "hour" | "day";

export interface UsageQuery {
  /** Epoch ms, inclusive. */
  from: number;
  /** Epoch ms, exclusive. */
  to: number;
  /** Sum per account, model (the one served), client key or provider; absent: one total. */
  group?: UsageGroup;
  /** Sum per hour or per UTC day as well. */
  bucket?: UsageBucket;
}

export interface UsageSums {
  requests: number;
  /** Requests that failed (status 400 and up, but 499: a client that left is no failure). */
  errors: number;
  inputTokens: number;
  outputTokens: number;
  cacheReadTokens: number;
  cacheWriteTokens: number;
  reasoningTokens: number;
  /** Sum of the requests' latencies (divide by requests for the mean). */
  latencyMs: number;
}

export interface UsageTotal extends UsageSums {
  /**
   * The group's value: the account id, the model, the key name or the provider ("" when the
   * requests had none, e.g. no account was tried); absent without a group.
   */
  group?: string;
  /** For accounts: the label a person recognises, and its provider. */
  label?: string;
  provider?: string;
  /** The bucket's start (epoch ms), with a bucket. */
  bucket?: number;
}

export interface UsageStore {
  /** Appends rows (and adds them to the hourly sums) in one transaction: all or none. */
  append(rows: readonly UsageRow[]): Promise<void>;
  /** Sums over the range: exact where raw rows remain, whole hours before that. */
  totals(query: UsageQuery): Promise<UsageTotal[]>;
  /** The latest rows, newest first. */
  recent(limit: number): Promise<UsageRow[]>;
  /**
   * Removes raw rows older than `before` (epoch ms), at most `limit` of them when given; the
   * hourly sums stay. Returns how many went.
   */
  prune(before: number, limit?: number): Promise<number>;
  close(): Promise<void>;
}

/** Whether a request counts as an error in the sums. */
export function isError(status: number): boolean {
  return status >= 400 && status !== 499;
}

export function emptySums(): UsageSums {
  return {
    requests: 0,
    errors: 0,
    inputTokens: 0,
    outputTokens: 0,
    cacheReadTokens: 0,
    cacheWriteTokens: 0,
    reasoningTokens: 0,
    latencyMs: 0,
  };
}

export const HOUR_MS = 3_600_000;
export const DAY_MS = 86_400_000;
