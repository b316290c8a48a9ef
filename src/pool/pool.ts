/**
 * @module
 * The account pool for one running server: the strategy's order, the
 * cooldowns, the plan quota each login has left, and the "everyone is
 * resting" answer.
 */
import { apiError, type ApiErrorException } from "../errors/api-error.ts";
import type { Account } from "../store/account.ts";
import type { Rest } from "./classify-failure.ts";
import { type Cooldown, createCooldowns, upstreamName } from "./cooldowns.ts";
import { type AccountQuota, createQuotaBook, type QuotaBook } from "./quota-book.ts";
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
  /** Per account: requests and errors since start, the rests in force, its quota windows. */
  snapshot(): Record<string, AccountState>;
  /** The plan quota of every login: what the readings say, for the management API. */
  quotaSnapshot(): Record<string, AccountQuota>;
  /** Where plan quota readings go (the pipeline's `answered` hook, the poller). */
  readonly quota: QuotaBook;
  /** Runs `listener` after any change (a count, a rest). */
  onChange(listener: () => void): void;
  /** Tells `sync` every rest this instance puts on an account or lifts (teams share them). */
  share(sync: PoolSync): void;
  /** Puts another instance's rest in force, or lifts it (`cooldown` undefined). */
  applyRest(accountId: string, model: string, cooldown: Cooldown | undefined): void;
}

/** Where this instance's rests go to be shared with other instances. */
export interface PoolSync {
  rested(accountId: string, model: string, cooldown: Cooldown): void;
  cleared(accountId: string, model: string): void;
}

export interface AccountState {
  requests: number;
  errors: number;
  /** `model` is `*` for a used-up plan window that limits every model. */
  resting: { model: string; until: string; reason: string }[];
  /** The plan's windows, when the provider reported them. */
  quota?: AccountQuota;
}

export function createPool(quota: QuotaBook = createQuotaBook()): Pool {
  const cooldowns = createCooldowns(quota);
  const select = createSelector(quota);
  const affinity = createAffinity();
  const counts = new Map<string, { requests: number; errors: number }>();
  const listeners: (() => void)[] = [];
  const changed = () => listeners.forEach((listener) => listener());
  quota.onChange(changed);
  let sync: PoolSync | undefined;
  return {
    quota,
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
      for (const [accountId, account] of Object.entries(quota.snapshot())) {
        out[accountId] ??= { requests: 0, errors: 0, resting: [] };
        out[accountId].quota = account;
        for (const window of account.windows) {
          if (!window.spent) continue;
          out[accountId].resting.push({
            model: window.models?.join(", ") ?? "*",
            until: window.resetsAt!,
            reason: `${window.name} window spent`,
          });
        }
      }
      return out;
    },
    quotaSnapshot: () => quota.snapshot(),
    onChange(listener) {
      listeners.push(listener);
    },
    rest: (account, model, rest) => {
      // A limit the quota book already explains (the answer's own headers said the window is
      // used up) rests as a quota rest, which the next reading showing headroom lifts.
      const explained = rest.kind === "limit" &&
        quota.spent(account.id, upstreamName(account, model));
      if (!explained) {
        const cooldown = cooldowns.rest(account, model, rest);
        sync?.rested(account.id, model, cooldown);
      }
      changed();
    },
    succeed(account, model) {
      if (cooldowns.clear(account.id, model)) sync?.cleared(account.id, model);
    },
    share(next) {
      sync = next;
    },
    applyRest(accountId, model, cooldown) {
      if (cooldown) cooldowns.set(accountId, model, cooldown);
      else cooldowns.clear(accountId, model);
      changed();
    },
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
