/**
 * @module
 * Client keys (`api-keys`): accepted as `Authorization: Bearer`, `x-api-key`,
 * `x-goog-api-key` or `?key=`, compared in constant time. With no keys
 * configured every request passes (subgate then only listens on loopback).
 */
import { createHash, timingSafeEqual } from "node:crypto";
import type { MiddlewareHandler } from "hono";
import { apiError } from "../errors/api-error.ts";

/**
 * SHA-256 of a key, so keys of any length compare as equal-length digests. node:crypto's
 * synchronous hash: WebCrypto's async digest cost a third of a proxied request's CPU time.
 */
function digest(text: string): Uint8Array {
  return createHash("sha256").update(text).digest();
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
  let cachedDigests: Uint8Array[] = [];
  // Keys already accepted once, so a client's next request skips hashing. Only configured keys
  // ever enter it. A lookup hashes the presented text and compares characters only with an entry
  // of the same hash, so a wrong key learns nothing from its timing; wrong keys still go through
  // the constant-time comparison below.
  let accepted = new Set<string>();
  const digestsOf = (keys: readonly string[]) => {
    if (keys !== cachedFor) {
      cachedFor = keys;
      cachedDigests = keys.map(digest);
      accepted = new Set();
    }
    return cachedDigests;
  };

  return (c, next) => {
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
    const known = digestsOf(keys);
    for (const candidate of presented) {
      if (accepted.has(candidate)) return next();
    }
    let matched: string | undefined;
    for (const candidate of presented) {
      const presentedDigest = digest(candidate);
      // Every configured key is compared, in constant time, whatever matched before.
      for (const knownDigest of known) {
        if (timingSafeEqual(presentedDigest, knownDigest)) matched = candidate;
      }
    }
    if (matched === undefined) {
      throw apiError("authentication", "Invalid API key: it is not one of subgate's api-keys.");
    }
    accepted.add(matched);
    return next();
  };
}
