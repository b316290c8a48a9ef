/**
 * @module
 * The client-key check every request but the health checks passes: a key
 * (`api-keys`, or one created through the API) sent as `Authorization:
 * Bearer`, `x-api-key`, `x-goog-api-key` or `?key=`, known and not expired
 * (`keys/client-keys.ts` compares it in constant time). The key's name goes
 * to the pipeline and its listeners. With no keys at all every request passes
 * on loopback, and none beyond it (subgate refuses to start there without
 * keys; the last one revoked meanwhile must not open it to everyone).
 */
import type { MiddlewareHandler } from "hono";
import { apiError } from "../errors/api-error.ts";
import type { ClientKeys } from "../keys/client-keys.ts";
import type { ServerEnv } from "./server-env.ts";

/** Every key the request presents, in the four places clients put one. */
export function presentedKeys(request: Request): string[] {
  const keys: string[] = [];
  const authorization = request.headers.get("authorization");
  const bearer = authorization && /^Bearer\s+(.+)$/i.exec(authorization.trim());
  if (bearer) keys.push(bearer[1].trim());
  for (const header of ["x-api-key", "x-goog-api-key"]) {
    const value = request.headers.get(header);
    if (value) keys.push(value.trim());
  }
  const query = request.url.indexOf("?");
  if (query !== -1) {
    const fromQuery = new URLSearchParams(request.url.slice(query + 1)).get("key");
    if (fromQuery) keys.push(fromQuery);
  }
  return keys;
}

/** Paths anyone may call: health checks, which Claude Code sends before its key. */
function isOpenPath(method: string, path: string): boolean {
  return path === "/healthz" || (path === "/" && (method === "HEAD" || method === "GET"));
}

export function clientKeys(
  keys: Pick<ClientKeys, "count" | "authenticate">,
  exposed: () => boolean,
): MiddlewareHandler<ServerEnv> {
  return (c, next) => {
    if (isOpenPath(c.req.method, c.req.path)) return next();
    if (keys.count() === 0) {
      if (!exposed()) return next();
      throw apiError(
        "authentication",
        "subgate has no client keys left while it listens beyond loopback: add one to api-keys.",
      );
    }
    const presented = presentedKeys(c.req.raw);
    if (presented.length === 0) {
      throw apiError(
        "authentication",
        "Missing API key. Send one of the api-keys from subgate's config as " +
          "'Authorization: Bearer <key>', 'x-api-key', 'x-goog-api-key' or '?key='.",
      );
    }
    c.set("clientKey", keys.authenticate(presented).name);
    return next();
  };
}
