/**
 * @module
 * Client keys (`api-keys`): accepted as `Authorization: Bearer`, `x-api-key`,
 * `x-goog-api-key` or `?key=`, compared in constant time. With no keys
 * configured every request passes (subgate then only listens on loopback).
 */
import type { MiddlewareHandler } from "hono";
import { apiError } from "./api-error.ts";

const encoder = new TextEncoder();

async function digest(text: string): Promise<Uint8Array> {
  return new Uint8Array(await crypto.subtle.digest("SHA-256", encoder.encode(text)));
}

/** Equal-length digests compared without an early exit. */
function sameDigest(a: Uint8Array, b: Uint8Array): boolean {
  let difference = 0;
  for (let i = 0; i < a.length; i++) difference |= a[i] ^ b[i];
  return difference === 0;
}

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

export function clientKeys(configuredKeys: () => readonly string[]): MiddlewareHandler {
  let cachedFor: readonly string[] | undefined;
  let cachedDigests: Promise<Uint8Array[]> = Promise.resolve([]);
  const digestsOf = (keys: readonly string[]) => {
    if (keys !== cachedFor) {
      cachedFor = keys;
      cachedDigests = Promise.all(keys.map(digest));
    }
    return cachedDigests;
  };

  return async (c, next) => {
    const keys = configuredKeys();
    if (keys.length === 0 || isOpenPath(c.req.method, c.req.path)) return next();
    const presented = presentedKeys(c.req.raw);
    if (presented.length === 0) {
      throw apiError(
        "authentication",
        "Missing API key. Send one of the api-keys from subgate's config as " +
          "'Authorization: Bearer <key>', 'x-api-key', 'x-goog-api-key' or '?key='.",
      );
    }
    const known = await digestsOf(keys);
    let accepted = false;
    for (const candidate of presented) {
      const presentedDigest = await digest(candidate);
      for (const knownDigest of known) {
        accepted = sameDigest(presentedDigest, knownDigest) || accepted;
      }
    }
    if (!accepted) {
      throw apiError("authentication", "Invalid API key: it is not one of subgate's api-keys.");
    }
    return next();
  };
}
