/**
 * @module
 * The web console at `/ui/`: pages rendered here with Hono's JSX from what
 * the management API answers (read in process, `api.ts`), small scripts that
 * act through the same API, and the assets embedded in the binary. Its
 * access is the API's (`../manage/access.ts`): with a management key the
 * browser signs in once and holds a session cookie (`console-session.ts`);
 * without one only this machine is let in, as for the API. A page that needs
 * signing in redirects to the form; a refusal is shown as a page saying why.
 * Every answer carries a strict Content-Security-Policy (scripts only from
 * here, no framing).
 */
import { type Context, Hono, type MiddlewareHandler } from "hono";
import { html } from "hono/html";
import type { Child } from "hono/jsx";
import type { ContentfulStatusCode } from "hono/utils/http-status";
import type { Config } from "../../config/config-types.ts";
import { refusalOf } from "../../errors/api-error.ts";
import type { Logger } from "../../log/logger.ts";
import type { ManageAccess } from "../manage/access.ts";
import {
  checkSession,
  clearedSessionCookie,
  cookieOf,
  sameCsrf,
  SESSION_COOKIE,
  sessionCookie,
  sessionExpiry,
  sessionToken,
} from "../manage/console-session.ts";
import { readBody } from "../read-body.ts";
import type { ServerEnv } from "../server-env.ts";
import { apiFor, type SelfFetch } from "./api.ts";
import { assetAt } from "./assets.ts";
import { type PageId, PAGES, Shell } from "./layout.tsx";
import { accountsPage } from "./pages/accounts.tsx";
import { clientsPage } from "./pages/clients.tsx";
import { configPage } from "./pages/config.tsx";
import { keysPage } from "./pages/keys.tsx";
import { overviewPage } from "./pages/overview.tsx";
import { requestsPage } from "./pages/requests.tsx";
import { refusedPage, signInPage } from "./pages/sign-in.tsx";
import { usageChoice, usageCsv, usagePage } from "./pages/usage.tsx";

export interface ConsoleOptions {
  access: ManageAccess;
  config(): Config;
  log: Logger;
  /** The app itself, which the pages read the management API through. */
  self: SelfFetch;
}

const CSP = [
  "default-src 'none'",
  "script-src 'self'",
  // Quota bars set their width as a style attribute; uPlot sizes its canvas the same way.
  "style-src 'self' 'unsafe-inline'",
  "img-src 'self' data:",
  "connect-src 'self'",
  "form-action 'self'",
  "frame-ancestors 'none'",
  "base-uri 'none'",
].join("; ");

const securityHeaders: MiddlewareHandler<ServerEnv> = async (c, next) => {
  await next();
  const headers = c.res.headers;
  headers.set("content-security-policy", CSP);
  headers.set("x-frame-options", "DENY");
  headers.set("x-content-type-options", "nosniff");
  // Not no-referrer: with it, browsers send `Origin: null` on the console's own form posts.
  headers.set("referrer-policy", "same-origin");
  if (!headers.has("cache-control")) headers.set("cache-control", "no-store");
};

/** Where to go after signing in: a console page, never another site. */
function safeNext(next: string | null | undefined): string {
  return next && /^\/ui\/(?!\/)/.test(next) && !next.includes("\\") ? next : "/ui/";
}

