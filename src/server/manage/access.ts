/**
 * @module
 * Who may use `/manage/` and `/metrics`. With a management key configured
 * (`management-key`, or `SUBGATE_MANAGEMENT_KEY`), every request must carry
 * it as `Authorization: Bearer <key>`, compared in constant time, from
 * anywhere (loopback too); wrong keys are slowed and then locked out per
 * address (`lockout.ts`). Without one, only connections from this machine are
 * answered: the socket's peer decides, never a header (`caller.ts`).
 * Refusals come in OpenAI's error shape.
 */
import { createHash, timingSafeEqual } from "node:crypto";
import type { MiddlewareHandler } from "hono";
import type { Config } from "../../config/config-types.ts";
import { apiError } from "../../errors/api-error.ts";
import { peerAddress, type ServerEnv } from "../server-env.ts";
import { callerOf } from "./caller.ts";
import type { Lockout } from "./lockout.ts";

const digest = (text: string): Uint8Array => createHash("sha256").update(text).digest();

/** The Bearer credential a request carries, if any. */
function bearerOf(request: Request): string | undefined {
  const header = request.headers.get("authorization");
  const match = header && /^Bearer\s+(.+)$/i.exec(header.trim());
  return match ? match[1].trim() : undefined;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

function clock(time: number): string {
  return new Date(time).toISOString().replace(/\.\d{3}Z$/, "Z");
}

export function manageAccess(
  config: () => Config,
  lockout: Lockout,
): MiddlewareHandler<ServerEnv> {
  let keyFor: string | undefined;
  let keyDigest: Uint8Array = new Uint8Array();
  return async (c, next) => {
    c.set("errorFormat", "openai");
    const current = config();
    const caller = callerOf(peerAddress(c.env), c.req.raw.headers, current.trustedProxies);
    const key = current.managementKey;
    if (!key) {
      if (!caller.local) {
        throw apiError(
          "permission",
          caller.relayed
            ? `The management API has no management key, so it answers only this machine; this ` +
              `request came through a proxy (it carries ${caller.relayed}). Set 'management-key' ` +
              `(or SUBGATE_MANAGEMENT_KEY), or list the proxy in 'trusted-proxies'.`
            : `The management API has no management key, so it answers only connections from ` +
              `this machine (this one comes from ${caller.address}). Set 'management-key' (or ` +
              `SUBGATE_MANAGEMENT_KEY) to use it from elsewhere.`,
        );
      }
      c.set("manager", { who: "loopback", address: caller.address });
      return await next();
    }
    const lockedUntil = lockout.lockedUntil(caller.lockoutKey);
    if (lockedUntil !== undefined) {
      throw apiError(
        "rate_limit",
        `Too many wrong management keys from ${caller.address}: refused until ${
          clock(lockedUntil)
        }.`,
        { retryAfterSeconds: Math.ceil((lockedUntil - Date.now()) / 1000) },
      );
    }
    const presented = bearerOf(c.req.raw);
    if (presented === undefined) {
      throw apiError(
        "authentication",
        "The management API needs the management key, sent as 'Authorization: Bearer <key>'.",
      );
    }
    if (key !== keyFor) {
      keyFor = key;
      keyDigest = digest(key);
    }
    if (!timingSafeEqual(digest(presented), keyDigest)) {
      const { delayMs } = lockout.failed(caller.lockoutKey, caller.address);
      if (delayMs) await sleep(delayMs);
      throw apiError("authentication", "Wrong management key.");
    }
    lockout.succeeded(caller.lockoutKey);
    c.set("manager", { who: "management key", address: caller.address });
    return await next();
  };
}
