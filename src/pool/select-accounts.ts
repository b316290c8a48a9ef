/**
 * @module
 * The order in which a model's accounts are tried. Candidates come in tiers
 * (those listing the model, then its family's own accounts, then
 * aggregators); the strategy orders each tier and the tiers follow one
 * another. `round-robin` (the default) starts each request one account
 * further along; `fill-first` uses the first account until it rests (and
 * goes back to it when it is back); `quota` prefers the account with the most
 * left in its tightest plan window, and among accounts close to the best
 * (within ten points) the one whose window resets soonest, so quota that is
 * about to renew is used first. Accounts with no reading count as having all of it
 * left. Round-robin uses the readings only to break its tie between equals:
 * an account with under a tenth left goes after the others, the rotation
 * otherwise unchanged.
 *
 * Resting accounts are left out. When every candidate rests and one of them
 * only for a passing server fault, the one back soonest is tried anyway
 * (half-open): a single account's blip must not refuse requests it could
 * serve. A 429 for "everyone resting" is for real limits only.
 */
import type { Account } from "../store/account.ts";
import type { RestKind } from "./classify-failure.ts";
import { type Cooldowns, upstreamName } from "./cooldowns.ts";
import type { QuotaBook } from "./quota-book.ts";

export type Strategy = "round-robin" | "fill-first" | "quota";

/** Percent left under which round-robin tries an account after the others. */
const LOW_HEADROOM = 10;
/** Points of headroom within which the quota strategy calls accounts close. */
const CLOSE = 10;

export interface Resting {
  account: Account;
  until: number;
  reason: string;
  kind: RestKind;
}

export interface Selection {
  /** Accounts to try, in order. */
  ready: Account[];
  /** Accounts resting for this model, soonest back first. */
  resting: Resting[];
  /** `ready` holds only a resting account tried early (half-open). */
  probe: boolean;
}

export function createSelector(quota?: Pick<QuotaBook, "headroom" | "hasReadings">) {
  const cursors = new Map<string, number>();
  const rotate = (accounts: Account[], key: string, strategy: Strategy) => {
    if (strategy === "fill-first" || accounts.length < 2) return accounts;
    const cursor = cursors.get(key) ?? 0;
    cursors.set(key, (cursor + 1) % 1_000_000_007);
    const start = cursor % accounts.length;
    return [...accounts.slice(start), ...accounts.slice(0, start)];
  };
  /** The accounts in the strategy's order, by what their plan windows have left. */
  const byHeadroom = (accounts: Account[], model: string, strategy: Strategy, now: number) => {
    if (strategy === "fill-first" || accounts.length < 2 || !quota?.hasReadings()) return accounts;
    const ranked = accounts.map((account, index) => {
      const room = quota.headroom(account.id, upstreamName(account, model), now);
      return { account, index, left: room?.left ?? 100, resetsAt: room?.resetsAt ?? Infinity };
    });
    if (strategy === "round-robin") {
      const low = (r: (typeof ranked)[number]) => r.left < LOW_HEADROOM;
      return [...ranked.filter((r) => !low(r)), ...ranked.filter(low)].map((r) => r.account);
    }
    // Most left first; those within CLOSE of the best of what is left go soonest reset first.
    ranked.sort((a, b) => b.left - a.left || a.index - b.index);
    const order: Account[] = [];
    for (let start = 0; start < ranked.length;) {
      let end = start + 1;
      while (end < ranked.length && ranked[end].left >= ranked[start].left - CLOSE) end++;
      const close = ranked.slice(start, end)
        .sort((a, b) => a.resetsAt - b.resetsAt || a.index - b.index);
      order.push(...close.map((r) => r.account));
      start = end;
    }
    return order;
  };
  return function select(
    tiers: readonly (readonly Account[])[],
    model: string,
    strategy: Strategy,
    cooldowns: Cooldowns,
  ): Selection {
    const now = Date.now();
    const ready: Account[] = [];
    const resting: Resting[] = [];
    tiers.forEach((tier, index) => {
      const available: Account[] = [];
      for (const account of tier) {
        const cooldown = cooldowns.get(account, model, now);
        if (!cooldown) available.push(account);
        else resting.push({ account, ...cooldown });
      }
      const rotated = rotate(available, index ? `${model}\u0000${index}` : model, strategy);
      ready.push(...byHeadroom(rotated, model, strategy, now));
    });
    resting.sort((a, b) => a.until - b.until);
    const blip = ready.length === 0 ? resting.find((r) => r.kind === "transient") : undefined;
    if (blip) return { ready: [blip.account], resting, probe: true };
    return { ready, resting, probe: false };
  };
}