export function consoleRoutes(options: ConsoleOptions): Hono<ServerEnv> {
  const { access } = options;
  const app = new Hono<ServerEnv>();
  const keyed = () => options.config().managementKey !== undefined;
  /** Signed in with a session the header may offer to end. */
  const signedIn = (c: Context<ServerEnv>) => {
    const key = options.config().managementKey;
    const session = cookieOf(c.req.raw, SESSION_COOKIE);
    return key !== undefined && session !== undefined && checkSession(session, key) === "valid";
  };

  const document = (
    c: Context<ServerEnv>,
    props: { page: PageId | "sign-in" | "error"; title: string; charts?: boolean },
    body: Child,
    status = 200,
  ) =>
    c.html(
      html`<!DOCTYPE html>${(
        <Shell
          page={props.page}
          title={props.title}
          charts={props.charts}
          csrf={props.page === "sign-in" ? "" : access.csrfFor(c.req.raw)}
          signedIn={props.page !== "sign-in" && signedIn(c)}
        >
          {body}
        </Shell>
      )}`,
      status as ContentfulStatusCode,
    );

  const refused = (c: Context<ServerEnv>, status: number, title: string, message: string) =>
    document(c, { page: "error", title }, refusedPage({ title, message }), status);

  /** The API's access check, answering a browser: the sign-in form, or a page saying why not. */
  const gate: MiddlewareHandler<ServerEnv> = async (c, next) => {
    let passed = false;
    try {
      await access.check(c, async () => {
        passed = true;
        c.set("errorFormat", undefined);
        await next();
      });
    } catch (error) {
      const refusal = passed ? undefined : refusalOf(error);
      if (!refusal) throw error;
      const { kind, status, message, retryAfterSeconds } = refusal.error;
      if (kind === "authentication") {
        const url = new URL(c.req.url);
        const target = `/ui/login?next=${encodeURIComponent(url.pathname + url.search)}`;
        const headers: Record<string, string> = { location: target };
        if (cookieOf(c.req.raw, SESSION_COOKIE)) {
          headers["set-cookie"] = clearedSessionCookie(access.overHttps(c));
        }
        return new Response(null, { status: 303, headers });
      }
      const response = await refused(
        c,
        status,
        kind === "rate_limit" ? "Too many wrong keys" : "Not allowed",
        message,
      );
      if (retryAfterSeconds) response.headers.set("retry-after", String(retryAfterSeconds));
      return response;
    }
  };

  app.use("/ui", securityHeaders);
  app.use("/ui/*", securityHeaders);
  app.get("/ui", (c) => c.redirect("/ui/", 301));

  app.get("/ui/assets/:name", (c) => {
    const file = assetAt(c.req.path);
    if (!file) return c.text("No such asset.", 404);
    return c.body(file.body, 200, {
      "content-type": file.type,
      "cache-control": "public, max-age=31536000, immutable",
    });
  });

  app.get("/ui/login", (c) => {
    const key = options.config().managementKey;
    const next = safeNext(c.req.query("next"));
    const session = cookieOf(c.req.raw, SESSION_COOKIE);
    if (!key || (session && checkSession(session, key) === "valid")) return c.redirect(next, 303);
    return document(c, { page: "sign-in", title: "Sign in" }, signInPage({ next }));
  });

  app.post("/ui/login", async (c) => {
    const problem = access.browserProblem(c);
    if (problem) return refused(c, 403, "Not allowed", problem);
    const text = await readBody(c.req.raw, { maxBytes: 16 * 1024, idleSeconds: 30 });
    const form = new URLSearchParams(text);
    const next = safeNext(form.get("next"));
    if (!keyed()) return c.redirect(next, 303);
    const key = form.get("key")?.trim() ?? "";
    const again = (status: number, error: string) =>
      document(c, { page: "sign-in", title: "Sign in" }, signInPage({ next, error }), status);
    if (key === "") return again(400, "Enter the management key.");
    let from: string;
    try {
      from = await access.verifyKey(c, key);
    } catch (error) {
      const refusal = refusalOf(error);
      if (!refusal) throw error;
      return again(refusal.error.status, refusal.error.message);
    }
    const remember = form.get("remember") === "1";
    options.log.info("console signed in", { from, remember });
    return new Response(null, {
      status: 303,
      headers: {
        location: next,
        "set-cookie": sessionCookie(
          sessionToken(key, sessionExpiry(remember)),
          remember,
          access.overHttps(c),
        ),
      },
    });
  });

  app.post("/ui/logout", async (c) => {
    const problem = access.browserProblem(c);
    if (problem) return refused(c, 403, "Not allowed", problem);
    const form = new URLSearchParams(
      await readBody(c.req.raw, { maxBytes: 16 * 1024, idleSeconds: 30 }),
    );
    const key = options.config().managementKey;
    const session = cookieOf(c.req.raw, SESSION_COOKIE);
    if (
      key && session && checkSession(session, key) === "valid" &&
      !sameCsrf(form.get("csrf") ?? undefined, key, session)
    ) {
      return refused(c, 403, "Not allowed", "Signing out needs the page's CSRF token: reload it.");
    }
    return new Response(null, {
      status: 303,
      headers: {
        location: key ? "/ui/login" : "/ui/",
        "set-cookie": clearedSessionCookie(access.overHttps(c)),
      },
    });
  });

  app.use("/ui/*", gate);

  const titleOf = (id: PageId) => PAGES.find((page) => page.id === id)!.title;
  const api = (c: Context<ServerEnv>) => apiFor(c, options.self);

  app.get("/ui/", async (c) =>
    document(
      c,
      { page: "overview", title: titleOf("overview"), charts: true },
      await overviewPage(api(c), Date.now()),
    ));
  app.get("/ui/accounts", async (c) =>
    document(
      c,
      { page: "accounts", title: titleOf("accounts") },
      await accountsPage(api(c), Date.now()),
    ));
  app.get("/ui/usage", async (c) => {
    const choice = usageChoice((name) => c.req.query(name), Date.now());
    const query = new URLSearchParams({
      range: choice.range,
      group: choice.group,
      bucket: choice.bucket,
    });
    return document(
      c,
      { page: "usage", title: titleOf("usage"), charts: true },
      await usagePage(api(c), choice, `/ui/usage.csv?${query}`),
    );
  });
  app.get("/ui/usage.csv", async (c) => {
    const choice = usageChoice((name) => c.req.query(name), Date.now());
    const csv = await usageCsv(api(c), choice);
    if (!csv.ok) return refused(c, csv.status, "No usage", csv.message);
    return c.body(csv.text, 200, {
      "content-type": "text/csv; charset=utf-8",
      "content-disposition":
        `attachment; filename="subgate-usage-${choice.range}-by-${choice.group}.csv"`,
    });
  });
  app.get(
    "/ui/keys",
    async (c) =>
      document(c, { page: "keys", title: titleOf("keys") }, await keysPage(api(c), Date.now())),
  );
  app.get(
    "/ui/requests",
    async (c) =>
      document(c, { page: "requests", title: titleOf("requests") }, await requestsPage(api(c))),
  );
  app.get(
    "/ui/config",
    async (c) =>
      document(c, { page: "config", title: titleOf("config") }, await configPage(api(c))),
  );
  app.get("/ui/clients", async (c) =>
    document(
      c,
      { page: "clients", title: titleOf("clients") },
      await clientsPage(api(c), new URL(c.req.url).origin),
    ));
  app.all(
    "/ui/*",
    (c) => refused(c, 404, "Not found", `The console has no page ${c.req.path.slice(0, 200)}.`),
  );
  return app;
}
