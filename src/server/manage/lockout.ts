/**
 * @module
 * Slows and then stops guessing of the management key, per caller address:
 *
 * - the first 3 wrong keys within 15 minutes are answered at once (typos);
 * - the 4th to the 9th are answered after 0.5, 1, 2, 4, 4 and 4 seconds;
 * - the 10th locks the address out for 15 minutes: every request from it,
 *   the right key included, gets 429 with `retry-after`, and the lockout is
 *   logged once;
 * - the right key (outside a lockout) forgets the address's failures, and so
 *   do 15 minutes without one.
 *
 * The count is taken before the delay, so guesses sent in parallel count as
 * fast as they arrive. At most 10,000 addresses are tracked; past that the
 * oldest entries are dropped first.
 */
import type { Logger } from "../../log/logger.ts";

export const LOCKOUT_RULES = {
  freeFailures: 3,
  delaysMs: [500, 1000, 2000, 4000],
  maxFailures: 10,
  windowMs: 15 * 60_000,
  lockMs: 15 * 60_000,
  tracked: 10_000,
};

interface Entry {
  failures: number;
  last: number;
  lockedUntil?: number;
}

export interface Lockout {
  /** When the caller's lockout ends (epoch ms), or undefined when it is not locked out. */
  lockedUntil(key: string): number | undefined;
  /** Notes a wrong key; says how long to wait before answering. */
  failed(key: string, address: string): { delayMs: number };
  succeeded(key: string): void;
}

export function createLockout(log: Logger, rules = LOCKOUT_RULES): Lockout {
  const entries = new Map<string, Entry>();
  /** The address's entry in force: none once its lockout is over or its failures are old. */
  const current = (key: string, now: number): Entry | undefined => {
    const entry = entries.get(key);
    if (!entry) return undefined;
    const over = entry.lockedUntil !== undefined
      ? entry.lockedUntil <= now
      : now - entry.last > rules.windowMs;
    if (!over) return entry;
    entries.delete(key);
    return undefined;
  };
  return {
    lockedUntil(key) {
      const entry = current(key, Date.now());
      return entry?.lockedUntil;
    },
    failed(key, address) {
      const now = Date.now();
      const entry = current(key, now) ?? { failures: 0, last: now };
      entry.failures++;
      entry.last = now;
      // Re-inserted, so the map's order is least recently failed first.
      entries.delete(key);
      entries.set(key, entry);
      if (entries.size > rules.tracked) entries.delete(entries.keys().next().value!);
      if (entry.failures >= rules.maxFailures && entry.lockedUntil === undefined) {
        entry.lockedUntil = now + rules.lockMs;
        log.warn("management API locked for an address after repeated wrong keys", {
          address,
          failures: entry.failures,
          until: new Date(entry.lockedUntil).toISOString(),
        });
      }
      const over = entry.failures - rules.freeFailures;
      const delayMs = over <= 0 ? 0 : rules.delaysMs[Math.min(over - 1, rules.delaysMs.length - 1)];
      return { delayMs };
    },
    succeeded(key) {
      entries.delete(key);
    },
  };
}
