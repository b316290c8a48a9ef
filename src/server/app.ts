/**
 * @module
 * The HTTP app: preflights, URL and client-key checks, routes (the generation
 * routes read bodies within `body-limit`), and the one place errors are turned
 * into responses in the client's dialect, each refusal logged there once.
 */
import { type Context, Hono } from "hono";
import { HTTPException } from "hono/http-exception";
import type { Config } from "../config/config-types.ts";
import type { LogFields, Logger } from "../log/logger.ts";
import type { Account } from "../store/account.ts";
import { type ApiError, apiError, modelOfError, refusalOf } from "../errors/api-error.ts";
import { clientKeys } from "./client-keys.ts";
import { preflightAndCors } from "./cors.ts";
import { detectDialect } from "./dialect.ts";
import type { ErrorFormat } from "../errors/error-format.ts";
import type { ServerEnv } from "./server-env.ts";
import { renderError } from "./render-error.ts";
import { health } from "./routes/health.ts";
import { modelRoutes } from "./routes/models.ts";
import { generateRoutes } from "./routes/generate.ts";
import { strictUrl } from "./strict-url.ts";
import { createPool, type Pool } from "../pool/pool.ts";
import type { ModelCatalog } from "../pool/model-catalog.ts";
import type { ClientKeys } from "../keys/client-keys.ts";
import type { QuotaPoller } from "../pool/quota-poller.ts";
import type { PipelineContext } from "../proxy/attempt.ts";
import type { TokenStorage } from "../auth/refresh/token-storage.ts";
import type { PipelineHooks } from "../proxy/request-record.ts";
import { isLoopbackHost } from "./loopback.ts";
import { isManagementPath, type Management } from "./manage/index.ts";

export interface AppContext {
  config(): Config;
  accounts(): readonly Account[];
  log: Logger;
  pool?: Pool;
  /** Told what clients say of themselves when they ask for the model list. */
  catalog?: Pick<ModelCatalog, "hint">;
  /** The client keys: the check, each key's allowlist and limits. */
  keys: ClientKeys;
  /** Listeners for what happens to requests (`combineHooks` makes several one). */
  hooks?: PipelineHooks;
  /** Asks a login's usage endpoint on demand (for the management API). */
  quota?: Pick<QuotaPoller, "refresh">;
  /** The management API and `/metrics`; absent, those paths are unknown. */
  manage?: Management;
  /** Where login tokens are refreshed: the auth dir by default, the shared database for teams. */
  tokens?: TokenStorage;
}

/** The route's error shape when it said; else read from the path and headers. */
function formatOf(c: Context<ServerEnv>): ErrorFormat {
  return c.get("errorFormat") ?? detectDialect(c.req.path, c.req.raw.headers);
}

export function createApp(context: AppContext): Hono<ServerEnv> {
  const app = new Hono<ServerEnv>();
  app.use(preflightAndCors(() => context.config().cors.allowOrigins));
  app.use(strictUrl);
  const keys = clientKeys(context.keys, () => !isLoopbackHost(context.config().host));
  // The management API has its own key and access rule.
  app.use((c, next) => isManagementPath(c.req.path) ? next() : keys(c, next));
  app.route("/", health);
  app.route("/", modelRoutes(() => context.accounts(), context.catalog));
  const pipeline: PipelineContext = {
    accounts: () => context.accounts(),
    config: () => context.config(),
    pool: context.pool ?? createPool(),
    log: context.log,
    hooks: context.hooks,
    admit: context.keys.admit,
    tokens: context.tokens,
  };
  app.route("/", generateRoutes(pipeline));
  if (context.manage) {
    app.route("/", context.manage.routes(pipeline, (request, env) => app.fetch(request, env)));
  }

  /** A request subgate itself refuses: one log line (info, warn from 500 on), then its answer. */
  const refuse = (c: Context<ServerEnv>, error: ApiError, fields: LogFields = {}) => {
    const dialect = formatOf(c);
    const line = {
      method: c.req.method,
      path: c.req.path,
      dialect,
      key: c.get("clientKey"),
      ...fields,
      status: error.status,
      reason: error.message,
    };
    if (error.status >= 500) context.log.warn("request failed", line);
    else context.log.info("request refused", line);
    return renderError(dialect, error);
  };

  app.notFound((c) =>
    refuse(c, {
      kind: "not_found",
      status: 404,
      message: `Unknown endpoint: ${c.req.method} ${c.req.path}`,
    })
  );

  app.onError((error, c) => {
    if (c.req.raw.signal.aborted) {
      // The one place a client that left is handled: its upstream call was cancelled with it
      // (waiting, streaming, uploading); nobody reads this answer and nothing failed.
      context.log.info("client went away", {
        method: c.req.method,
        path: c.req.path,
        dialect: formatOf(c),
        model: modelOfError(error),
      });
      return new Response(null, { status: 499 });
    }
    const refusal = error instanceof HTTPException && error.status < 500
      ? apiError("invalid_request", error.message || "Bad request", { status: error.status })
      : refusalOf(error);
    if (refusal) return refuse(c, refusal.error, refusal.fields);
    const dialect = formatOf(c);
    context.log.error("request failed", {
      method: c.req.method,
      path: c.req.path,
      dialect,
      status: 500,
      reason: error instanceof Error ? error.message : String(error),
    });
    return renderError(dialect, {
      kind: "api_error",
      status: 500,
      message: "subgate hit an internal error; the details are in its log.",
    });
  });
  return app;
}
