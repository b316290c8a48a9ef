/**
 * @module
 * `/manage/accounts`: the accounts and their state, and what can be done to
 * one: disable, enable, refresh its token, test it with a tiny request,
 * delete it. Changes go to the account file (a config-defined key lives in
 * config.yaml and is refused with 409); the auth dir's watcher then changes
 * the live set, and the answer waits for that (up to 3 s) so it shows the
 * account as it now is.
 */
import { type Context, Hono } from "hono";
import { removeAccountFile, setAccountDisabled } from "../../auth/account-admin.ts";
import { refreshAccount } from "../../auth/refresh/refresh-account.ts";
import { apiError } from "../../errors/api-error.ts";
import type { Account, LoginAccount } from "../../store/account.ts";
import type { ServerEnv } from "../server-env.ts";
import { accountView, findAccount } from "./account-view.ts";
import { logChange } from "./audit.ts";
import type { RouteContext } from "./context.ts";
import { jsonBody, optionalString } from "./json-body.ts";
import type { UsageFigures } from "./sources.ts";
import { testAccount } from "./test-account.ts";

const SETTLE_MS = 3000;

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Waits until `check` holds (the watcher took a change in), for at most 3 s. */
async function settled(check: () => boolean): Promise<boolean> {
  const deadline = Date.now() + SETTLE_MS;
  while (!check()) {
    if (Date.now() > deadline) return false;
    await sleep(50);
  }
  return true;
}

function startOfToday(): number {
  const now = new Date();
  return Date.UTC(now.getUTCFullYear(), now.getUTCMonth(), now.getUTCDate());
}

/** Today's usage per account id, when the usage source exists (and answers). */
async function usageToday(context: RouteContext): Promise<Map<string, UsageFigures>> {
  const out = new Map<string, UsageFigures>();
  if (!context.sources.usage) return out;
  try {
    const rows = await context.sources.usage.query({
      from: startOfToday(),
      to: Date.now() + 1,
      group: "account",
      bucket: "day",
    });
    for (const { bucket: _bucket, group, ...figures } of rows) out.set(group, figures);
  } catch (error) {
    context.log.warn("usage source failed", { reason: (error as Error).message });
  }
  return out;
}

export function accountRoutes(context: RouteContext) {
  const views = async (accounts: readonly Account[]) => {
    const pool = context.pool.snapshot();
    const quota = new Map(context.sources.quota?.snapshot().map((q) => [q.accountId, q]));
    const usage = await usageToday(context);
    return accounts.map((account) =>
      accountView(account, pool[account.id], {
        quota: quota.get(account.id),
        usageToday: usage.get(account.id),
      })
    );
  };
  const viewOf = async (id: string) => {
    const account = context.accounts().find((a) => a.id === id);
    return account ? (await views([account]))[0] : undefined;
  };

  const named = (c: Context<ServerEnv>): Account => {
    const name = c.req.param("id") ?? "";
    const account = findAccount(context.accounts(), name);
    if (!account) {
      throw apiError(
        "not_found",
        `No account '${name}': GET /manage/accounts lists them (by id, file or label).`,
      );
    }
    return account;
  };
  /** The account as a login with a file; 409 for a key from the config. */
  const login = (c: Context<ServerEnv>, doing: "disable" | "enable" | "refresh" | "delete") => {
    const account = named(c);
    if (account.source === "file") return account as LoginAccount;
    const entry = account.id.replace(/^config:/, "");
    throw apiError(
      "invalid_request",
      doing === "refresh"
        ? `${account.label} is an API key from config.yaml (${entry}): it has no token to refresh.`
        : `${account.label} is defined in config.yaml (${entry}), not in an account file: ` +
          `${doing} it by editing its entry there (PUT /manage/config).`,
      { status: 409 },
    );
  };

  const setDisabled = (disabled: boolean) => async (c: Context<ServerEnv>) => {
    const account = login(c, disabled ? "disable" : "enable");
    const authDir = context.config().authDir;
    if (!await setAccountDisabled(authDir, account.file, disabled, context.backend)) {
      throw apiError("not_found", `The account file ${account.file} is gone.`);
    }
    logChange(c, context.log, disabled ? "account disabled" : "account enabled", {
      provider: account.provider,
      account: account.label,
      file: account.file,
    });
    await settled(() => context.accounts().find((a) => a.id === account.id)?.disabled === disabled);
    return c.json({ account: await viewOf(account.id) });
  };

  return new Hono<ServerEnv>()
    .get("/manage/accounts", async (c) => {
      const accounts = context.accounts();
      return c.json({
        accounts: await views(accounts),
        problems: [...context.problems()].map(([file, reason]) => ({ file, reason })),
      });
    })
    .get("/manage/accounts/:id", async (c) => {
      const account = named(c);
      return c.json({ account: (await views([account]))[0] });
    })
    .post("/manage/accounts/:id/disable", setDisabled(true))
    .post("/manage/accounts/:id/enable", setDisabled(false))
    .post("/manage/accounts/:id/refresh", async (c) => {
      const account = login(c, "refresh");
      const config = context.config();
      const outcome = await refreshAccount({
        authDir: config.authDir,
        file: account.file,
        config,
        force: true,
        storage: context.backend,
      });
      logChange(c, context.log, "account refreshed", {
        provider: account.provider,
        account: account.label,
        outcome: outcome.status,
      });
      await context.sources.quota?.refresh?.(account.id).catch((error) =>
        context.log.warn("quota refresh failed", {
          account: account.label,
          reason: (error as Error).message,
        })
      );
      const reason = "reason" in outcome ? outcome.reason : outcome.warning;
      if (outcome.status === "refreshed") {
        await settled(() =>
          context.accounts().find((a) => a.id === account.id)?.lastRefresh?.getTime() !==
            account.lastRefresh?.getTime()
        );
      }
      return c.json({ outcome: outcome.status, reason, account: await viewOf(account.id) });
    })
    .post("/manage/accounts/:id/test", async (c) => {
      const account = named(c);
      const body = await jsonBody(c);
      const result = await testAccount(account, optionalString(body, "model"), context.pipeline);
      logChange(c, context.log, "account tested", {
        provider: account.provider,
        account: account.label,
        status: result.status,
      });
      return c.json({ test: result, account: await viewOf(account.id) });
    })
    .delete("/manage/accounts/:id", async (c) => {
      const account = login(c, "delete");
      if (!await removeAccountFile(context.config().authDir, account.file, context.backend)) {
        throw apiError("not_found", `The account file ${account.file} is already gone.`);
      }
      logChange(c, context.log, "account deleted", {
        provider: account.provider,
        account: account.label,
        file: account.file,
      });
      await settled(() => !context.accounts().some((a) => a.id === account.id));
      return c.json({
        deleted: account.id,
        file: account.file,
        note: account.linked
          ? `${account.linked.tool}'s own login file (${account.linked.path}) is untouched.`
          : "The provider may honour the old tokens until they expire; revoke access in its " +
            "account settings to end them at once.",
      });
    });
}
