/**
 * The web console without a browser: signing in (a session cookie derived from the management
 * key, never the key; no open redirect), the management API taking that cookie and asking its
 * CSRF token for changes, the loopback-only rule without a key, the pages' security headers and
 * hashed assets, the API routes the console added (`/manage/activity`, `PUT /manage/config
 * ?dry-run=1`, `/manage/requests/stream?after=`), and the embedded assets: up to date with
 * `client/` and part of the module graph `deno compile` embeds. In memory: the app gets each
 * request with the connection a server would give it.
 */
import { assert, assertEquals, assertMatch } from "./helpers/assert.ts";
import type { Config } from "../src/config/config-types.ts";
import type { RequestRecord } from "../src/proxy/request-record.ts";
import { REPO_ROOT } from "./helpers/subgate-process.ts";
import { startManageApp } from "./helpers/manage-app.ts";

const KEY = "mk-console-right-key-0123456789";
const CONFIG_TEXT =
  "routing:\n  strategy: round-robin\nclaude-api-key:\n  - api-key: sk-ant-api03-fake\n";

interface Answer {
  status: number;
  headers: Headers;
  text: string;
  // deno-lint-ignore no-explicit-any -- JSON answers, asserted field by field
  body: any;
}

async function consoleApp(managementKey?: string, extra: Partial<Config> = {}) {
  const { fetch, close, manage, configPath, lines } = await startManageApp({
    managementKey,
    config: extra,
    configText: CONFIG_TEXT,
  });
  const raw = (
    path: string,
    init: RequestInit = {},
    options: { from?: string; base?: string } = {},
  ) => fetch(path, { redirect: "manual", ...init }, options);
  const call = async (
    path: string,
    init: RequestInit = {},
    options: { from?: string; base?: string } = {},
  ): Promise<Answer> => {
    const response = await raw(path, init, options);
    const text = await response.text();
    let body: unknown = text;
    if (response.headers.get("content-type")?.includes("json")) body = JSON.parse(text);
    return { status: response.status, headers: response.headers, text, body };
  };
  return { call, raw, close, manage, configPath, lines };
}

const form = (fields: Record<string, string>, origin?: string): RequestInit => ({
  method: "POST",
  headers: {
    "content-type": "application/x-www-form-urlencoded",
    ...(origin ? { origin } : {}),
  },
  body: new URLSearchParams(fields).toString(),
});

const cookieOf = (answer: Answer) => answer.headers.get("set-cookie") ?? "";
const sessionOf = (answer: Answer) => /subgate_console=([^;]*)/.exec(cookieOf(answer))![1];
const csrfIn = (html: string) => /<meta name="subgate-csrf" content="([^"]*)"/.exec(html)![1];

Deno.test("console sign-in: a session cookie that is not the key, and only to a console page", async () => {
  const { call, close, lines } = await consoleApp(KEY);
  try {
    const first = await call("/ui/accounts?x=1");
    assertEquals(first.status, 303);
    assertEquals(first.headers.get("location"), "/ui/login?next=%2Fui%2Faccounts%3Fx%3D1");
    const page = await call("/ui/login?next=%2Fui%2Faccounts");
    assertEquals(page.status, 200);
    assertMatch(page.text, /<form method="post" action="\/ui\/login">/);
    assertMatch(page.text, /type="password"/);

    const wrong = await call("/ui/login", form({ key: "not-it", next: "/ui/accounts" }));
    assertEquals(wrong.status, 401);
    assertMatch(wrong.text, /Wrong management key/);
    assertEquals(cookieOf(wrong), "");

    const right = await call("/ui/login", form({ key: KEY, next: "/ui/accounts?x=1" }));
    assertEquals(right.status, 303);
    assertEquals(right.headers.get("location"), "/ui/accounts?x=1");
    assertMatch(
      cookieOf(right),
      /^subgate_console=s1\.\d+\.[\w-]{43}; Path=\/; HttpOnly; SameSite=Strict$/,
    );
    assert(!cookieOf(right).includes(KEY));
    const remembered = await call("/ui/login", form({ key: KEY, remember: "1" }));
    assertMatch(cookieOf(remembered), /; Max-Age=2592000/);
    assertEquals(remembered.headers.get("location"), "/ui/");
    await Promise.all(
      ["https://evil.example/", "//evil.example/ui/", "/ui/\\evil", "/manage/keys"].map(
        async (next) => {
          const answer = await call("/ui/login", form({ key: KEY, next }));
          assertEquals(answer.headers.get("location"), "/ui/", `next=${next}`);
        },
      ),
    );
    assert(lines.some((line) => /console signed in from=127\.0\.0\.1/.test(line)));

    const crossSite = await call("/ui/login", form({ key: KEY }, "https://evil.example"));
    assertEquals(crossSite.status, 403);
    assertEquals(cookieOf(crossSite), "");

    // Signed in: the pages open, and say who may sign out.
    const session = sessionOf(right);
    const accounts = await call("/ui/accounts", {
      headers: { cookie: `subgate_console=${session}` },
    });
    assertEquals(accounts.status, 200);
    assertMatch(accounts.text, /Sign out/);
    assert(!accounts.text.includes(KEY));
    // A session that is not one (forged, or from another key) is a wrong key, and is cleared.
    const forged = await call("/ui/", {
      headers: { cookie: `subgate_console=s1.9999999999.${"A".repeat(43)}` },
    });
    assertEquals(forged.status, 303);
    assertMatch(cookieOf(forged), /subgate_console=; .*Max-Age=0/);
  } finally {
    await close();
  }
});

