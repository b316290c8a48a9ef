/**
 * @module
 * Who may use `/manage/` and `/metrics`. With a management key configured
 * (`management-key`, or `SUBGATE_MANAGEMENT_KEY`), every request must carry
 * it as `Authorization: Bearer <key>`, compared in constant time, from
 * anywhere (loopback too); wrong keys are slowed and then locked out per
 * address (`lockout.ts`). Without one, only connections from this machine are
 * answered: the socket's peer decides, never a header (`caller.ts`).
 *
 * A browser can be made to send requests to this machine's loopback address
 * by any web page it visits, so two browser-borne requests are refused in
 * both modes: one a page of another origin sends (its `Origin` is not this
 * server's own, nor one of `cors.allow-origins`: cross-site request forgery),
 * and, without a management key, one addressed to a host name that is not
 * this machine's (`Host` other than localhost, a loopback address or the
 * configured host: a DNS-rebinding page). Refusals come in OpenAI's error
 * shape.
 *
 * The web console signs a browser in with a session cookie derived from the
 * key (`console-session.ts`), which this check takes in place of the Bearer
 * header; a change made with the cookie must also carry the page's CSRF
 * token. A wrong session counts as a wrong key.
 */
import { createHash, timingSafeEqual } from "node:crypto";
import type { Context, MiddlewareHandler } from "hono";
import type { Config } from "../../config/config-types.ts";
import { apiError } from "../../errors/api-error.ts";
import { peerAddress, type ServerEnv } from "../server-env.ts";
import { type Caller, callerOf } from "./caller.ts";
import {
  checkSession,
  cookieOf,
  CSRF_HEADER,
  csrfToken,
  sameCsrf,
  SESSION_COOKIE,
} from "./console-session.ts";
import type { Lockout } from "./lockout.ts";

const digest = (text: string): Uint8Array => createHash("sha256").update(text).digest();

/** The Bearer credential a request carries, if any. */
function bearerOf(request: Request): string | undefined {
  const header = request.headers.get("authorization");
  const match = header && /^Bearer\s+(.+)$/i.exec(header.trim());
  return match ? match[1].trim() : undefined;
}

type Credential = { kind: "bearer"; value: string } | { kind: "session"; value: string };

/** The key a request carries as Bearer, else the console's session cookie. */
function credentialOf(request: Request): Credential | undefined {
  const bearer = bearerOf(request);
  if (bearer !== undefined) return { kind: "bearer", value: bearer };
  const session = cookieOf(request, SESSION_COOKIE);
  return session ? { kind: "session", value: session } : undefined;
}

/** Methods that change nothing: a session cookie alone may make these. */
const SAFE_METHODS = new Set(["GET", "HEAD", "OPTIONS"]);

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

function clock(time: number): string {
  return new Date(time).toISOString().replace(/\.\d{3}Z$/, "Z");
}

const LOCAL_NAMES = new Set(["localhost", "127.0.0.1", "::1", "[::1]"]);

/** The host name a request was addressed to, without its port. */
function hostNameOf(url: string): string {
  return new URL(url).hostname.toLowerCase();
}

/** Why a browser-borne request is refused, or undefined when it is not one to refuse. */
function browserProblem(
  request: Request,
  config: Config,
  keyed: boolean,
  viaProxy: boolean,
): string | undefined {
  const origin = request.headers.get("origin");
  if (origin !== null && origin !== new URL(request.url).origin) {
    const allowed = config.cors.allowOrigins;
    if (!allowed.includes("*") && !allowed.includes(origin)) {
      return `A page of another origin (${origin.slice(0, 100)}) may not use the management ` +
        `API; list it in 'cors.allow-origins' if it should.`;
    }
  }
  if (keyed || viaProxy) return undefined;
  const host = hostNameOf(request.url);
  if (
    LOCAL_NAMES.has(host) || /^127(\.\d{1,3}){3}$/.test(host) || host === config.host.toLowerCase()
  ) {
    return undefined;
  }
  return `The management API has no management key, so it answers requests addressed to this ` +
    `machine only (localhost, 127.0.0.1), not to '${host.slice(0, 100)}'. Set 'management-key' ` +
    `to use it under another name.`;
}

