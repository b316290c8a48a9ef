/**
 * @module
 * The order in which a model's accounts are tried: `round-robin` (the
 * default) starts each request one account further along; `fill-first` uses
 * the first account until it rests. Accounts resting for the model go last
 * only when nothing else is left, which the caller turns into a 429.
 */
import type { Account } from "../store/account.ts";
import type { Cooldowns } from "./cooldowns.ts";

export type Strategy = "round-robin" | "fill-first";

export interface Selection {
  /** Ready accounts, in the order to try them. */
  ready: Account[];
  /** Accounts resting for this model, soonest back first. */
  resting: { account: Account; until: number; reason: string }[];
}

export function createSelector() {
  const cursors = new Map<string, number>();
  return function select(
    candidates: readonly Account[],
    model: string,
    strategy: Strategy,
    cooldowns: Cooldowns,
  ): Selection {
    const now = Date.now();
    const ready: Account[] = [];
    const resting: Selection["resting"] = [];
    for (const account of candidates) {
      const cooldown = cooldowns.get(account.id, model, now);
      if (cooldown) resting.push({ account, until: cooldown.until, reason: cooldown.reason });
      else ready.push(account);
    }
    resting.sort((a, b) => a.until - b.until);
    if (strategy === "round-robin" && ready.length > 1) {
      const cursor = cursors.get(model) ?? 0;
      cursors.set(model, (cursor + 1) % 1_000_000_007);
      const start = cursor % ready.length;
      return { ready: [...ready.slice(start), ...ready.slice(0, start)], resting };
    }
    return { ready, resting };
  };
}
