/**
 * @module
 * What each login has left of its plan: per account, the windows its
 * provider reported (Claude's 5-hour and weekly windows, ChatGPT's, Copilot's
 * month, …), each with how much is used, when it resets, where it was read
 * (an answer's headers, or the usage endpoint) and when.
 *
 * Readings arrive two ways: every upstream answer passes its headers here
 * (`answered`, the pipeline's hook: a header lookup or two), and the poller
 * (`quota-poller.ts`) asks the usage endpoints now and then. A newer reading
 * of a window replaces the older one, whichever way it came.
 *
 * Routing asks two things. `spent`: is a window that limits this model used
 * up until a known reset? Then the account rests for that model until then,
 * and the rest ends by itself the moment a newer reading shows headroom or
 * the reset passes (nothing is stored to forget). `headroom`: how much is left
 * in the tightest window, for the `quota` strategy.
 */
import { matchesModel } from "../models/match-model.ts";
import { PROVIDERS } from "../providers/registry.ts";
import type { Account } from "../store/account.ts";
import type { QuotaReading } from "../upstreams/quota.ts";

export type QuotaSource = "header" | "endpoint";

/** A window as the book keeps it. */
export interface QuotaWindow extends QuotaReading {
  source: QuotaSource;
  /** When it was read (epoch ms). */
  seenAt: number;
}

/** The tightest window limiting a model: percent left, and when it resets. */
export interface Headroom {
  left: number;
  resetsAt?: number;
}

/** A window as the published state and the management API show it (times in ISO 8601). */
export interface QuotaWindowView {
  name: string;
  usedPercent: number;
  resetsAt?: string;
  source: QuotaSource;
  seenAt: string;
  models?: string[];
  exhausted?: boolean;
  advisory?: boolean;
  /** The window rests the account (for `models`, or every model) until `resetsAt`. */
  spent: boolean;
}

/** One account's quota: its windows and how its usage endpoint last answered. */
export interface AccountQuota {
  windows: QuotaWindowView[];
  /** When the usage endpoint was last asked. */
  polledAt?: string;
  /** Which instance asked it (teams: one instance polls each login at a time). */
  polledBy?: string;
  /** Why that failed, when it did (a sentence without secrets). */
  pollError?: string;
  /** When it will be asked next. */
  nextPoll?: string;
}

export interface QuotaBook {
  /** An upstream answered for this account (any status): reads its quota headers, if any. */
  answered(account: Account, status: number, headers: Headers): void;
  /** Takes a reading. An endpoint's reading is whole: its windows no longer listed go. */
  record(
    accountId: string,
    readings: readonly QuotaReading[],
    source: QuotaSource,
    now?: number,
  ): void;
  /** How the usage endpoint answered (the poller's note, shown with the windows). */
  notePoll(accountId: string, poll: PollNote): void;
  windows(accountId: string): readonly QuotaWindow[];
  /**
   * The used-up window that keeps this account from `model` until its reset, if any (the one
   * back last, when several are).
   */
  spent(accountId: string, model: string, now?: number): QuotaWindow | undefined;
  /** The tightest window limiting `model`; undefined when the account has no reading. */
  headroom(accountId: string, model: string, now?: number): Headroom | undefined;
  /** Whether any account has a window (routing skips the quota work until one does). */
  hasReadings(): boolean;
  /** Every account's windows, for the published state and the management API. */
  snapshot(now?: number): Record<string, AccountQuota>;
  /** Forgets accounts no longer in the account set. */
  retain(accountIds: ReadonlySet<string>): void;
  /** Runs `listener` after a reading changed something people or routing would see. */
  onChange(listener: () => void): void;
  /** Tells `listener` the account's windows after a reading changed them (teams share them). */
  share(listener: (accountId: string, windows: readonly QuotaWindow[]) => void): void;
  /** Puts another instance's windows for the account in force, as they are. */
  applyWindows(accountId: string, windows: readonly QuotaWindow[]): void;
}

/** One poll of a login's usage endpoint: when, why it failed, when the next is, by whom. */
export interface PollNote {
  /** When it was asked (epoch ms). */
  at: number;
  error?: string;
  /** When it will be asked next (epoch ms). */
  next?: number;
  /** The instance that asked (teams). */
  by?: string;
}

interface Entry {
  windows: QuotaWindow[];
  poll?: PollNote;
}

const iso = (time: number) => new Date(time).toISOString().replace(/\.\d{3}Z$/, "Z");

/** Pattern and model → whether it matches: routing asks for every login on every request. */
const matches = new Map<string, boolean>();

/** Whether the window limits `model` (no list: every model). */
function covers(window: QuotaReading, model: string): boolean {
  if (!window.models) return true;
  return window.models.some((pattern) => {
    if (!pattern.includes("*")) return pattern === model;
    const key = `${pattern}\u0000${model}`;
    let found = matches.get(key);
    if (found === undefined) {
      if (matches.size >= 4096) matches.clear();
      found = matchesModel(pattern, model);
      matches.set(key, found);
    }
    return found;
  });
}

/** A window the provider says refuses now: explicitly, or at 100 % without a word. */
function exhausted(window: QuotaReading): boolean {
  return window.exhausted ?? window.usedPercent >= 100;
}