Deno.test("the session cookie is Secure where the browser came over HTTPS through a trusted proxy", async () => {
  const { call, close } = await consoleApp(KEY, { trustedProxies: ["10.0.0.1"] });
  try {
    const signIn = (from: string) =>
      call("/ui/login", {
        ...form({ key: KEY }),
        headers: {
          "content-type": "application/x-www-form-urlencoded",
          "x-forwarded-proto": "https",
          "x-forwarded-for": "203.0.113.5",
        },
      }, { from });
    assertMatch(cookieOf(await signIn("10.0.0.1")), /; Secure$/);
    assert(!cookieOf(await signIn("10.0.0.2")).includes("Secure"), "an untrusted peer's header");
    assertMatch(
      cookieOf(
        await call("/ui/login", form({ key: KEY }), {
          base: "https://subgate.example",
        }),
      ),
      /; Secure$/,
    );
  } finally {
    await close();
  }
});

Deno.test("the management API takes the console's cookie; its changes need the page's CSRF token", async () => {
  const { call, close, lines } = await consoleApp(KEY);
  try {
    const session = sessionOf(await call("/ui/login", form({ key: KEY })));
    const cookie = `subgate_console=${session}`;
    const csrf = csrfIn((await call("/ui/accounts", { headers: { cookie } })).text);
    assertMatch(csrf, /^[\w-]{43}$/);

    assertEquals((await call("/manage/accounts", { headers: { cookie } })).status, 200);
    const noToken = await call("/manage/keys", { method: "POST", headers: { cookie }, body: "{}" });
    assertEquals(noToken.status, 403);
    assertMatch(noToken.body.error.message, /CSRF token \(x-subgate-csrf\)/);
    const wrongToken = await call("/manage/quota/refresh", {
      method: "POST",
      headers: { cookie, "x-subgate-csrf": "A".repeat(43) },
    });
    assertEquals(wrongToken.status, 403);
    const withToken = await call("/manage/config?dry-run=1", {
      method: "PUT",
      headers: { cookie, "x-subgate-csrf": csrf },
      body: CONFIG_TEXT,
    });
    assertEquals(withToken.status, 200, withToken.text);
    // Another page's requests: refused by origin before any cookie counts.
    const crossOrigin = await call("/manage/accounts", {
      headers: { cookie, origin: "http://127.0.0.1:3000" },
    });
    assertEquals(crossOrigin.status, 403);

    // A session without its cookie's key is no session; an expired one says so.
    const forged = await call("/manage/accounts", {
      headers: { cookie: `subgate_console=s1.9999999999.${"B".repeat(43)}` },
    });
    assertEquals(forged.status, 401);
    assertMatch(forged.body.error.message, /console session is not valid/);

    // Changes through the console are logged as such.
    const changed = await call("/manage/logins/none", {
      method: "DELETE",
      headers: { cookie, "x-subgate-csrf": csrf },
    });
    assertEquals(changed.status, 404);
    const manager = await call("/manage", { headers: { cookie } });
    assertEquals(manager.body.manager.who, "console session");

    // Signing out needs the token too, and clears the cookie.
    const noCsrf = await call("/ui/logout", { ...form({}), headers: { cookie } });
    assertEquals(noCsrf.status, 403);
    const out = await call("/ui/logout", {
      ...form({ csrf }),
      headers: { cookie, "content-type": "application/x-www-form-urlencoded" },
    });
    assertEquals(out.status, 303);
    assertEquals(out.headers.get("location"), "/ui/login");
    assertMatch(cookieOf(out), /subgate_console=; .*Max-Age=0/);
    assert(!lines.some((line) => line.includes(KEY)), "the key is never logged");
  } finally {
    await close();
  }
});

