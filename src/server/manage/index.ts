/**
 * @module
 * The management API (`/manage/…`) and `/metrics`, on the server's own port,
 * behind one access check (`access.ts`). Built once per server: it listens to
 * the pipeline (`hooks`, for the recent requests and the metrics) and to the
 * refresh engine, and mounts its routes once the app has made the pipeline,
 * with the web console's (`../console/`), which is built on them.
 */
import { Hono } from "hono";
import { observeRefreshes } from "../../auth/refresh/refresh-account.ts";
import { apiError } from "../../errors/api-error.ts";
import { combineHooks, type PipelineHooks } from "../../proxy/request-record.ts";
import type { PipelineContext } from "../../proxy/attempt.ts";
import { consoleRoutes } from "../console/index.tsx";
import type { SelfFetch } from "../console/api.ts";
import type { ServerEnv } from "../server-env.ts";
import { createAccess } from "./access.ts";
import { createActivity } from "./activity.ts";
import { accountRoutes } from "./accounts.ts";
import { configRoutes } from "./config-routes.ts";
import type { ManageContext, RouteContext } from "./context.ts";
import type { StoreSource } from "./sources.ts";
import { createLockout } from "./lockout.ts";
import { loginRoutes } from "./logins.ts";
import { createMetrics } from "./metrics.ts";
import { createRequestLog, REQUEST_LOG_SIZE } from "./request-log.ts";
import { createRequestTails } from "./request-stream.ts";
import { sourcedRoutes } from "./sourced-routes.ts";

export type { ManageContext } from "./context.ts";
export type { ManageSources } from "./sources.ts";

export interface Management {
  /** What the pipeline tells the management API (recent requests, metrics). */
  hooks: PipelineHooks;
  /**
   * The routes, over the pipeline real requests take, and the web console's (`/ui/`), which
   * reads the API through `self`, the app itself.
   */
  routes(pipeline: PipelineContext, self: SelfFetch): Hono<ServerEnv>;
  /** Ends live tails and pending logins (the server is stopping). */
  close(): void;
}

/**
 * Whether a path is the management API's or the console's: they have their own access check,
 * not client keys.
 */
export function isManagementPath(path: string): boolean {
  return path === "/metrics" || path === "/manage" || path.startsWith("/manage/") ||
    path === "/ui" || path.startsWith("/ui/");
}

/** The shared store's state as the API shows it. */
function storeView(store: StoreSource) {
  const health = store.health();
  return {
    instance: store.name,
    database: store.where,
    state: health.up ? "up" : "down",
    since: new Date(health.since).toISOString(),
    reason: health.reason,
    outages: health.outages,
    spooledTokens: store.spooled(),
    note: health.up
      ? undefined
      : "The shared database is unreachable: refreshes and management changes wait for it; " +
        "requests are served with the tokens in hand.",
  };
}

export function createManagement(context: ManageContext): Management {
  const requests = createRequestLog();
  const activity = createActivity();
  const tails = createRequestTails(requests);
  const metrics = createMetrics({
    accounts: context.accounts,
    pool: context.pool,
    quota: context.sources.quota,
    store: context.sources.store,
  });
  const stopObserving = observeRefreshes(metrics.refreshed);
  const access = createAccess(context.config, createLockout(context.log));
  let logins: ReturnType<typeof loginRoutes> | undefined;

  return {
    hooks: combineHooks({
      ended: (record) => {
        requests.add(record);
        activity.add(record);
      },
      refused: (record) => {
        requests.add(record);
        activity.add(record);
      },
    }, metrics.hooks),
    routes(pipeline, self) {
      const routeContext: RouteContext = { ...context, pipeline };
      logins = loginRoutes(routeContext);
      const app = new Hono<ServerEnv>();
      // "/manage/*" covers "/manage" itself too (a second entry would check twice).
      app.use("/manage/*", access.check);
      app.use("/metrics", access.check);
      // With the shared database down, changes would be lost or half made: refused until it is
      // back (reads answer from what this instance holds).
      app.use("/manage/*", async (c, next) => {
        const store = context.sources.store;
        if (store && !store.health().up && c.req.method !== "GET") {
          throw apiError(
            "api_error",
            `The shared database is unreachable (${
              store.health().reason ?? "no answer"
            }): management changes wait until it is back; requests are still served.`,
            { status: 503 },
          );
        }
        await next();
      });
      app.get("/metrics", async (c) => {
        const { text, contentType } = await metrics.scrape();
        return c.body(text, 200, { "content-type": contentType });
      });
      app.get("/manage/requests", (c) => {
        const asked = c.req.query("limit");
        const limit = asked === undefined ? 100 : Number(asked);
        if (!Number.isInteger(limit) || limit < 1 || limit > REQUEST_LOG_SIZE) {
          throw apiError(
            "invalid_request",
            `limit: a whole number from 1 to ${REQUEST_LOG_SIZE}.`,
          );
        }
        const session = c.req.query("session");
        if (session !== undefined && (session === "" || session.length > 128)) {
          throw apiError(
            "invalid_request",
            "session: a client's session id, up to 128 characters.",
          );
        }
        return c.json({ requests: requests.recent(limit, session) });
      });
      // A reconnecting EventSource sends Last-Event-ID; a page that listed requests first says
      // which it has with ?after=.
      app.get(
        "/manage/requests/stream",
        (c) => tails.open(c.req.header("last-event-id") ?? c.req.query("after") ?? null),
      );
      app.get("/manage/activity", (c) => c.json({ minutes: activity.minutes() }));
      app.route("/", accountRoutes(routeContext));
      app.route("/", logins.routes);
      app.route("/", sourcedRoutes(routeContext));
      app.route("/", configRoutes(routeContext));
      app.get("/manage/instances", async (c) => {
        const store = context.sources.store;
        if (!store) {
          throw apiError(
            "api_error",
            "This subgate runs alone (no `store` in its config): it has no other instances.",
            { status: 501 },
          );
        }
        return c.json({ store: storeView(store), instances: await store.instances() });
      });
      app.route("/", consoleRoutes({ access, config: context.config, log: context.log, self }));
      app.get("/manage", (c) =>
        c.json({
          sources: {
            usage: context.sources.usage !== undefined,
            quota: context.sources.quota !== undefined,
            keys: context.sources.keys !== undefined,
          },
          store: context.sources.store ? storeView(context.sources.store) : undefined,
          manager: c.get("manager"),
        }));
      return app;
    },
    close() {
      stopObserving();
      tails.close();
      logins?.close();
    },
  };
}
