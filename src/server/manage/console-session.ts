/**
 * @module
 * The web console's sign-in, as the management API checks it: a session
 * cookie and a CSRF token, both derived from the management key, so the
 * server keeps no session state and changing the key ends every session.
 *
 * - The cookie (`subgate_console`, `HttpOnly`, `SameSite=Strict`, `Path=/`)
 *   holds `s1.<expiry>.<HMAC-SHA256(key, "subgate console session s1.<expiry>")>`,
 *   not the key: a browser sends a host's cookies to every port of it, so
 *   the key itself would reach any other server on 127.0.0.1 the browser
 *   visits. A session lasts 12 hours, or 30 days when the person asked to
 *   stay signed in (the cookie then persists).
 * - A request signed in by that cookie that changes something (any method but
 *   GET, HEAD and OPTIONS) must also carry `x-subgate-csrf`, an HMAC of the
 *   session under the key, which the console's pages embed: another page on
 *   the same site (another port of 127.0.0.1) sends the cookie but cannot read
 *   the token. Requests from other origins are refused by `access.ts` before
 *   this, and `SameSite=Strict` keeps the cookie off cross-site requests.
 */
import { createHmac, timingSafeEqual } from "node:crypto";

export const SESSION_COOKIE = "subgate_console";
export const CSRF_HEADER = "x-subgate-csrf";
export const SESSION_HOURS = 12;
export const REMEMBERED_DAYS = 30;

const VERSION = "s1";

function mac(key: string, text: string): string {
  return createHmac("sha256", key).update(text).digest("base64url");
}

function sameText(a: string, b: string): boolean {
  const left = new TextEncoder().encode(a);
  const right = new TextEncoder().encode(b);
  return left.length === right.length && timingSafeEqual(left, right);
}

/** A session token for `key`, valid until `expiresAt` (epoch ms). */
export function sessionToken(key: string, expiresAt: number): string {
  const expiry = Math.floor(expiresAt / 1000);
  return `${VERSION}.${expiry}.${mac(key, `subgate console session ${VERSION}.${expiry}`)}`;
}

/** Whether `token` is a session of `key`: valid, expired (but genuine), or wrong. */
export function checkSession(
  token: string,
  key: string,
  now = Date.now(),
): "valid" | "expired" | "wrong" {
  const match = /^s1\.(\d{1,12})\.([A-Za-z0-9_-]{43})$/.exec(token);
  if (!match) return "wrong";
  const expiry = Number(match[1]);
  if (!sameText(token, sessionToken(key, expiry * 1000))) return "wrong";
  return expiry * 1000 > now ? "valid" : "expired";
}

/** The CSRF token of a session: what the console's pages send as `x-subgate-csrf`. */
export function csrfToken(key: string, session: string): string {
  return mac(key, `subgate console csrf ${session}`);
}

export function sameCsrf(sent: string | undefined, key: string, session: string): boolean {
  return sent !== undefined && sameText(sent, csrfToken(key, session));
}

/** A cookie's value in the request's `Cookie` header. */
export function cookieOf(request: Request, name: string): string | undefined {
  const header = request.headers.get("cookie");
  if (!header) return undefined;
  for (const part of header.split(";")) {
    const at = part.indexOf("=");
    if (at !== -1 && part.slice(0, at).trim() === name) return part.slice(at + 1).trim();
  }
  return undefined;
}

/**
 * The `Set-Cookie` value that signs a browser in; `remember` makes it outlive the browser.
 * `secure` where the browser reached subgate over HTTPS (through a trusted proxy: subgate serves
 * plain HTTP itself).
 */
export function sessionCookie(token: string, remember: boolean, secure: boolean): string {
  const age = remember ? `; Max-Age=${REMEMBERED_DAYS * 86_400}` : "";
  return `${SESSION_COOKIE}=${token}; Path=/; HttpOnly; SameSite=Strict${age}${
    secure ? "; Secure" : ""
  }`;
}

/** The `Set-Cookie` value that signs a browser out. */
export function clearedSessionCookie(secure: boolean): string {
  return `${SESSION_COOKIE}=; Path=/; HttpOnly; SameSite=Strict; Max-Age=0${
    secure ? "; Secure" : ""
  }`;
}

/** When a session started now ends (epoch ms). */
export function sessionExpiry(remember: boolean, now = Date.now()): number {
  return now + (remember ? REMEMBERED_DAYS * 86_400_000 : SESSION_HOURS * 3_600_000);
}
