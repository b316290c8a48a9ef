/**
 * @module
 * Refreshes tokens ahead of expiry while the server runs: one timer, armed
 * for the earliest account due (expiry minus the provider's lead), re-armed
 * whenever the account set or the config changes. Failures back off.
 */
import type { Config } from "../../config/config-types.ts";
import type { Logger } from "../../log/logger.ts";
import { resolveEndpoints } from "../../oauth/login-spec.ts";
import { PROVIDERS } from "../../providers/registry.ts";
import { type Account, isLoginAccount, type LoginAccount } from "../../store/account.ts";
import { refreshAccount, type RefreshOutcome } from "./refresh-account.ts";
import type { TokenStorage } from "./token-storage.ts";

export interface RefreshScheduler {
  reschedule(): void;
  close(): void;
}

interface SchedulerOptions {
  authDir: () => string;
  config: () => Config;
  accounts: () => readonly Account[];
  log: Logger;
  /** Where the tokens are: the auth dir by default. */
  storage?: TokenStorage;
}

/** Per account file: when a failed refresh may be tried again, and the pause that led there. */
type Backoff = Map<string, { until: number; ms: number }>;

const MAX_SLEEP_MS = 5 * 60_000;
const MIN_BACKOFF_MS = 30_000;
const MAX_BACKOFF_MS = 30 * 60_000;

/** When the account's token is due for refresh (epoch ms), or undefined when it never is. */
function refreshDueAt(
  account: LoginAccount,
  config: Config,
  backoff: Backoff,
): number | undefined {
  const provider = PROVIDERS[account.provider];
  if (!provider.login.refreshable) return undefined;
  if (account.disabled || account.needsLogin || !account.expiresAt) return undefined;
  if (!account.credentials.refresh_token) return undefined;
  const lead = resolveEndpoints(
    provider.login,
    { baseUrl: provider.baseUrl },
    config.providers[provider.id],
  ).refreshLeadSeconds;
  // A lead longer than the token's life would refresh in a loop: never wait past half of it.
  const expires = account.expiresAt.getTime();
  const lifetime = account.lastRefresh ? expires - account.lastRefresh.getTime() : Infinity;
  const due = expires - Math.min(lead * 1000, lifetime / 2);
  const wait = backoff.get(account.file);
  return wait && wait.until > due ? wait.until : due;
}

/** Logs what a refresh gave, and backs the account off after a failure. */
function noteOutcome(
  account: LoginAccount,
  outcome: RefreshOutcome,
  backoff: Backoff,
  log: Logger,
): void {
  const fields = { provider: account.provider, account: account.label, file: account.file };
  if (outcome.status === "refreshed") {
    backoff.delete(account.file);
    log.info("token refreshed ahead of expiry", { ...fields, expires: outcome.expired });
    if (outcome.warning) log.warn("token answer kept", { ...fields, reason: outcome.warning });
  } else if (outcome.status === "fresh") {
    backoff.delete(account.file);
    log.debug("token already fresh", { ...fields, reason: outcome.reason });
  } else if (outcome.status === "busy") {
    // Another instance refreshes it; its new tokens arrive with its notification. Look again
    // once its lease is over, in case they never do.
    const until = Math.max(Date.now() + 1000, outcome.until ?? Date.now() + 5000);
    backoff.set(account.file, { until, ms: 0 });
    log.debug("token being refreshed by another instance", { ...fields, reason: outcome.reason });
  } else {
    const previous = backoff.get(account.file)?.ms ?? 0;
    const ms = Math.min(MAX_BACKOFF_MS, Math.max(MIN_BACKOFF_MS, previous * 2));
    backoff.set(account.file, { until: Date.now() + ms, ms });
    const level = outcome.status === "needs-login" ? "error" : "warn";
    log[level](
      outcome.status === "needs-login"
        ? "refresh refused: the account needs a new login"
        : "token refresh failed; will retry",
      { ...fields, reason: outcome.reason },
    );
  }
}

/** Refreshes, one after another, every account due by now. */
async function refreshDue(options: SchedulerOptions, backoff: Backoff): Promise<void> {
  const now = Date.now();
  for (const account of options.accounts().filter(isLoginAccount)) {
    const due = refreshDueAt(account, options.config(), backoff);
    if (due === undefined || due > now) continue;
    const outcome = await refreshAccount({
      authDir: options.authDir(),
      file: account.file,
      config: options.config(),
      knownAccessToken: account.credentials.access_token as string | undefined,
      storage: options.storage,
    });
    noteOutcome(account, outcome, backoff, options.log);
  }
}

export function startRefreshScheduler(options: SchedulerOptions): RefreshScheduler {
  let timer: ReturnType<typeof setTimeout> | undefined;
  let closed = false;
  let running = false;
  const backoff: Backoff = new Map();

  const run = async () => {
    timer = undefined;
    if (closed || running) return;
    running = true;
    try {
      await refreshDue(options, backoff);
    } finally {
      running = false;
      schedule();
    }
  };

  const schedule = () => {
    if (closed) return;
    if (timer !== undefined) clearTimeout(timer);
    let next = Date.now() + MAX_SLEEP_MS;
    for (const account of options.accounts().filter(isLoginAccount)) {
      const due = refreshDueAt(account, options.config(), backoff);
      if (due !== undefined && due < next) next = due;
    }
    timer = setTimeout(run, Math.max(0, next - Date.now()));
  };

  schedule();
  return {
    reschedule: schedule,
    close() {
      closed = true;
      if (timer !== undefined) clearTimeout(timer);
    },
  };
}
