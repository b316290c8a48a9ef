/**
 * @module
 * `OPTIONS` on any path is answered at once, 204 with `Allow`, before the
 * client-key check: browsers send preflights without credentials. CORS
 * headers are added only when `cors.allow-origins` is set, and only for an
 * origin it lists (any origin with "*"), on preflights and real answers alike.
 */
import type { MiddlewareHandler } from "hono";
import { cors } from "hono/cors";

const METHODS = ["GET", "HEAD", "POST", "OPTIONS"];
const ALLOW = METHODS.join(", ");

/** The Access-Control-Allow-Origin for `origin`, or null when it may not call subgate. */
function allowedOrigin(origin: string, allowOrigins: readonly string[]): string | null {
  if (allowOrigins.includes("*")) return "*";
  return allowOrigins.includes(origin) ? origin : null;
}

export function preflightAndCors(allowOrigins: () => readonly string[]): MiddlewareHandler {
  const withCors = cors({
    origin: (origin) => allowedOrigin(origin, allowOrigins()),
    allowMethods: METHODS,
    // Browser clients (the SDKs) read retry-after, request ids and rate-limit headers.
    exposeHeaders: ["*"],
    maxAge: 600,
  });
  const decorated: MiddlewareHandler = async (c, next) => {
    // Hono's middleware answers preflights itself and decorates every other answer.
    const preflight = await withCors(c, next);
    preflight?.headers.set("allow", ALLOW);
    return preflight;
  };
  // Not async: most requests carry no origin, and an extra await per request shows under load.
  return (c, next) => {
    const origin = c.req.raw.headers.get("origin");
    if (origin !== null && allowedOrigin(origin, allowOrigins())) return decorated(c, next);
    if (c.req.method === "OPTIONS") {
      return Promise.resolve(new Response(null, { status: 204, headers: { allow: ALLOW } }));
    }
    return next();
  };
}
