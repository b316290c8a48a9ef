/**
 * @module
 * Refreshes tokens ahead of expiry while the server runs: one timer, armed
 * for the earliest account due (expiry minus the provider's lead), re-armed
 * whenever the account set or the config changes. Failures back off.
 */
import type { Config } from "../../config/config-types.ts";
import type { Logger } from "../../log/logger.ts";
import { PROVIDERS } from "../../providers/registry.ts";
import type { ProviderId } from "../../providers/registry.ts";
import type { Account } from "../../store/account.ts";
import { resolveEndpoints } from "../../oauth/login-spec.ts";
import { refreshAccount } from "./refresh-account.ts";

export interface RefreshScheduler {
  reschedule(): void;
  close(): void;
}

const MAX_SLEEP_MS = 5 * 60_000;
const MIN_BACKOFF_MS = 30_000;
const MAX_BACKOFF_MS = 30 * 60_000;

export function startRefreshScheduler(options: {
  authDir: () => string;
  config: () => Config;
  accounts: () => readonly Account[];
  log: Logger;
}): RefreshScheduler {
  let timer: ReturnType<typeof setTimeout> | undefined;
  let closed = false;
  let running = false;
  const backoff = new Map<string, { until: number; ms: number }>();

  const dueAt = (account: Account): number | undefined => {
    const provider = PROVIDERS[account.provider as ProviderId];
    if (!provider?.login.refreshable || account.source !== "file" || !account.file) {
      return undefined;
    }
    if (account.disabled || account.needsLogin || !account.expiresAt) return undefined;
    if (!account.credentials.refresh_token) return undefined;
    const lead = resolveEndpoints(
      provider.login,
      { baseUrl: provider.baseUrl },
      options.config().providers[provider.id],
    ).refreshLeadSeconds;
    // A lead longer than the token's life would refresh in a loop: never wait past half of it.
    const expires = account.expiresAt.getTime();
    const lifetime = account.lastRefresh ? expires - account.lastRefresh.getTime() : Infinity;
    const due = expires - Math.min(lead * 1000, lifetime / 2);
    const wait = backoff.get(account.file);
    return wait && wait.until > due ? wait.until : due;
  };

  const run = async () => {
    timer = undefined;
    if (closed || running) return;
    running = true;
    try {
      const now = Date.now();
      for (const account of options.accounts()) {
        const due = dueAt(account);
        if (due === undefined || due > now) continue;
        const outcome = await refreshAccount({
          authDir: options.authDir(),
          file: account.file!,
          config: options.config(),
          knownAccessToken: account.credentials.access_token as string | undefined,
        });
        const fields = { provider: account.provider, account: account.label, file: account.file };
        if (outcome.status === "refreshed") {
          backoff.delete(account.file!);
          options.log.info("token refreshed ahead of expiry", {
            ...fields,
            expires: outcome.expired,
          });
          if (outcome.warning) {
            options.log.warn("token answer kept", { ...fields, reason: outcome.warning });
          }
        } else if (outcome.status === "fresh") {
          backoff.delete(account.file!);
          options.log.debug("token already fresh", { ...fields, reason: outcome.reason });
        } else {
          const previous = backoff.get(account.file!)?.ms ?? 0;
          const ms = Math.min(MAX_BACKOFF_MS, Math.max(MIN_BACKOFF_MS, previous * 2));
          backoff.set(account.file!, { until: Date.now() + ms, ms });
          const level = outcome.status === "needs-login" ? "error" : "warn";
          options.log[level](
            outcome.status === "needs-login"
              ? "refresh refused: the account needs a new login"
              : "token refresh failed; will retry",
            { ...fields, reason: outcome.reason },
          );
        }
      }
    } finally {
      running = false;
      schedule();
    }
  };

  const schedule = () => {
    if (closed) return;
    if (timer !== undefined) clearTimeout(timer);
    let next = Date.now() + MAX_SLEEP_MS;
    for (const account of options.accounts()) {
      const due = dueAt(account);
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
