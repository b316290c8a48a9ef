/**
 * @module
 * Plan quota as the providers report it: windows of use (Claude's 5-hour and
 * weekly windows, ChatGPT's primary and secondary ones, Copilot's monthly
 * premium requests, …), each with how much is used and when it resets. A
 * provider's folder reads them from its answers' headers, from its usage
 * endpoint, or both (`providers/<id>/quota.ts`); the pool keeps them
 * (`pool/quota-book.ts`) and routes by them.
 */
import { readJson } from "../http/read-upstream.ts";
import type { UpstreamAccount } from "./upstream.ts";

/** One window as a provider reported it, before the pool stamps where and when it was seen. */
export interface QuotaReading {
  /**
   * The window's name: `5h` and `7d` for five-hour and weekly windows (the `accounts` columns),
   * else the provider's own (`7d-opus`, `premium`, a model id).
   */
  name: string;
  /** How much of the window is used, 0–100. */
  usedPercent: number;
  /** When the window resets (epoch ms), when the provider said. */
  resetsAt?: number;
  /** Model-name patterns (`*opus*`) the window limits; absent: every model of the account. */
  models?: string[];
  /**
   * The provider says the window refuses requests now. When absent, a window at 100 % does;
   * a provider that lets an account run past 100 % (paid overage) says `false`.
   */
  exhausted?: boolean;
  /**
   * Shown and weighed for headroom, but never rests the account: the window limits only some
   * requests subgate cannot tell apart (Copilot's premium requests), or its meaning is unknown.
   */
  advisory?: boolean;
}

/** Where a provider's usage endpoint lives: its endpoints with `providers.<id>` applied. */
export interface QuotaUrls {
  baseUrl: string;
  apiUrl?: string;
}

/** How a provider reports plan quota. */
export interface ProviderQuota {
  /**
   * The windows an answer's headers carry, or undefined when it carries none. Called on every
   * upstream answer of the provider's logins: a header lookup or two when there is nothing.
   */
  fromHeaders?(headers: Headers, now: number): QuotaReading[] | undefined;
  /** Asks the provider's usage endpoint (never on a request's path). */
  fetch?(account: UpstreamAccount, urls: QuotaUrls, signal: AbortSignal): Promise<QuotaReading[]>;
  /** How often the usage endpoint is asked per login, at most. */
  pollSeconds: number;
}

/** A usage endpoint's refusal or failure, with what the poller needs to back off. */
export class QuotaFetchError extends Error {
  constructor(message: string, readonly status?: number, readonly retryAfterSeconds?: number) {
    super(message);
  }
}

/** Largest usage answer read: the real ones are a few kilobytes. */
const MAX_USAGE_BYTES = 1024 * 1024;

/** Calls a usage endpoint and reads its JSON answer (bounded); failures throw `QuotaFetchError`. */
export async function quotaJson(
  url: string,
  init: RequestInit & { signal: AbortSignal },
): Promise<unknown> {
  let response: Response;
  try {
    response = await fetch(url, init);
  } catch (error) {
    if (init.signal.aborted) throw new QuotaFetchError("the usage endpoint timed out");
    throw new QuotaFetchError(`could not reach the usage endpoint: ${(error as Error).message}`);
  }
  if (!response.ok) {
    await response.body?.cancel().catch(() => {});
    const retryAfter = Number(response.headers.get("retry-after") ?? NaN);
    throw new QuotaFetchError(
      `the usage endpoint answered HTTP ${response.status}`,
      response.status,
      Number.isFinite(retryAfter) && retryAfter >= 0 ? retryAfter : undefined,
    );
  }
  const read = await readJson(response, MAX_USAGE_BYTES);
  if (!read.ok) throw new QuotaFetchError(read.error.message);
  return read.value;
}

/** A number from a JSON number or numeric string, else undefined. */
export function numberOf(value: unknown): number | undefined {
  const number = typeof value === "string" && value.trim() !== "" ? Number(value) : value;
  return typeof number === "number" && Number.isFinite(number) ? number : undefined;
}

/** Clamped to 0–100. */
export function clampPercent(value: number): number {
  return Math.min(100, Math.max(0, value));
}

/**
 * A reset time as providers write it: unix seconds (or milliseconds), as a number or a numeric
 * string, or an ISO 8601 date. Epoch ms, or undefined when unreadable.
 */
export function resetTimeOf(value: unknown): number | undefined {
  const number = numberOf(value);
  if (number !== undefined) {
    if (number <= 0) return undefined;
    return number > 1e12 ? number : number * 1000;
  }
  if (typeof value !== "string" || !value.trim()) return undefined;
  const parsed = Date.parse(value);
  return Number.isFinite(parsed) ? parsed : undefined;
}

/** `5h`, `7d` for the windows people know by those names, else the minutes (`90m`). */
export function windowName(minutes: number | undefined, fallback: string): string {
  if (minutes === 300) return "5h";
  if (minutes === 10080) return "7d";
  if (minutes && minutes % 1440 === 0) return `${minutes / 1440}d`;
  if (minutes && minutes % 60 === 0) return `${minutes / 60}h`;
  return minutes ? `${minutes}m` : fallback;
}
