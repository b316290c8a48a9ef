/**
 * @module
 * Asks the providers' usage endpoints what each login has left, gently and
 * never on a request's path:
 *
 * - each login is asked at its provider's pace (`ProviderQuota.pollSeconds`,
 *   five minutes for most, a quarter hour for Copilot's monthly quota), each
 *   time a fifth earlier or later at random, so a thousand logins never ask at
 *   once; the first time between 15 s and a minute after start (answers'
 *   headers give the busy logins their readings before that);
 * - at most four at a time, whatever is due;
 * - logins that are disabled, need a login, or whose token has expired (the
 *   refresh scheduler renews it first) are left alone;
 * - a refusal backs off: 429 until its `retry-after` (else twice the pace, up
 *   to an hour), a refused token half an hour, a missing endpoint six hours,
 *   other failures from a minute doubling up to half an hour;
 * - on demand (`refresh`, for the management API), at most once a minute per
 *   login: asked sooner, it answers with what the book already holds;
 * - in a team, instances take turns (`PollTurns`): when a login is due, the
 *   instance that claims it in the database asks, and the others hear the
 *   reading and when it is due next; so N instances ask as often as one. A
 *   turn is held only while its poll runs (plus a margin), so an instance that
 *   dies leaves nothing behind for long: whoever is next when the login is due
 *   asks. With the database unreachable each instance asks for itself, as a
 *   subgate alone does (the readings cannot be shared then anyway).
 */
import type { Logger } from "../log/logger.ts";
import { type ProviderOverrides, PROVIDERS } from "../providers/registry.ts";
import { type Account, isLoginAccount, type LoginAccount } from "../store/account.ts";
import { QuotaFetchError } from "../upstreams/quota.ts";
import type { PollNote, QuotaBook, QuotaWindow } from "./quota-book.ts";

/** How the instances of a team take turns at the usage endpoints (`team/team-quota-polls.ts`). */
export interface PollTurns {
  /** This instance's name, noted with its polls. */
  readonly by: string;
  /**
   * Whether this instance asks now (its turn is held for `holdMs`); when not, in how many ms the
   * login is due (another instance asked lately, or is asking).
   */
  claim(accountId: string, holdMs: number): Promise<true | { waitMs: number }>;
  /** This instance asked (on its turn, or on demand): the others are told. */
  polled(accountId: string, note: PollNote): void;
  /** Calls `listener` with the others' polls as they are heard. */
  onPolled(listener: (accountId: string, note: PollNote) => void): void;
}

export interface QuotaPollerOptions {
  accounts(): readonly Account[];
  providers(): ProviderOverrides;
  book: QuotaBook;
  log: Logger;
  /**
   * The first poll of a login comes at a random point in this range after it appears (ms);
   * by default between 15 s and a minute, or within its pace when that is shorter.
   */
  firstPollMs?: readonly [number, number];
  /** Replaces every provider's pace (ms): for tests. */
  paceMs?: number;
  /** The least time between two polls of one login, on demand included (ms). */
  minGapMs?: number;
  /** Polls at a time. */
  concurrency?: number;
  /** How long one poll may take (ms). */
  timeoutMs?: number;
  /** Teams: the instances take turns. */
  turns?: PollTurns;
}

/** What an on-demand refresh did, with the windows the book holds afterwards. */
export interface QuotaRefresh {
  status: "polled" | "fresh" | "failed" | "skipped" | "unknown";
  /** Why it failed or was skipped. */
  reason?: string;
  windows: readonly QuotaWindow[];
}

export interface QuotaPoller {
  /** Asks this account's usage endpoint now (at most once a minute; never more than four at once). */
  refresh(accountId: string): Promise<QuotaRefresh>;
  /** The account set or the config changed. */
  reschedule(): void;
  stop(): void;
}

interface State {
  /** When it is due (epoch ms). */
  nextAt: number;
  lastAt?: number;
  backoffMs?: number;
  /** Failure messages already logged at info (repeats go to debug). */
  reported?: string;
  /** Its poll, queued or running. */
  pending?: Promise<QuotaRefresh>;
}

const MAX_SLEEP_MS = 60_000;
const HOUR = 3600_000;

/** Why a login is not asked now, or undefined when it may be. */
function notNow(account: LoginAccount, now: number): string | undefined {
  if (account.disabled) return "disabled";
  if (account.needsLogin) return "needs login";
  if (account.expiresAt && account.expiresAt.getTime() <= now) return "token expired";
  if (!PROVIDERS[account.provider].quota?.fetch) return "no usage endpoint";
  return undefined;
}

