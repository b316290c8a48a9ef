/**
 * @module
 * The HTTP app: preflights, client keys, routes (the generation routes read bodies within
 * `body-limit`), and the one place errors are turned into responses in the
 * client's dialect.
 */
import { Hono } from "hono";
import { HTTPException } from "hono/http-exception";
import type { Config } from "../config/config-types.ts";
import type { Logger } from "../log/logger.ts";
import type { Account } from "../store/account.ts";
import { ApiErrorException } from "./api-error.ts";
import { clientKeys } from "./client-keys.ts";
import { preflightAndCors } from "./cors.ts";
import { detectDialect } from "./dialect.ts";
import { renderError } from "./render-error.ts";
import { health } from "./routes/health.ts";
import { modelRoutes } from "./routes/models.ts";
import { generateRoutes } from "./routes/generate.ts";
import { createPool, type Pool } from "../pool/pool.ts";
import type { ModelCatalog } from "../pool/model-catalog.ts";

export interface AppContext {
  config(): Config;
  accounts(): readonly Account[];
  log: Logger;
  pool?: Pool;
  /** Told what clients say of themselves when they ask for the model list. */
  catalog?: Pick<ModelCatalog, "hint">;
}

export function createApp(context: AppContext): Hono {
  const app = new Hono();
  app.use(preflightAndCors(() => context.config().cors.allowOrigins));
  app.use(clientKeys(() => context.config().apiKeys));
  app.route("/", health);
  app.route("/", modelRoutes(() => context.accounts(), context.catalog));
  app.route(
    "/",
    generateRoutes({
      accounts: () => context.accounts(),
      config: () => context.config(),
      pool: context.pool ?? createPool(),
      log: context.log,
    }),
  );

  app.notFound((c) => {
    const dialect = detectDialect(c.req.path, c.req.raw.headers);
    return renderError(dialect, {
      kind: "not_found",
      status: 404,
      message: `Unknown endpoint: ${c.req.method} ${c.req.path}`,
    });
  });

  app.onError((error, c) => {
    const dialect = detectDialect(c.req.path, c.req.raw.headers);
    if (error instanceof ApiErrorException) return renderError(dialect, error.error);
    if (error instanceof HTTPException && error.status < 500) {
      return renderError(dialect, {
        kind: "invalid_request",
        status: error.status,
        message: error.message || "Bad request",
      });
    }
    if (c.req.raw.signal.aborted) {
      // The client left mid-request (a body upload, a token count); nobody reads this answer.
      context.log.info("client went away", { method: c.req.method, path: c.req.path });
      return new Response(null, { status: 499 });
    }
    context.log.error("request failed", {
      method: c.req.method,
      path: c.req.path,
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
