/**
 * @module
 * The order in which a model's accounts are tried. Candidates come in tiers
 * (those listing the model, then its family's own accounts, then
 * aggregators); the strategy orders each tier and the tiers follow one
 * another. `round-robin` (the default) starts each request one account
 * further along; `fill-first` uses the first account until it rests.
 *
 * Resting accounts are left out. When every candidate rests and one of them
 * only for a passing server fault, the one back soonest is tried anyway
 * (half-open): a single account's blip must not refuse requests it could
 * serve. A 429 for "everyone resting" is for real limits only.
 */
import type { Account } from "../store/account.ts";
import type { RestKind } from "./classify-failure.ts";
import type { Cooldowns } from "./cooldowns.ts";

export type Strategy = "round-robin" | "fill-first";

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

export function createSelector() {
  const cursors = new Map<string, number>();
  const rotate = (accounts: Account[], key: string, strategy: Strategy) => {
    if (strategy !== "round-robin" || accounts.length < 2) return accounts;
    const cursor = cursors.get(key) ?? 0;
    cursors.set(key, (cursor + 1) % 1_000_000_007);
    const start = cursor % accounts.length;
    return [...accounts.slice(start), ...accounts.slice(0, start)];
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
      ready.push(...rotate(available, index ? `${model}\u0000${index}` : model, strategy));
    });
    resting.sort((a, b) => a.until - b.until);
    const blip = ready.length === 0 ? resting.find((r) => r.kind === "transient") : undefined;
    if (blip) return { ready: [blip.account], resting, probe: true };
    return { ready, resting, probe: false };
  };
}
