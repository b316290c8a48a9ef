/**
 * Logins started over HTTP (`POST /manage/logins`) against the local OAuth server: a device login
 * ends with the account live and serving requests, and refreshable through the API; a manual
 * login finishes with a pasted `code#state`; bad requests say what is wrong.
 */
import { assert, assertEquals, assertMatch } from "./helpers/assert.ts";
import { type LoginWorld, withLoginWorld } from "./helpers/login-setup.ts";
import { startModelUpstream } from "./helpers/model-upstream.ts";
import { eventually, type RunningSubgate, startSubgate } from "./helpers/subgate-process.ts";

async function call(
  server: RunningSubgate,
  path: string,
  init: RequestInit & { json?: unknown } = {},
) {
  const { json, ...rest } = init;
  const response = await fetch(`${server.url}${path}`, {
    ...rest,
    method: rest.method ?? (json === undefined ? "GET" : "POST"),
    body: json === undefined ? rest.body : JSON.stringify(json),
  });
  const text = await response.text();
  return { status: response.status, body: text ? JSON.parse(text) : null, text };
}

/** subgate in the login world, with Kimi's API pointed at a local model upstream. */
async function withServer(
  world: LoginWorld,
  fn: (server: RunningSubgate, upstream: ReturnType<typeof startModelUpstream>) => Promise<void>,
) {
  const upstream = startModelUpstream({ knows: (m) => m.startsWith("kimi-"), list: ["kimi-k2"] });
  const config = `${world.authDir}/config.yaml`;
  await Deno.writeTextFile(
    config,
    (await Deno.readTextFile(config)).replace(
      "  kimi:\n",
      `  kimi:\n    base-url: ${upstream.url}/v1\n`,
    ),
  );
  const server = await startSubgate([], { home: world.home });
  try {
    await fn(server, upstream);
  } finally {
    await server.stop();
    await upstream.close();
  }
}