Deno.test("without a management key the console opens on loopback only, never for another host name", async () => {
  const { call, close } = await consoleApp();
  try {
    const page = await call("/ui/");
    assertEquals(page.status, 200);
    assertMatch(page.text, /<h1>Overview<\/h1>/);
    assert(!page.text.includes("Sign out"), "nothing to sign out of");
    assertEquals((await call("/ui/login")).headers.get("location"), "/ui/");
    const remote = await call("/ui/accounts", {}, { from: "192.168.1.20" });
    assertEquals(remote.status, 403);
    assertMatch(remote.text, /answers only connections from this machine/);
    const rebound = await call("/ui/", {}, { base: "http://rebind.example:8317" });
    assertEquals(rebound.status, 403);
    assertMatch(rebound.text, /not to &#39;rebind\.example&#39;|not to 'rebind\.example'/);
  } finally {
    await close();
  }
});

Deno.test("console pages: every one renders, with a strict CSP; assets by hash, kept for good", async () => {
  const { call, close } = await consoleApp();
  try {
    const pages = [
      "/ui/",
      "/ui/accounts",
      "/ui/usage",
      "/ui/keys",
      "/ui/requests",
      "/ui/config",
      "/ui/clients",
    ];
    const assets = new Set<string>();
    for (const path of pages) {
      const page = await call(path);
      assertEquals(page.status, 200, `${path}: ${page.text.slice(0, 300)}`);
      assertMatch(page.text, /^<!DOCTYPE html><html lang="en">/);
      const csp = page.headers.get("content-security-policy") ?? "";
      assertMatch(csp, /default-src 'none'; script-src 'self';/);
      assertMatch(csp, /frame-ancestors 'none'/);
      assertEquals(page.headers.get("x-frame-options"), "DENY");
      assertEquals(page.headers.get("cache-control"), "no-store");
      assert(!page.text.includes("sk-ant-api03-fake"), `${path} shows a key`);
      for (const [, asset] of page.text.matchAll(/(?:src|href)="(\/ui\/assets\/[^"]+)"/g)) {
        assets.add(asset);
      }
    }
    assertEquals(assets.size, 4, [...assets].join(", "));
    for (const asset of assets) {
      assertMatch(asset, /^\/ui\/assets\/(console|uplot)\.[0-9a-f]{16}\.(js|css)$/);
      const answer = await call(asset);
      assertEquals(answer.status, 200);
      assertEquals(answer.headers.get("cache-control"), "public, max-age=31536000, immutable");
      assertMatch(
        answer.headers.get("content-type")!,
        asset.endsWith(".js") ? /javascript/ : /css/,
      );
    }
    assertEquals((await call("/ui/assets/console.0000000000000000.js")).status, 404);
    assertEquals((await call("/ui")).headers.get("location"), "/ui/");
    const missing = await call("/ui/nothing-here");
    assertEquals(missing.status, 404);
    assertMatch(missing.text, /The console has no page \/ui\/nothing-here/);
    // Without a usage ledger, the usage page says so instead of failing.
    assertMatch((await call("/ui/usage")).text, /Not available: The usage ledger is not part/);
  } finally {
    await close();
  }
});