export interface ManageAccess {
  /** The check of `/manage/`, `/metrics` and the console's pages: refusals are thrown. */
  check: MiddlewareHandler<ServerEnv>;
  /**
   * The console's sign-in: the typed key checked as a Bearer key would be (lockout, delays);
   * throws the refusal when it is wrong or the caller is locked out. Answers the caller's address.
   */
  verifyKey(c: Context<ServerEnv>, presented: string): Promise<string>;
  /** Why a browser request is refused before any key is looked at (another origin, …). */
  browserProblem(c: Context<ServerEnv>): string | undefined;
  /** The CSRF token of the request's console session ("" when it has none). */
  csrfFor(request: Request): string;
  /**
   * Whether the browser reached subgate over HTTPS: the request's own URL, or a trusted proxy's
   * `X-Forwarded-Proto` (so the console's cookie is marked `Secure`).
   */
  overHttps(c: Context<ServerEnv>): boolean;
}

export function createAccess(config: () => Config, lockout: Lockout): ManageAccess {
  let keyFor: string | undefined;
  let keyDigest: Uint8Array = new Uint8Array();
  const digestOf = (key: string) => {
    if (key !== keyFor) {
      keyFor = key;
      keyDigest = digest(key);
    }
    return keyDigest;
  };

  const callerFor = (c: Context<ServerEnv>) =>
    callerOf(peerAddress(c.env), c.req.raw.headers, config().trustedProxies);

  const refuseLocked = (caller: Caller) => {
    const lockedUntil = lockout.lockedUntil(caller.lockoutKey);
    if (lockedUntil === undefined) return;
    throw apiError(
      "rate_limit",
      `Too many wrong management keys from ${caller.address}: refused until ${clock(lockedUntil)}.`,
      { retryAfterSeconds: Math.ceil((lockedUntil - Date.now()) / 1000) },
    );
  };

  const wrong = async (caller: Caller, message: string): Promise<never> => {
    const { delayMs } = lockout.failed(caller.lockoutKey, caller.address);
    if (delayMs) await sleep(delayMs);
    throw apiError("authentication", message);
  };

  const browserProblemOf = (c: Context<ServerEnv>, caller: Caller) =>
    browserProblem(c.req.raw, config(), config().managementKey !== undefined, caller.viaProxy);

  const check: MiddlewareHandler<ServerEnv> = async (c, next) => {
    c.set("errorFormat", "openai");
    const current = config();
    const caller = callerFor(c);
    const key = current.managementKey;
    const browser = browserProblemOf(c, caller);
    if (browser) throw apiError("permission", browser);
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
    refuseLocked(caller);
    const presented = credentialOf(c.req.raw);
    if (presented === undefined) {
      throw apiError(
        "authentication",
        "The management API needs the management key, sent as 'Authorization: Bearer <key>' " +
          "(or sign in to the console at /ui/).",
      );
    }
    if (presented.kind === "bearer") {
      if (!timingSafeEqual(digest(presented.value), digestOf(key))) {
        await wrong(caller, "Wrong management key.");
      }
      lockout.succeeded(caller.lockoutKey);
      c.set("manager", { who: "management key", address: caller.address });
      return await next();
    }
    const session = checkSession(presented.value, key);
    if (session === "wrong") {
      await wrong(
        caller,
        "The console session is not valid (the management key changed?): sign in again at /ui/.",
      );
    }
    if (session === "expired") {
      throw apiError("authentication", "The console session has expired: sign in again at /ui/.");
    }
    lockout.succeeded(caller.lockoutKey);
    if (
      !SAFE_METHODS.has(c.req.method) &&
      !sameCsrf(c.req.header(CSRF_HEADER), key, presented.value)
    ) {
      throw apiError(
        "permission",
        `A change made with the console's session cookie must carry its page's CSRF token ` +
          `(${CSRF_HEADER}): reload the console page and try again.`,
      );
    }
    c.set("manager", { who: "console session", address: caller.address });
    return await next();
  };

  return {
    check,
    async verifyKey(c, presented) {
      const caller = callerFor(c);
      const key = config().managementKey;
      if (!key) return caller.address;
      refuseLocked(caller);
      if (!timingSafeEqual(digest(presented), digestOf(key))) {
        await wrong(caller, "Wrong management key.");
      }
      lockout.succeeded(caller.lockoutKey);
      return caller.address;
    },
    browserProblem: (c) => browserProblemOf(c, callerFor(c)),
    overHttps(c) {
      if (new URL(c.req.url).protocol === "https:") return true;
      const forwarded = c.req.header("x-forwarded-proto")?.split(",")[0].trim().toLowerCase();
      return forwarded === "https" && callerFor(c).viaProxy;
    },
    csrfFor(request) {
      const key = config().managementKey;
      const session = cookieOf(request, SESSION_COOKIE);
      return key && session ? csrfToken(key, session) : "";
    },
  };
}