/** A window that rests its account: refusing, not advisory, and with a reset still to come. */
function resting(window: QuotaWindow, now: number): boolean {
  return !window.advisory && exhausted(window) && window.resetsAt !== undefined &&
    window.resetsAt > now;
}

/** Whether two readings of a window differ in a way worth publishing. */
function differs(a: QuotaWindow | undefined, b: QuotaWindow | undefined): boolean {
  if (!a || !b) return a !== b;
  return Math.abs(a.usedPercent - b.usedPercent) >= 1 || exhausted(a) !== exhausted(b) ||
    Math.abs((a.resetsAt ?? 0) - (b.resetsAt ?? 0)) > 60_000;
}

export function createQuotaBook(): QuotaBook {
  const entries = new Map<string, Entry>();
  const listeners: (() => void)[] = [];
  const changed = () => listeners.forEach((listener) => listener());
  let sharer: ((accountId: string, windows: readonly QuotaWindow[]) => void) | undefined;

  const record: QuotaBook["record"] = (accountId, readings, source, now = Date.now()) => {
    const entry = entries.get(accountId) ?? { windows: [] };
    const before = entry.windows;
    const fresh = readings.map((reading): QuotaWindow => ({ ...reading, source, seenAt: now }));
    const names = new Set(fresh.map((window) => window.name));
    // Headers describe some windows; an endpoint's answer describes them all.
    const kept = before.filter((window) =>
      !names.has(window.name) && (source === "header" || window.source === "header")
    );
    entry.windows = [...kept, ...fresh];
    entries.set(accountId, entry);
    const gone = before.some((old) => !entry.windows.some((w) => w.name === old.name));
    if (gone || fresh.some((w) => differs(before.find((old) => old.name === w.name), w))) {
      sharer?.(accountId, entry.windows);
      changed();
    }
  };

  return {
    answered(account, _status, headers) {
      if (account.kind !== "oauth") return;
      const read = PROVIDERS[account.provider].quota?.fromHeaders;
      if (!read) return;
      const now = Date.now();
      const readings = read(headers, now);
      if (readings) record(account.id, readings, "header", now);
    },
    record,
    notePoll(accountId, poll) {
      const entry = entries.get(accountId) ?? { windows: [] };
      const news = entry.poll?.error !== poll.error;
      entry.poll = poll;
      entries.set(accountId, entry);
      if (news) changed();
    },
    windows: (accountId) => entries.get(accountId)?.windows ?? [],
    spent(accountId, model, now = Date.now()) {
      const windows = entries.get(accountId)?.windows;
      if (!windows) return undefined;
      let found: QuotaWindow | undefined;
      for (const window of windows) {
        if (!resting(window, now) || !covers(window, model)) continue;
        if (!found || window.resetsAt! > found.resetsAt!) found = window;
      }
      return found;
    },
    headroom(accountId, model, now = Date.now()) {
      const windows = entries.get(accountId)?.windows;
      if (!windows?.length) return undefined;
      let tightest: Headroom | undefined;
      for (const window of windows) {
        // A window whose reset has passed starts over: it no longer holds anything back.
        if (window.resetsAt !== undefined && window.resetsAt <= now) continue;
        if (!covers(window, model)) continue;
        const left = exhausted(window) ? 0 : 100 - window.usedPercent;
        const tighter = !tightest || left < tightest.left ||
          (left === tightest.left &&
            (window.resetsAt ?? Infinity) < (tightest.resetsAt ?? Infinity));
        if (tighter) tightest = { left, resetsAt: window.resetsAt };
      }
      return tightest;
    },
    hasReadings: () => entries.size > 0,
    snapshot(now = Date.now()) {
      const out: Record<string, AccountQuota> = {};
      for (const [accountId, { windows, poll }] of entries) {
        out[accountId] = {
          windows: windows.map((window) => ({
            name: window.name,
            usedPercent: Math.round(window.usedPercent * 10) / 10,
            ...(window.resetsAt !== undefined ? { resetsAt: iso(window.resetsAt) } : {}),
            source: window.source,
            seenAt: iso(window.seenAt),
            ...(window.models ? { models: window.models } : {}),
            ...(window.exhausted !== undefined ? { exhausted: window.exhausted } : {}),
            ...(window.advisory ? { advisory: true } : {}),
            spent: resting(window, now),
          })),
          ...(poll ? { polledAt: iso(poll.at) } : {}),
          ...(poll?.by ? { polledBy: poll.by } : {}),
          ...(poll?.error ? { pollError: poll.error } : {}),
          ...(poll?.next ? { nextPoll: iso(poll.next) } : {}),
        };
      }
      return out;
    },
    retain(accountIds) {
      for (const accountId of entries.keys()) {
        if (!accountIds.has(accountId)) entries.delete(accountId);
      }
    },
    onChange(listener) {
      listeners.push(listener);
    },
    share(listener) {
      sharer = listener;
    },
    applyWindows(accountId, windows) {
      const entry = entries.get(accountId) ?? { windows: [] };
      entry.windows = windows.map((window) => ({ ...window }));
      entries.set(accountId, entry);
      changed();
    },
  };
}
