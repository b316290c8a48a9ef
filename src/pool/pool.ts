/**
 * @module
 * The account pool for one running server: the strategy's order, the
 * cooldowns, and the "everyone is resting" answer.
 */
import { apiError, type ApiErrorException } from "../errors/api-error.ts";
import type { Account } from "../store/account.ts";
import type { Rest } from "./classify-failure.ts";
import { type Cooldowns, createCooldowns } from "./cooldowns.ts";
import { createSelector, type Resting, type Selection, type Strategy } from "./select-accounts.ts";
import { createAffinity } from "./session-affinity.ts";

export interface Pool {
  /** The ready accounts in order; with an affinity key, the conversation's account first. */
  select(
    tiers: readonly (readonly Account[])[],
    model: string,
    strategy: Strategy,
    affinityKey?: string,
  ): Selection;
  /** Remembers which account served a conversation. */
  bind(affinityKey: string, account: Account): void;
  rest(account: Account, model: string, rest: Rest): void;
  succeed(account: Account, model: string): void;
  /** Counts a request's outcome on an account. */
  count(account: Account, ok: boolean): void;
  /** Per account: requests and errors since start, and the rests in force. */
  snapshot(): Record<string, AccountState>;
  /** Runs `listener` after any change (a count, a rest). */
  onChange(listener: () => void): void;
}

export interface AccountState {
  requests: number;
  errors: number;
  resting: { model: string; until: string; reason: string }[];
}

export function createPool(cooldowns: Cooldowns = createCooldowns()): Pool {
  const select = createSelector();
  const affinity = createAffinity();
  const counts = new Map<string, { requests: number; errors: number }>();
  const listeners: (() => void)[] = [];
  const changed = () => listeners.forEach((listener) => listener());
  return {
    select(tiers, model, strategy, affinityKey) {
      const selection = select(tiers, model, strategy, cooldowns);
      const bound = affinityKey ? affinity.get(affinityKey) : undefined;
      const at = bound ? selection.ready.findIndex((a) => a.id === bound) : -1;
      if (at > 0) selection.ready.unshift(...selection.ready.splice(at, 1));
      return selection;
    },
    bind: (affinityKey, account) => affinity.bind(affinityKey, account.id),
    count(account, ok) {
      const current = counts.get(account.id) ?? { requests: 0, errors: 0 };
      current.requests++;
      if (!ok) current.errors++;
      counts.set(account.id, current);
      changed();
    },
    snapshot() {
      const out: Record<string, AccountState> = {};
      for (const [id, { requests, errors }] of counts) out[id] = { requests, errors, resting: [] };
      for (const { accountId, model, cooldown } of cooldowns.list()) {
        out[accountId] ??= { requests: 0, errors: 0, resting: [] };
        out[accountId].resting.push({
          model,
          until: clock(cooldown.until),
          reason: cooldown.reason,
        });
      }
      return out;
    },
    onChange(listener) {
      listeners.push(listener);
    },
    rest: (account, model, rest) => {
      cooldowns.rest(account, model, rest);
      changed();
    },
    succeed: (account, model) => cooldowns.clear(account.id, model),
  };
}

function clock(time: number): string {
  return new Date(time).toISOString().replace(/\.\d{3}Z$/, "Z");
}

/**
 * The answer when every account for a model rests: 429 naming who is back when (retry-after the
 * earliest) when a limit holds any of them; when only refused credentials do, 401 (or 403) naming
 * the accounts, since waiting will not help but fixing the credentials will.
 */
export function everyoneResting(model: string, resting: readonly Resting[]): ApiErrorException {
  const soonest = resting[0]?.until ?? Date.now();
  const list = resting.map((r) => `${r.account.label} (${r.reason}) until ${clock(r.until)}`)
    .join("; ");
  if (resting.length && resting.every((r) => r.kind === "auth")) {
    const forbidden = resting.every((r) => r.reason === "forbidden");
    return apiError(
      forbidden ? "permission" : "authentication",
      `The upstream refused the credentials of every account serving '${model}': ` +
        resting.map((r) => `${r.account.label} (${r.reason})`).join("; ") +
        ". Fix the key or log in again; subgate tries an account again as soon as its " +
        "credentials change.",
    );
  }
  return apiError(
    "rate_limit",
    `Every account serving '${model}' is resting: ${list}. Retry after ${clock(soonest)}.`,
    { retryAfterSeconds: Math.max(1, Math.ceil((soonest - Date.now()) / 1000)) },
  );
}