Deno.test("PUT /manage/config?dry-run=1 checks a config and writes nothing", async () => {
  const { call, close, configPath } = await consoleApp();
  try {
    const read = await call("/manage/config");
    const version = read.body.version;
    const bad = await call("/manage/config?dry-run=1", {
      method: "PUT",
      headers: { "if-match": version },
      body: "routing:\n  strategy: busiest\nport: 99999\n",
    });
    assertEquals(bad.status, 400);
    assertMatch(bad.body.error.message, /^Config not valid: line 2: routing\.strategy/);
    assertEquals(
      bad.body.error.problems.map((p: { line: number; path: string }) => [p.line, p.path]),
      [[2, "routing.strategy"], [3, "port"]],
    );
    const good = await call("/manage/config?dry-run=1", {
      method: "PUT",
      headers: { "if-match": version },
      body: `${read.body.text}log-level: debug\nport: 9000\ndebug: true\n`,
    });
    assertEquals(good.status, 200, good.text);
    assertEquals(good.body.valid, true);
    assertEquals(good.body.changed, true);
    assert(good.body.restartNeeded.includes("port"), "a port change takes a restart");
    assertEquals(good.body.warnings.map((w: { path: string }) => w.path), ["debug"]);
    assertEquals(Deno.readTextFileSync(configPath), CONFIG_TEXT, "nothing written");
  } finally {
    await close();
  }
});

function record(at: number, status: number, tokens = 0): RequestRecord {
  return {
    at,
    action: "generate",
    requestedModel: "claude-sonnet-4-6",
    clientDialect: "anthropic",
    status,
    stream: false,
    latencyMs: 10,
    usage: tokens ? { inputTokens: tokens, outputTokens: tokens / 2 } : undefined,
  };
}

Deno.test("/manage/activity: the last hour per minute; the live tail resumes after ?after=", async () => {
  const { call, raw, close, manage } = await consoleApp();
  try {
    const now = Date.now();
    manage.hooks.ended!(record(now, 200, 100));
    manage.hooks.ended!(record(now, 529));
    manage.hooks.ended!(record(now, 499));
    manage.hooks.refused!(record(now - 5 * 60_000, 403));
    manage.hooks.ended!(record(now - 2 * 3_600_000, 200, 1000));
    const { minutes } = (await call("/manage/activity")).body;
    assertEquals(minutes.length, 60);
    const last = minutes.at(-1);
    assertEquals(Date.parse(last.at), Math.floor(now / 60_000) * 60_000);
    assertEquals([last.requests, last.errors, last.inputTokens, last.outputTokens], [
      3,
      1,
      100,
      50,
    ]);
    assertEquals(minutes.at(-6).requests, 1, "five minutes ago");
    assertEquals(
      minutes.reduce((sum: number, m: { requests: number }) => sum + m.requests, 0),
      4,
      "nothing from two hours ago",
    );

    const listed = (await call("/manage/requests?limit=5")).body.requests;
    const third = listed.find((r: { status: number }) => r.status === 499).seq;
    const tail = await raw(`/manage/requests/stream?after=${third}`);
    assertEquals(tail.headers.get("content-type"), "text/event-stream; charset=utf-8");
    const reader = tail.body!.pipeThrough(new TextDecoderStream()).getReader();
    let text = "";
    while ((text.match(/^id: /gm) ?? []).length < 2) text += (await reader.read()).value;
    await reader.cancel();
    const ids = [...text.matchAll(/^id: (\d+)$/gm)].map((m) => Number(m[1]));
    assertEquals(ids, [third + 1, third + 2], "what came after, in order");
  } finally {
    await close();
  }
});

Deno.test("the embedded assets are built from client/ and are in the module graph the binary embeds", async () => {
  const run = (args: string[]) =>
    new Deno.Command(Deno.execPath(), { args, cwd: REPO_ROOT, stdout: "piped", stderr: "piped" })
      .output();
  const check = await run(["run", "-q", "--allow-all", "tools/console-assets.ts", "--check"]);
  assert(check.success, new TextDecoder().decode(check.stderr));
  const info = await run(["info", "--json", "main.ts"]);
  assert(info.success, new TextDecoder().decode(info.stderr));
  const graph = JSON.parse(new TextDecoder().decode(info.stdout));
  const specifiers: string[] = graph.modules.map((m: { specifier: string }) => m.specifier);
  for (const file of ["src/server/console/assets.gen.ts", "src/server/console/index.tsx"]) {
    assert(specifiers.some((s) => s.endsWith(file)), `${file} is not in main.ts's graph`);
  }
  assert(
    Object.keys(graph.npmPackages ?? {}).some((p) => p.startsWith("hono@")) &&
      JSON.stringify(graph).includes("jsx-runtime"),
    "Hono's JSX runtime is in the graph",
  );
});
