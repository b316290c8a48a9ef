/**
 * @module
 * The console reads what it shows from the management API, in process: each
 * page's request is replayed as a `GET /manage/…` through the app itself,
 * with the caller's cookie and forwarding headers and the same connection,
 * so the access rules, the figures and the errors are exactly the API's.
 */
import type { Context } from "hono";
import type { ConnectionInfo, ServerEnv } from "../server-env.ts";

/** The app's own `fetch`, which the console's reads go through. */
export type SelfFetch = (request: Request, env: ConnectionInfo) => Response | Promise<Response>;

export type ApiAnswer<T> =
  | { ok: true; body: T }
  | { ok: false; status: number; message: string };

export type ApiGet = <T>(path: string) => Promise<ApiAnswer<T>>;

/** What a management request relayed for the page carries of the page's own request. */
const RELAYED = ["cookie", "x-forwarded-for", "forwarded", "x-real-ip", "user-agent"];

export function apiFor(c: Context<ServerEnv>, self: SelfFetch): ApiGet {
  return async <T>(path: string): Promise<ApiAnswer<T>> => {
    const headers = new Headers();
    for (const name of RELAYED) {
      const value = c.req.raw.headers.get(name);
      if (value !== null) headers.set(name, value);
    }
    const response = await self(new Request(new URL(path, c.req.url), { headers }), c.env);
    const text = await response.text();
    let body: unknown;
    try {
      body = JSON.parse(text);
    } catch {
      body = undefined;
    }
    if (response.ok && body !== undefined) return { ok: true, body: body as T };
    const message = (body as { error?: { message?: string } } | undefined)?.error?.message ??
      `${path} answered ${response.status}.`;
    return { ok: false, status: response.status, message };
  };
}