Deno.test("a device login started over HTTP ends with the account live, serving, and refreshable", () =>
  withLoginWorld((world) =>
    withServer(world, async (server, upstream) => {
      const started = await call(server, "/manage/logins", {
        json: { provider: "kimi", flow: "device" },
      });
      assertEquals(started.status, 201, started.text);
      const login = started.body.login;
      assertMatch(login.id, /^login-/);
      assertEquals([login.provider, login.flow, login.status], ["kimi", "device", "pending"]);
      assert(login.device.userCode, "a user code to enter");
      assertEquals(login.device.verificationUri, world.oauth.verificationUrl);
      assertEquals(login.device.interval, 1);
      assert(Date.parse(login.expiresAt) > Date.now());
      assertMatch(started.body.terms, /Kimi Code's subscription/);

      const again = await call(server, "/manage/logins", { json: { provider: "kimi" } });
      assertEquals(again.status, 409);
      assertMatch(again.body.error.message, new RegExp(`already in progress \\(${login.id}`));

      await world.oauth.approveDevice(login.device.userCode);
      let done: Record<string, unknown> = {};
      await eventually(
        async () => {
          done = (await call(server, `/manage/logins/${login.id}`)).body.login;
          return done.status === "done" && done.live === true;
        },
        15_000,
        "the login to finish and its account to go live",
      );
      assertEquals(done.account, "ada@example.com");
      assertEquals(done.accountId, "file:kimi-ada@example.com.json");
      const listed = await call(server, "/manage/logins");
      assertEquals(listed.body.logins.map((l: { id: string }) => l.id), [login.id]);
      const accounts = await call(server, "/manage/accounts");
      const kimi = accounts.body.accounts.find((a: { provider: string }) => a.provider === "kimi");
      assertEquals([kimi.label, kimi.state], ["ada@example.com", "ready"]);

      // The new account serves requests.
      const answer = await fetch(`${server.url}/v1/chat/completions`, {
        method: "POST",
        body: JSON.stringify({ model: "kimi-k2", messages: [{ role: "user", content: "hi" }] }),
      });
      assertEquals(answer.status, 200, await answer.text());
      const file = JSON.parse(
        await Deno.readTextFile(`${world.authDir}/kimi-ada@example.com.json`),
      );
      assertEquals(upstream.calls.at(-1)?.key, file.access_token);

      // And its token refreshes through the API.
      const refreshed = await call(
        server,
        `/manage/accounts/${encodeURIComponent(kimi.id)}/refresh`,
        {
          method: "POST",
        },
      );
      assertEquals(refreshed.status, 200, refreshed.text);
      assertEquals(refreshed.body.outcome, "refreshed");
      assertEquals(world.oauth.grants.filter((g) => g.grantType === "refresh_token").length, 1);
      const after = JSON.parse(
        await Deno.readTextFile(`${world.authDir}/kimi-ada@example.com.json`),
      );
      assert(after.access_token !== file.access_token);
      for (const text of [started.text, refreshed.text, accounts.text]) {
        assert(!text.includes(after.access_token) && !text.includes(after.refresh_token));
      }
      await server.waitForLog(
        /management change who=loopback .*action="login started" provider=kimi/,
      );

      // A second login of the provider may start now that the first has ended.
      const next = await call(server, "/manage/logins", { json: { provider: "kimi" } });
      assertEquals(next.status, 201);
      const cancelled = await call(server, `/manage/logins/${next.body.login.id}`, {
        method: "DELETE",
      });
      assertEquals(cancelled.body.login.status, "failed");
      assertEquals(cancelled.body.login.error.step, "cancelled");
    })
  ));

Deno.test("a manual login finishes with the pasted code#state; a wrong paste is refused", () =>
  withLoginWorld((world) =>
    withServer(world, async (server) => {
      const started = await call(server, "/manage/logins", {
        json: { provider: "claude", flow: "manual" },
      });
      assertEquals(started.status, 201, started.text);
      const login = started.body.login;
      assertEquals(login.authorize.paste, "code#state");
      assertEquals(login.authorize.redirectUri, "https://platform.claude.com/oauth/code/callback");
      assertEquals(login.authorize.listening, false);
      const landing = await world.oauth.approve(login.authorize.url);

      const noCode = await call(server, `/manage/logins/${login.id}/callback`, { json: {} });
      assertEquals(noCode.status, 400);
      assertMatch(noCode.body.error.message, /"code": "<code#state>"/);
      const noState = await call(server, `/manage/logins/${login.id}/callback`, {
        json: { code: landing.searchParams.get("code") },
      });
      assertEquals(noState.status, 400);
      assertMatch(noState.body.error.message, /no #state part/);

      const pasted = await call(server, `/manage/logins/${login.id}/callback`, {
        json: { code: `${landing.searchParams.get("code")}#${landing.searchParams.get("state")}` },
      });
      assertEquals(pasted.status, 200, pasted.text);
      assertEquals(pasted.body.login.status, "done");
      assertEquals(pasted.body.login.accountId, "file:claude-ada@example.com.json");
      assert((await Deno.stat(`${world.authDir}/claude-ada@example.com.json`)).isFile);
      const late = await call(server, `/manage/logins/${login.id}/callback`, {
        json: { code: "x#y" },
      });
      assertEquals(late.status, 409);

      // A browser login: the callback is served on this machine, where the browser ends.
      const browser = await call(server, "/manage/logins", {
        json: { provider: "codex", flow: "browser", callbackPort: world.ports.codex },
      });
      assertEquals(browser.status, 201, browser.text);
      assertEquals(browser.body.login.authorize.paste, "address");
      assertEquals(browser.body.login.authorize.listening, true);
      const final = await world.oauth.approve(browser.body.login.authorize.url, {
        login: "grace@example.com",
      });
      const page = await fetch(final);
      assertMatch(await page.text(), /Logged in/);
      const finished = await call(server, `/manage/logins/${browser.body.login.id}`);
      assertEquals(finished.body.login.status, "done", finished.text);
      assertEquals(finished.body.login.account, "grace@example.com");
    })
  ));

Deno.test("login requests that cannot start say why", () =>
  withLoginWorld((world) =>
    withServer(world, async (server) => {
      const unknown = await call(server, "/manage/logins", { json: { provider: "nope" } });
      assertEquals(unknown.status, 400);
      assertMatch(unknown.body.error.message, /provider: required, one of claude, codex/);
      const badFlow = await call(server, "/manage/logins", {
        json: { provider: "kimi", flow: "telepathy" },
      });
      assertEquals(badFlow.status, 400);
      const noBrowser = await call(server, "/manage/logins", {
        json: { provider: "kimi", flow: "browser" },
      });
      assertEquals(noBrowser.status, 400);
      assertMatch(noBrowser.body.error.message, /has no browser login; use the device flow/);
      const noDevice = await call(server, "/manage/logins", {
        json: { provider: "claude", flow: "device" },
      });
      assertEquals(noDevice.status, 400);
      assertMatch(noDevice.body.error.message, /has no device login/);
      assertEquals((await call(server, "/manage/logins/login-nope")).status, 404);
    })
  ));
