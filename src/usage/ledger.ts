/**
 * @module
 * The usage ledger of a running server: each ended request is kept in memory
 * as it was reported (one object, nothing else done on the request's path),
 * and written to the store in one batch about every two seconds, and at
 * shutdown. Raw rows older than the retention are pruned once an hour.
 *
 * The store failing (a read-only or full disk, a locked or broken database)
 * never reaches a request: the ledger logs one warning per episode, keeps up
 * to `maxPending` requests for the next try (dropping the oldest beyond
 * that), and logs once more, with what was lost, when writing works again.
 */
import type { Usage } from "../ir/response.ts";
import type { Logger } from "../log/logger.ts";
import {
  HOUR_MS,
  type UsageQuery,
  type UsageRow,
  type UsageStore,
  type UsageTotal,
} from "./usage-store.ts";

/**
 * What the ledger needs of an ended request (the pipeline's `RequestRecord` has this shape;
 * the ledger sits below the pipeline and names only what it reads).
 */
export interface LedgerEntry {
  at: number;
  clientKey?: string;
  action: string;
  account?: { id: string; label: string; provider: string };
  requestedModel: string;
  servedModel?: string;
  clientDialect: string;
  upstreamDialect?: string;
  status: number;
  stream: boolean;
  latencyMs: number;
  firstByteMs?: number;
  usage?: Usage;
  error?: string;
}

export interface LedgerOptions {
  /** Opens the store; throws when it cannot (tried again at the next batch). */
  open(): UsageStore;
  log: Logger;
  /** How long raw rows are kept, in seconds (read at each prune: a config reload applies). */
  retentionSeconds(): number;
  /** Where the store is, for log lines. */
  where: string;
  flushMs?: number;
  maxPending?: number;
}

export interface Ledger {
  /** Keeps an ended request for the next batch. Never throws, never waits. */
  record(entry: LedgerEntry): void;
  /** Writes what is kept now. */
  flush(): Promise<void>;
  /** Writes what is kept and closes the store. */
  close(): Promise<void>;
  /** Sums from the store, what is kept in memory written first (for a management API). */
  totals(query: UsageQuery): Promise<UsageTotal[]>;
  /** The latest rows, newest first, what is kept in memory written first. */
  recent(limit: number): Promise<UsageRow[]>;
}

export const FLUSH_MS = 2000;
export const MAX_PENDING = 10_000;
/** Rows per write (and per prune): about a millisecond of the event loop each. */
const SLICE = 500;

const turn = () => new Promise<void>((resolve) => setTimeout(resolve, 0));

export function ledgerRow(entry: LedgerEntry): UsageRow {
  const usage = entry.usage;
  return {
    at: entry.at,
    clientKey: entry.clientKey,
    accountId: entry.account?.id,
    accountLabel: entry.account?.label,
    provider: entry.account?.provider,
    requestedModel: entry.requestedModel,
    servedModel: entry.servedModel,
    clientDialect: entry.clientDialect,
    upstreamDialect: entry.upstreamDialect,
    action: entry.action,
    status: entry.status,
    latencyMs: entry.latencyMs,
    firstByteMs: entry.firstByteMs,
    stream: entry.stream,
    inputTokens: usage?.inputTokens,
    outputTokens: usage?.outputTokens,
    cacheReadTokens: usage?.cachedInputTokens,
    cacheWriteTokens: usage?.cacheCreationInputTokens,
    reasoningTokens: usage?.reasoningTokens,
    error: entry.error,
  };
}

function reasonOf(error: unknown): string {
  const message = error instanceof Error ? error.message : String(error);
  return message.split("\n")[0].slice(0, 300);
}

export function createLedger(options: LedgerOptions): Ledger {
  const flushMs = options.flushMs ?? FLUSH_MS;
  const maxPending = options.maxPending ?? MAX_PENDING;
  const log = options.log;
  let pending: LedgerEntry[] = [];
  let timer: ReturnType<typeof setTimeout> | undefined;
  let store: UsageStore | undefined;
  /** The reason of the failure episode under way, if one is. */
  let failing: string | undefined;
  let dropped = 0;
  let prunedAt = 0;
  let closed = false;
  let chain: Promise<void> = Promise.resolve();

  const schedule = () => {
    if (timer === undefined && !closed) timer = setTimeout(() => void flush(), flushMs);
  };

  const keep = (batch: LedgerEntry[]) => {
    pending = batch.concat(pending);
    const excess = pending.length - maxPending;
    if (excess > 0) {
      pending.splice(0, excess);
      dropped += excess;
    }
  };

  const prune = async (target: UsageStore) => {
    const now = Date.now();
    if (now - prunedAt < HOUR_MS) return;
    prunedAt = now;
    const before = now - options.retentionSeconds() * 1000;
    while (await target.prune(before, SLICE) === SLICE) await turn();
  };

  const write = async () => {
    timer = undefined;
    if (closed) return;
    const batch = pending;
    pending = [];
    let written = 0;
    try {
      store ??= options.open();
      // In slices, with a turn of the event loop between them: a big batch (a busy server's
      // two seconds) never holds requests up for more than one slice's write.
      while (written < batch.length) {
        if (written > 0) await turn();
        const slice = batch.slice(written, written + SLICE);
        await store.append(slice.map(ledgerRow));
        written += slice.length;
      }
      await prune(store);
      if (failing) {
        log.info("usage ledger writing again", { file: options.where, lost: dropped });
        failing = undefined;
        dropped = 0;
      }
    } catch (error) {
      const reason = reasonOf(error);
      if (!failing) {
        log.warn(
          "usage ledger cannot write; requests are still served, their records kept in memory " +
            "until it can",
          { file: options.where, reason, limit: maxPending },
        );
      }
      failing = reason;
      keep(batch.slice(written));
      if (pending.length) schedule();
    }
  };

  const flush = (): Promise<void> => {
    if (timer !== undefined) {
      clearTimeout(timer);
      timer = undefined;
    }
    chain = chain.then(write);
    return chain;
  };

  /** The open store, after writing what is kept; throws when it could not be opened. */
  const written = async (): Promise<UsageStore> => {
    await flush();
    if (!store) throw new Error(`the usage ledger cannot be read: ${failing ?? "it is closed"}`);
    return store;
  };

  return {
    async totals(query) {
      return await (await written()).totals(query);
    },
    async recent(limit) {
      return await (await written()).recent(limit);
    },
    record(entry) {
      if (closed) return;
      pending.push(entry);
      // A store failing for long: memory stays bounded between tries.
      if (pending.length > 2 * maxPending) {
        const excess = pending.length - maxPending;
        pending.splice(0, excess);
        dropped += excess;
      }
      schedule();
    },
    flush,
    async close() {
      if (closed) return;
      await flush();
      closed = true;
      if (timer !== undefined) clearTimeout(timer);
      timer = undefined;
      if (pending.length) {
        log.warn("usage ledger closed with requests unrecorded", {
          file: options.where,
          lost: pending.length + dropped,
        });
      }
      await store?.close();
      store = undefined;
    },
  };
}
