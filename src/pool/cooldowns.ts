/**
 * @module
 * Which accounts are resting, per model, and until when:
 *
 * - `limit`: until the time the upstream named, else an exponential backoff
 *   (1 s, 2 s, 4 s … up to 30 minutes);
 * - `transient` (server errors, refused connections, timeouts): 1 s, 2 s,
 *   4 s … up to 30 s, so one passing fault costs a second, not a lockout;
 * - `auth` (credentials refused): until the account's credentials change (a
 *   replaced token file, a refresh, an edited config entry), checked on
 *   every look, or 30 minutes at most;
 * - `quota`: a plan window the quota book holds used up, until its reset.
 *   It is never stored here: it is asked of the book on every look, so a
 *   newer reading showing headroom, or the reset passing, lifts it at once.
 *
 * A success clears the account's state for the model, backoff included.
 */
import type { Account } from "../store/account.ts";
import { credentialFingerprint } from "../store/credential-fingerprint.ts";
import type { Rest, RestKind } from "./classify-failure.ts";
import type { QuotaBook } from "./quota-book.ts";

export interface Cooldown {
  until: number;
  reason: string;
  kind: RestKind;
  /** Consecutive failures of this kind, for the backoff. */
  strikes: number;
  /** The credentials refused, for `auth` rests. */
  fingerprint?: string;
}

const MAX_LIMIT_BACKOFF_MS = 30 * 60_000;
const MAX_TRANSIENT_BACKOFF_MS = 30_000;
/** Refused credentials are tried again when they change, or after this long in any case. */
const AUTH_REST_MS = 30 * 60_000;

export interface Cooldowns {
  /** The rest in force for this account and model, if any. */
  get(account: Account, model: string, now?: number): Cooldown | undefined;
  /** Rests the account for this model. */
  rest(account: Account, model: string, rest: Rest): Cooldown;
  /** Lifts the rest; true when there was one. */
  clear(accountId: string, model: string): boolean;
  /** Puts a rest in force as it is (another instance's, from the shared store). */
  set(accountId: string, model: string, cooldown: Cooldown): void;
  /** Every rest still in force. */
  list(now?: number): { accountId: string; model: string; cooldown: Cooldown }[];
}

/** 1 s, 2 s, 4 s … up to `max`. */
function backoff(strikes: number, max: number): number {
  return Math.min(max, 1000 * 2 ** Math.min(strikes - 1, 30));
}

function untilFor(rest: Rest, strikes: number, now = Date.now()): number {
  switch (rest.kind) {
    case "transient":
      return now + backoff(strikes, MAX_TRANSIENT_BACKOFF_MS);
    case "limit":
      return rest.until ?? now + backoff(strikes, MAX_LIMIT_BACKOFF_MS);
    case "auth":
      return rest.until ?? now + AUTH_REST_MS;
    case "quota":
      return rest.until ?? now + backoff(strikes, MAX_LIMIT_BACKOFF_MS);
  }
}

/** The name the upstream knows the model by, which quota windows are written for. */
export function upstreamName(account: Account, model: string): string {
  return account.upstreamModels?.[model] ?? model;
}

export function createCooldowns(quota?: Pick<QuotaBook, "spent">): Cooldowns {
  const state = new Map<string, Cooldown>();
  const key = (accountId: string, model: string) => `${accountId}\u0000${model}`;
  return {
    get(account, model, now = Date.now()) {
      let found = state.get(key(account.id, model));
      if (found && found.until <= now) found = undefined;
      if (found?.kind === "auth" && found.fingerprint !== credentialFingerprint(account)) {
        // New credentials deserve a try at once.
        state.delete(key(account.id, model));
        found = undefined;
      }
      const window = quota?.spent(account.id, upstreamName(account, model), now);
      if (!window || (found && found.until >= window.resetsAt!)) return found;
      return {
        until: window.resetsAt!,
        reason: `${window.name} window spent`,
        kind: "quota",
        strikes: 0,
      };
    },
    rest(account, model, rest) {
      const previous = state.get(key(account.id, model));
      const strikes = previous?.kind === rest.kind ? previous.strikes + 1 : 1;
      const until = untilFor(rest, strikes);
      const cooldown: Cooldown = { until, reason: rest.reason, kind: rest.kind, strikes };
      if (rest.kind === "auth") cooldown.fingerprint = credentialFingerprint(account);
      state.set(key(account.id, model), cooldown);
      return cooldown;
    },
    clear(accountId, model) {
      return state.delete(key(accountId, model));
    },
    set(accountId, model, cooldown) {
      state.set(key(accountId, model), cooldown);
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