/** How long to wait after a failure, by what failed. */
function backoffFor(error: unknown, previousMs: number, paceMs: number): number {
  const status = error instanceof QuotaFetchError ? error.status : undefined;
  if (status === 429) {
    const after = (error as QuotaFetchError).retryAfterSeconds;
    return after !== undefined
      ? Math.max(after * 1000, 60_000)
      : Math.min(HOUR, Math.max(previousMs * 2, paceMs * 2));
  }
  if (status === 401 || status === 403) return HOUR / 2;
  if (status === 404 || status === 405 || status === 501) return 6 * HOUR;
  return Math.min(HOUR / 2, Math.max(previousMs * 2, 60_000));
}

export function startQuotaPoller(options: QuotaPollerOptions): QuotaPoller {
  const {
    book,
    log,
    turns,
    minGapMs = 60_000,
    concurrency = 4,
    timeoutMs = 20_000,
  } = options;
  const states = new Map<string, State>();
  const queue: { accountId: string; onDemand: boolean; done: (result: QuotaRefresh) => void }[] =
    [];
  const controllers = new Set<AbortController>();
  let running = 0;
  let timer: ReturnType<typeof setTimeout> | undefined;
  let timerAt = Infinity;
  let stopped = false;

  /** Wakes up at `at` (or sooner, if already set to). */
  const arm = (at: number) => {
    if (stopped || (timer !== undefined && timerAt <= at)) return;
    if (timer !== undefined) clearTimeout(timer);
    timerAt = at;
    timer = setTimeout(tick, Math.max(0, at - Date.now()));
  };

  const logins = () => options.accounts().filter(isLoginAccount);
  const find = (accountId: string) => logins().find((account) => account.id === accountId);
  const paceOf = (account: LoginAccount) =>
    options.paceMs ??
      (options.providers()[account.provider]?.quotaPoll ??
          PROVIDERS[account.provider].quota?.pollSeconds ?? 300) * 1000;
  /** A fifth earlier or later, at random. */
  const jittered = (ms: number) => ms * (0.8 + Math.random() * 0.4);
  const between = ([low, high]: readonly [number, number]) => low + Math.random() * (high - low);
  const firstPollAt = (account: LoginAccount, now: number) => {
    const pace = paceOf(account);
    return now +
      between(options.firstPollMs ?? [Math.min(15_000, pace / 2), Math.min(60_000, pace)]);
  };

  /**
   * Teams: whether it is this instance's turn to ask; when not, the login waits until it is due
   * (the poll's own note, heard from the one that asks, usually comes first).
   */
  async function myTurn(account: LoginAccount, state: State): Promise<boolean> {
    if (!turns) return true;
    const turn = await turns.claim(account.id, timeoutMs + 10_000);
    if (turn === true) return true;
    state.nextAt = Date.now() + Math.max(turn.waitMs, 1000);
    return false;
  }

  async function poll(account: LoginAccount, state: State, onDemand: boolean) {
    if (!onDemand && !(await myTurn(account, state))) {
      return {
        status: "skipped",
        reason: "another instance's turn",
        windows: book.windows(account.id),
      } as const;
    }
    return await ask(account, state);
  }

  async function ask(account: LoginAccount, state: State): Promise<QuotaRefresh> {
    const provider = PROVIDERS[account.provider];
    const override = options.providers()[account.provider];
    const controller = new AbortController();
    controllers.add(controller);
    const deadline = setTimeout(() => controller.abort(), timeoutMs);
    const fields = { provider: account.provider, account: account.label };
    const now = Date.now();
    state.lastAt = now;
    try {
      const readings = await provider.quota!.fetch!(account, {
        baseUrl: override?.baseUrl ?? provider.baseUrl,
        apiUrl: override?.apiUrl ?? provider.apiUrl,
      }, controller.signal);
      if (stopped) return { status: "skipped", reason: "stopped", windows: [] };
      state.backoffMs = undefined;
      state.nextAt = Date.now() + jittered(paceOf(account));
      book.record(account.id, readings, "endpoint");
      note(account.id, { at: now, next: state.nextAt });
      if (state.reported) log.info("quota readable again", fields);
      state.reported = undefined;
      return { status: "polled", windows: book.windows(account.id) };
    } catch (error) {
      if (stopped) return { status: "skipped", reason: "stopped", windows: [] };
      const reason = error instanceof QuotaFetchError
        ? error.message
        : `could not read the usage: ${(error as Error).message}`;
      state.backoffMs = backoffFor(error, state.backoffMs ?? 0, paceOf(account));
      state.nextAt = Date.now() + state.backoffMs;
      note(account.id, { at: now, error: reason, next: state.nextAt });
      const level = state.reported === reason ? "debug" : "info";
      state.reported = reason;
      log[level]("could not read the plan quota; will ask again later", {
        ...fields,
        reason,
        retry_in_s: Math.round(state.backoffMs / 1000),
      });
      return { status: "failed", reason, windows: book.windows(account.id) };
    } finally {
      clearTimeout(deadline);
      controllers.delete(controller);
    }
  }

  /** Notes a poll of this instance's in the book, and tells the team. */
  const note = (accountId: string, poll: PollNote) => {
    book.notePoll(accountId, { ...poll, by: turns?.by });
    turns?.polled(accountId, poll);
  };

  /** Starts queued polls while fewer than `concurrency` run. */
  const pump = () => {
    while (!stopped && running < concurrency && queue.length) {
      const { accountId, onDemand, done } = queue.shift()!;
      const state = states.get(accountId);
      const account = find(accountId);
      const why = account ? notNow(account, Date.now()) : "no such login";
      if (!state || !account || why) {
        done({ status: "skipped", reason: why, windows: book.windows(accountId) });
        continue;
      }
      running++;
      void poll(account, state, onDemand).then(done).finally(() => {
        running--;
        arm(state.nextAt);
        pump();
      });
    }
  };

  /** Queues a poll of the account (first in line when asked for on demand). */
  const enqueue = (accountId: string, state: State, first = false) => {
    const pending = new Promise<QuotaRefresh>((done) => {
      const item = { accountId, onDemand: first, done };
      if (first) queue.unshift(item);
      else queue.push(item);
    });
    state.pending = pending;
    void pending.finally(() => {
      if (state.pending === pending) state.pending = undefined;
    });
    pump();
    return pending;
  };

  /** Queues every login that is due, and sleeps until the next one is. */
  function tick() {
    timer = undefined;
    timerAt = Infinity;
    if (stopped) return;
    const now = Date.now();
    let next = now + MAX_SLEEP_MS;
    for (const account of logins()) {
      if (!PROVIDERS[account.provider].quota?.fetch) continue;
      let state = states.get(account.id);
      if (!state) {
        state = { nextAt: firstPollAt(account, now) };
        states.set(account.id, state);
      }
      if (state.pending) continue;
      if (state.nextAt <= now) {
        if (notNow(account, now)) {
          // Looked at again within the minute: a renewed token, a re-enabled account.
          state.nextAt = now + MAX_SLEEP_MS;
        } else {
          void enqueue(account.id, state);
          continue;
        }
      }
      next = Math.min(next, state.nextAt);
    }
    arm(next);
  }

  const reschedule = () => {
    if (stopped) return;
    const live = new Set(options.accounts().map((account) => account.id));
    for (const accountId of states.keys()) if (!live.has(accountId)) states.delete(accountId);
    book.retain(live);
    if (timer !== undefined) clearTimeout(timer);
    timer = undefined;
    tick();
  };

  // Another instance asked: its reading comes through the team; this one waits until it is due.
  turns?.onPolled((accountId, poll) => {
    if (stopped) return;
    book.notePoll(accountId, poll);
    const state = states.get(accountId) ?? { nextAt: Date.now() };
    states.set(accountId, state);
    state.lastAt = poll.at;
    state.backoffMs = undefined;
    if (!state.pending && poll.next !== undefined) {
      // Its clock may run ahead of this one's: never due again sooner than a second from now.
      state.nextAt = Math.max(poll.next, Date.now() + 1000);
    }
  });

  reschedule();
  return {
    async refresh(accountId) {
      const account = find(accountId);
      if (!account) return { status: "unknown", reason: "no such login", windows: [] };
      const why = notNow(account, Date.now());
      if (why) return { status: "skipped", reason: why, windows: book.windows(accountId) };
      const state = states.get(accountId) ?? { nextAt: Date.now() };
      states.set(accountId, state);
      if (state.pending) return await state.pending;
      if (state.lastAt !== undefined && Date.now() - state.lastAt < minGapMs) {
        return { status: "fresh", windows: book.windows(accountId) };
      }
      return await enqueue(accountId, state, true);
    },
    reschedule,
    stop() {
      stopped = true;
      if (timer !== undefined) clearTimeout(timer);
      for (const controller of controllers) controller.abort();
      for (const { accountId, done } of queue.splice(0)) {
        done({ status: "skipped", reason: "stopped", windows: book.windows(accountId) });
      }
    },
  };
}
