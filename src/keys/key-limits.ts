/**
 * @module
 * A client key's limits, counted in memory per key name in fixed windows on
 * the clock: the minute (`requests-per-minute`) and the UTC day
 * (`requests-per-day`, `tokens-per-day`). Requests count when they are
 * admitted (a refused one does not); tokens when a request ends, from the
 * upstream's own usage, so a request admitted under the limit may take the
 * day over it. Over a limit, the answer is 429 with `retry-after` set to the
 * moment its window turns.
 *
 * Fixed windows rather than sliding ones: one counter per window and key
 * (a sliding log would keep a time per request: a day's worth), an exact
 * `retry-after` a client can wait for, and days that match the usage
 * ledger's. The price: up to twice a minute's limit can pass across the turn
 * of a minute.
 */
import { apiError, type ApiErrorException } from "../errors/api-error.ts";
import type { ClientKey } from "./client-key.ts";

export const MINUTE = 60_000;
export const DAY = 86_400_000;

/** Which of a key's limits are reached, each given when it is set and its count has reached it. */
export interface Reached {
  tokensPerDay: boolean;
  requestsPerDay: boolean;
  requestsPerMinute: boolean;
}

/**
 * The 429 for the first limit reached (the day's first: when both are reached, the day's turn is
 * the one to wait for), with `retry-after` at its window's turn; undefined when none is.
 * `scope` is said after the limit (the team's store: "counted across the team's instances").
 */
export function limitRefusal(
  key: ClientKey,
  reached: Reached,
  at: number,
  scope = "",
): ApiErrorException | undefined {
  const { requestsPerMinute, requestsPerDay, tokensPerDay } = key.limits;
  const dayEnd = at - at % DAY + DAY;
  const over = tokensPerDay !== undefined && reached.tokensPerDay
    ? { limit: "tokens-per-day", value: tokensPerDay, until: dayEnd }
    : requestsPerDay !== undefined && reached.requestsPerDay
    ? { limit: "requests-per-day", value: requestsPerDay, until: dayEnd }
    : requestsPerMinute !== undefined && reached.requestsPerMinute
    ? { limit: "requests-per-minute", value: requestsPerMinute, until: at - at % MINUTE + MINUTE }
    : undefined;
  if (!over) return undefined;
  const seconds = Math.max(1, Math.ceil((over.until - at) / 1000));
  const turn = over.limit === "requests-per-minute" ? "the minute turns" : "the day turns (UTC)";
  return apiError(
    "rate_limit",
    `The client key '${key.name}' reached its ${over.limit} limit of ` +
      `${over.value.toLocaleString("en-US")}${scope ? ` (${scope})` : ""}; it resets when ` +
      `${turn}, in ${seconds} s.`,
    { retryAfterSeconds: seconds },
  );
}

interface Window {
  start: number;
  count: number;
}

interface Counters {
  minute: Window;
  day: Window;
  tokens: Window;
}

export interface KeyLimiter {
  /** Counts a request the key makes now, or returns the 429 when a limit is reached. */
  admit(key: ClientKey): ApiErrorException | undefined;
  /** Adds a finished request's tokens to the key's day. */
  addTokens(name: string, tokens: number): void;
  /** The key's counts in their current windows. */
  usage(name: string): { requestsThisMinute: number; requestsToday: number; tokensToday: number };
}

/** The window's count, started afresh when its period has turned. */
function current(window: Window, start: number): Window {
  if (window.start !== start) {
    window.start = start;
    window.count = 0;
  }
  return window;
}

export function createKeyLimiter(now: () => number = Date.now): KeyLimiter {
  const counters = new Map<string, Counters>();
  const countersOf = (name: string): Counters => {
    let found = counters.get(name);
    if (!found) {
      found = {
        minute: { start: 0, count: 0 },
        day: { start: 0, count: 0 },
        tokens: { start: 0, count: 0 },
      };
      counters.set(name, found);
    }
    return found;
  };

  return {
    admit(key) {
      const { requestsPerMinute, requestsPerDay, tokensPerDay } = key.limits;
      const at = now();
      const minuteStart = at - at % MINUTE;
      const dayStart = at - at % DAY;
      const own = countersOf(key.name);
      const minute = current(own.minute, minuteStart);
      const day = current(own.day, dayStart);
      const tokens = current(own.tokens, dayStart);
      const refusal = limitRefusal(key, {
        tokensPerDay: tokensPerDay !== undefined && tokens.count >= tokensPerDay,
        requestsPerDay: requestsPerDay !== undefined && day.count >= requestsPerDay,
        requestsPerMinute: requestsPerMinute !== undefined && minute.count >= requestsPerMinute,
      }, at);
      if (refusal) return refusal;
      minute.count++;
      day.count++;
      return undefined;
    },
    addTokens(name, count) {
      if (!(count > 0)) return;
      const at = now();
      current(countersOf(name).tokens, at - at % DAY).count += count;
    },
    usage(name) {
      const at = now();
      const own = countersOf(name);
      return {
        requestsThisMinute: current(own.minute, at - at % MINUTE).count,
        requestsToday: current(own.day, at - at % DAY).count,
        tokensToday: current(own.tokens, at - at % DAY).count,
      };
    },
  };
}
