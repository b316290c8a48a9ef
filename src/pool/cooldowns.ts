/**
 * @module
 * Which accounts are resting, per model: after a rate limit until the time
 * the upstream named (or an exponential backoff when it named none), after a
 * server error for a short while. A success clears the account's state.
 */

export interface Cooldown {
  until: number;
  reason: string;
  /** Consecutive rate limits without a reset time, for the backoff. */
  strikes: number;
}

const MAX_BACKOFF_MS = 30 * 60_000;

export interface Cooldowns {
  /** The rest in force for this account and model, if any. */
  get(accountId: string, model: string, now?: number): Cooldown | undefined;
  /** Rests the account for this model until `until`, or backs off when it is unknown. */
  rest(accountId: string, model: string, reason: string, until?: number): Cooldown;
  clear(accountId: string, model: string): void;
  /** Every rest still in force. */
  list(now?: number): { accountId: string; model: string; cooldown: Cooldown }[];
}

export function createCooldowns(): Cooldowns {
  const state = new Map<string, Cooldown>();
  const key = (accountId: string, model: string) => `${accountId}\u0000${model}`;
  return {
    get(accountId, model, now = Date.now()) {
      const found = state.get(key(accountId, model));
      return found && found.until > now ? found : undefined;
    },
    rest(accountId, model, reason, until) {
      const previous = state.get(key(accountId, model));
      const strikes = (previous?.strikes ?? 0) + 1;
      const backoff = Math.min(MAX_BACKOFF_MS, 1000 * 2 ** (strikes - 1));
      const cooldown = { until: until ?? Date.now() + backoff, reason, strikes };
      state.set(key(accountId, model), cooldown);
      return cooldown;
    },
    clear(accountId, model) {
      state.delete(key(accountId, model));
    },
    list(now = Date.now()) {
      return [...state.entries()].filter(([, cooldown]) => cooldown.until > now).map(
        ([composite, cooldown]) => {
          const [accountId, model] = composite.split("\u0000");
          return { accountId, model, cooldown };
        },
      );
    },
  };
}
