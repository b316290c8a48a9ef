/**
 * @module
 * The HTTP app: client keys, body limit, routes, and the one place errors are
 * turned into responses in the client's dialect.
 */
import { Hono, type MiddlewareHandler } from "hono";
import { bodyLimit } from "hono/body-limit";
import { HTTPException } from "hono/http-exception";
import type { Config } from "../config/config-types.ts";
import type { Logger } from "../log/logger.ts";
import type { Account } from "../store/account.ts";
import { ApiErrorException } from "./api-error.ts";
import { clientKeys } from "./client-keys.ts";
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

function formatBytes(bytes: number): string {
  if (bytes % (1024 * 1024) === 0) return `${bytes / (1024 * 1024)} MB`;
  if (bytes % 1024 === 0) return `${bytes / 1024} KB`;
  return `${bytes} bytes`;
}

/** Hono's body limit, rebuilt only when `body-limit` changes. */
function liveBodyLimit(limit: () => number): MiddlewareHandler {
  let current = -1;
  let middleware: MiddlewareHandler = (_c, next) => next();
  return (c, next) => {
    const maxSize = limit();
    if (maxSize !== current) {
      current = maxSize;
      middleware = bodyLimit({
        maxSize,
        onError: (c) =>
          renderError(detectDialect(c.req.path, c.req.raw.headers), {
            kind: "request_too_large",
            status: 413,
            message: `Request body is larger than subgate's body-limit of ${formatBytes(maxSize)}.`,
          }),
      });
    }
    return middleware(c, next);
  };
}

export function createApp(context: AppContext): Hono {
  const app = new Hono();
  app.use(clientKeys(() => context.config().apiKeys));
  app.use(liveBodyLimit(() => context.config().bodyLimit));
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
