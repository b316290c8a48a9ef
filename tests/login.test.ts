import { assert, assertEquals, assertMatch } from "./helpers/assert.ts";
import * as oauth4webapi from "oauth4webapi";
import { CLIENTS, freePort, withLoginWorld } from "./helpers/login-setup.ts";
import { eventually, runSubgate, spawnSubgate, startSubgate } from "./helpers/subgate-process.ts";
import { approveInBrowser, browserTest, withBrowser } from "./helpers/browser.ts";

const isPosix = Deno.build.os !== "windows";

async function readJson(path: string) {
  return JSON.parse(await Deno.readTextFile(path));
}

/** Every secret a token file holds must stay out of what subgate prints. */
async function assertNoSecrets(output: string, file: string) {
  const record = await readJson(file);
  for (const key of ["access_token", "refresh_token", "id_token"]) {
    const value = record[key];
    if (typeof value === "string" && value.length > 8) {
      assert(!output.includes(value), `output leaks ${key}`);
    }
  }
}

/** The authorization URL a login printed. */
async function printedUrl(login: { waitForOutput(p: RegExp): Promise<RegExpExecArray> }) {
  return (await login.waitForOutput(/^\s+(http\S+)$/m))[1];
}

Deno.test("codex browser login (PKCE): the opener gets the URL, the callback saves a 0600 file a running server serves", () =>
  withLoginWorld(async ({ home, authDir, oauth, ports }) => {
    const server = await startSubgate([], { home });
    // A stand-in for xdg-open records the URL, as a desktop's would open it.
    const bin = `${home}/bin`;
    await Deno.mkdir(bin);
    await Deno.writeTextFile(
      `${bin}/xdg-open`,
      `#!/bin/sh\nprintf '%s' "$1" > "${home}/opened-url"\n`,
    );
    await Deno.chmod(`${bin}/xdg-open`, 0o755);
    const login = await spawnSubgate(
      ["login", "codex", "--callback-port", String(ports.codex), "--timeout", "30"],
      { home, env: { PATH: `${bin}:${Deno.env.get("PATH")}` } },
    );
    try {
      await login.waitForOutput(/Opened your browser/);
      const url = new URL(await Deno.readTextFile(`${home}/opened-url`));
      assertEquals(url.searchParams.get("code_challenge_method"), "S256");
      assertEquals(
        url.searchParams.get("redirect_uri"),
        `http://localhost:${ports.codex}/auth/callback`,
      );
      assertEquals(url.searchParams.get("id_token_add_organizations"), "true");
      const landing = await oauth.approve(url.href);
      const page = await fetch(landing);
      assertEquals(page.status, 200);
      assertMatch(await page.text(), /Logged in[\s\S]*ada@example\.com/);
      assertEquals((await login.status).code, 0);
      const output = login.output();
      assertMatch(output, /Terms: OpenAI's stance/);
      assertMatch(output, /Logged in to ChatGPT \(Codex\) as ada@example\.com/);

      const file = `${authDir}/codex-ada@example.com.json`;
      const record = await readJson(file);
      assertEquals(record.type, "codex");
      assertEquals(record.account_id, "acc-1234");
      assertEquals(record.plan_type, "pro");
      assertMatch(record.expired, /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
      assert(record.refresh_token && record.access_token && record.id_token);
      if (isPosix) assertEquals((await Deno.stat(file)).mode! & 0o777, 0o600);
      await assertNoSecrets(output, file);

      await server.waitForLog(/account loaded provider=codex account=ada@example\.com/);
      const models = await (await fetch(`${server.url}/v1/models`)).json();
      assert(models.data.some((m: { id: string }) => m.id.startsWith("gpt-5")));
      await assertNoSecrets(server.log(), file);

      const accounts = await runSubgate(["accounts"], { home });
      assertMatch(accounts.stdout, /codex\s+ada@example\.com\s+ready\s+\d+m/);
      assertEquals(oauth.grants.map((g) => g.grantType), ["authorization_code"]);
    } finally {
      login.kill();
      await login.status;
      await server.stop();
    }
  }));

Deno.test("a callback with the wrong state is refused and saves nothing", () =>
  withLoginWorld(async ({ home, authDir, oauth, ports }) => {
    const login = await spawnSubgate(
      ["login", "codex", "--no-browser", "--callback-port", String(ports.codex), "--timeout", "30"],
      { home },
    );
    const landing = await oauth.approve(await printedUrl(login));
    landing.searchParams.set("state", "forged-state");
    const page = await fetch(landing);
    assertEquals(page.status, 400);
    assertMatch(await page.text(), /different state/);
    assertEquals((await login.status).code, 1);
    assertMatch(
      login.output(),
      /login to ChatGPT \(Codex\) failed \(state\): the browser returned a different state/,
    );
    assertEquals([...Deno.readDirSync(authDir)].filter((e) => e.name.endsWith(".json")), []);
  }));

Deno.test("denied consent ends the login with a clear message", () =>
  withLoginWorld(async ({ home, oauth, ports }) => {
    const login = await spawnSubgate(
      ["login", "codex", "--no-browser", "--callback-port", String(ports.codex), "--timeout", "30"],
      { home },
    );
    const landing = await oauth.approve(await printedUrl(login), { deny: true });
    assertEquals(landing.searchParams.get("error"), "access_denied");
    const page = await fetch(landing);
    await page.body?.cancel();
    assertEquals(page.status, 400);
    assertEquals((await login.status).code, 1);
    assertMatch(
      login.output(),
      /failed \(consent\): access was denied in the browser; nothing was saved/,
    );
  }));

Deno.test("a login nobody completes times out with what to do", () =>
  withLoginWorld(async ({ home, ports }) => {
    const result = await runSubgate(
      ["login", "codex", "--no-browser", "--callback-port", String(ports.codex), "--timeout", "1"],
      { home },
    );
    assertEquals(result.code, 1);
    assertMatch(result.stderr, /failed \(timeout\): no answer from the browser within 1 s/);
    assertMatch(result.stderr, /--no-browser/);
  }));

Deno.test("a busy callback port names --callback-port", () =>
  withLoginWorld(async ({ home }) => {
    const port = freePort();
    const blocker = Deno.listen({ hostname: "127.0.0.1", port });
    try {
      const result = await runSubgate(
        ["login", "codex", "--no-browser", "--callback-port", String(port), "--timeout", "5"],
        { home },
      );
      assertEquals(result.code, 1);
      assertMatch(
        result.stderr,
        new RegExp(`port ${port} on 127\\.0\\.0\\.1 is busy.*--callback-port`),
      );
    } finally {
      blocker.close();
    }
  }));

Deno.test("claude --no-browser: the pasted code#state logs in (JSON token request, profile lookup)", () =>
  withLoginWorld(async ({ home, authDir, oauth, api }) => {
    const login = await spawnSubgate(["--claude-login", "--no-browser", "--timeout", "30"], {
      home,
    });
    const url = new URL(await printedUrl(login));
    assertEquals(
      url.searchParams.get("redirect_uri"),
      "https://platform.claude.com/oauth/code/callback",
    );
    assertEquals(url.searchParams.get("code"), "true");
    await login.waitForOutput(/paste the code/);
    const landing = await oauth.approve(url.href);
    // The provider's page shows code#state; the user pastes it.
    await login.typeLine(
      `${landing.searchParams.get("code")}#${landing.searchParams.get("state")}`,
    );
    assertEquals((await login.status).code, 0, login.output());
    assertMatch(login.output(), /Terms: Anthropic's terms/);
    const file = `${authDir}/claude-ada@example.com.json`;
    const record = await readJson(file);
    assertEquals(record.type, "claude");
    assertEquals(record.email, "ada@example.com");
    assertEquals(record.organization_name, "Ada's org");
    assert(api.seen.includes("GET /api/oauth/profile"));
    await assertNoSecrets(login.output(), file);
  }));

Deno.test("a pasted code from another login is refused", () =>
  withLoginWorld(async ({ home, oauth }) => {
    const login = await spawnSubgate(["login", "claude", "--no-browser", "--timeout", "30"], {
      home,
    });
    const landing = await oauth.approve(await printedUrl(login));
    await login.typeLine(`${landing.searchParams.get("code")}#not-this-login`);
    assertEquals((await login.status).code, 1);
    assertMatch(login.output(), /failed \(state\): the pasted code belongs to another login/);
  }));

Deno.test("device login (kimi): code shown, approval polled at the interval, file saved", () =>
  withLoginWorld(async ({ home, authDir, oauth }) => {
    const login = await spawnSubgate(["--kimi-login", "--no-browser", "--timeout", "60"], { home });
    const code = (await login.waitForOutput(/enter the code:\s+(\S+)/))[1];
    // subgate polls while the person has not approved yet…
    await eventually(
      () => Promise.resolve(oauth.tokenErrors.some((e) => e.error === "authorization_pending")),
      10_000,
      "a pending poll",
    );
    await oauth.approveDevice(code);
    assertEquals((await login.status).code, 0, login.output());
    assertEquals(
      [...Deno.readDirSync(authDir)].map((e) => e.name).filter((n) => n.startsWith("kimi-")),
      ["kimi-ada@example.com.json"],
    );
    assert(!oauth.tokenErrors.some((e) => e.error === "slow_down"), "polls respect the interval");
  }));

Deno.test("device login honours slow_down", () =>
  withLoginWorld(async ({ home, oauth }) => {
    const login = await spawnSubgate(["login", "kimi", "--no-browser", "--timeout", "60"], {
      home,
    });
    const code = (await login.waitForOutput(/enter the code:\s+(\S+)/))[1];
    // The server enforces a stricter interval than it advertises: subgate meets one slow_down.
    await eventually(
      () => Promise.resolve(oauth.tokenErrors.some((e) => e.error === "slow_down")),
      15_000,
      "a slow_down answer",
    );
    const slowDowns = () => oauth.tokenErrors.filter((e) => e.error === "slow_down").length;
    await oauth.approveDevice(code);
    assertEquals((await login.status).code, 0, login.output());
    assertEquals(slowDowns(), 1, "after slow_down, subgate waits longer and is not told again");
  }, { oauth: { deviceInterval: 1, enforcedDeviceInterval: 2, slowDownIncrementSeconds: 2 } }));

Deno.test("device login ends cleanly when the code expires or access is denied", () =>
  withLoginWorld(async ({ home, oauth }) => {
    const expired = await runSubgate(["login", "qwen", "--no-browser", "--timeout", "60"], {
      home,
    });
    assertEquals(expired.code, 1);
    assertMatch(expired.stderr, /failed \(device\): the code expired before it was approved/);
    // Qwen's login says plainly that its free tier is gone, and what still works.
    const said = expired.stdout + expired.stderr;
    assertMatch(said, /Qwen's free OAuth tier ended on 15 April 2026/);
    assertMatch(said, /API key: Alibaba Cloud Model Studio .* as an openai-compatibility entry/);

    const denied = await spawnSubgate(["login", "copilot", "--no-browser", "--timeout", "60"], {
      home,
    });
    const code = (await denied.waitForOutput(/enter the code:\s+(\S+)/))[1];
    await oauth.approveDevice(code, { deny: true });
    assertEquals((await denied.status).code, 1);
    assertMatch(denied.output(), /failed \(consent\): access was denied in the browser/);
  }, { oauth: { deviceCodeTtlSeconds: 2 } }));

Deno.test("copilot device login checks the account has Copilot", () =>
  withLoginWorld(async ({ home, authDir, oauth, api }) => {
    const login = await spawnSubgate(["--copilot-login", "--no-browser"], { home });
    const code = (await login.waitForOutput(/enter the code:\s+(\S+)/))[1];
    await oauth.approveDevice(code);
    assertEquals((await login.status).code, 0, login.output());
    const record = await readJson(`${authDir}/copilot-octo-ada.json`);
    assertEquals(record.login, "octo-ada");
    assert(api.seen.includes("GET /copilot_internal/v2/token"));
  }));

Deno.test("gemini login finds or onboards the Code Assist project and stores it", () =>
  withLoginWorld(async ({ home, authDir, oauth, api, ports }) => {
    const login = await spawnSubgate(
      [
        "login",
        "gemini",
        "--no-browser",
        "--callback-port",
        String(ports.gemini),
        "--timeout",
        "30",
      ],
      { home },
    );
    const url = await printedUrl(login);
    assertEquals(new URL(url).searchParams.get("access_type"), "offline");
    const page = await fetch(await oauth.approve(url));
    assertEquals(page.status, 200, await page.text());
    assertEquals((await login.status).code, 0, login.output());
    assertMatch(login.output(), /Setting up Code Assist \(standard-tier\)/);
    // It serves paid Code Assist accounts; personal plans are pointed to Antigravity.
    assertMatch(login.output(), /serves paid Gemini Code Assist accounts/);
    assertMatch(login.output(), /personal Google plan, use `subgate login antigravity`/);
    const record = await readJson(`${authDir}/gemini-ada@example.com.json`);
    assertEquals(record.project_id, "proj-onboarded");
    assertEquals(api.seen.filter((s) => s.includes("onboard")).length >= 1, true);
    assertEquals(
      (api.bodies.get("/v1internal:onboardUser") as { tierId: string }).tierId,
      "standard-tier",
    );
  }));

browserTest(
  "a real Chromium clicks through login and consent to subgate's callback",
  () =>
    withLoginWorld(async ({ home, authDir, ports }) => {
      const login = await spawnSubgate(
        ["login", "claude", "--callback-port", String(ports.claude), "--timeout", "60"],
        // No opener on PATH: subgate prints the URL, the "person" opens it.
        { home, env: { PATH: "/nonexistent" } },
      );
      try {
        const url = await printedUrl(login);
        const landing = await withBrowser((page) => approveInBrowser(page, url));
        assertMatch(landing.text, /Logged in/);
        assertMatch(landing.text, /ada@example\.com/);
        assertEquals((await login.status).code, 0, login.output());
        assert((await Deno.stat(`${authDir}/claude-ada@example.com.json`)).isFile);
      } finally {
        login.kill();
        await login.status;
      }
    }),
);

Deno.test("logging in again to the same account replaces its file; another account adds one", () =>
  withLoginWorld(async ({ home, authDir, oauth }) => {
    const loginAs = async (who: string) => {
      const login = await spawnSubgate(["login", "qwen", "--no-browser"], { home });
      const code = (await login.waitForOutput(/enter the code:\s+(\S+)/))[1];
      await oauth.approveDevice(code, { login: who });
      assertEquals((await login.status).code, 0, login.output());
    };
    await loginAs("ada@example.com");
    await loginAs("ada@example.com");
    await loginAs("grace@example.com");
    const files = [...Deno.readDirSync(authDir)].map((e) => e.name).filter((n) =>
      n.endsWith(".json")
    );
    assertEquals(files.sort(), ["qwen-ada@example.com.json", "qwen-grace@example.com.json"]);
  }, { oauth: { claims: (login) => ({ email: login }) } }));

Deno.test("codex device login: the approved device hands back a code that is exchanged with its verifier", () =>
  withLoginWorld(async ({ home, authDir, oauth }) => {
    // Codex's device endpoints (not RFC 8628): 403 until approved, then a code and its verifier.
    let approved: Record<string, string> | undefined;
    const polls: string[] = [];
    const device = Deno.serve(
      { hostname: "127.0.0.1", port: 0, onListen: () => {} },
      async (req) => {
        const path = new URL(req.url).pathname;
        const body = await req.json();
        if (path.endsWith("/usercode")) {
          assertEquals(body, { client_id: CLIENTS.codex });
          return Response.json({ device_auth_id: "dev-1", user_code: "WXYZ-1234", interval: "1" });
        }
        polls.push(`${body.device_auth_id}/${body.user_code}`);
        return approved ? Response.json(approved) : new Response("pending", { status: 403 });
      },
    );
    const deviceUrl = `http://127.0.0.1:${
      (device.addr as Deno.NetAddr).port
    }/api/accounts/deviceauth/usercode`;
    const config = await Deno.readTextFile(`${authDir}/config.yaml`);
    await Deno.writeTextFile(
      `${authDir}/config.yaml`,
      config.replace(
        / {2}codex:\n( {4}.*\n)+/,
        (block) => block.replace(/device-url: .*/, `device-url: ${deviceUrl}`),
      ),
    );
    try {
      const login = await spawnSubgate(["--codex-device-login", "--no-browser"], { home });
      await login.waitForOutput(/enter the code:\s+WXYZ-1234/);
      // The person approves on OpenAI's page; OpenAI makes a PKCE code for the device.
      const verifier = oauth4webapi.generateRandomCodeVerifier();
      const authorize = new URL(oauth.authorizeUrl);
      authorize.search = new URLSearchParams({
        response_type: "code",
        client_id: CLIENTS.codex,
        redirect_uri: "https://auth.openai.com/deviceauth/callback",
        scope: "openid profile email offline_access",
        code_challenge: await oauth4webapi.calculatePKCECodeChallenge(verifier),
        code_challenge_method: "S256",
        state: "device",
      }).toString();
      const landing = await oauth.approve(authorize.href);
      approved = {
        authorization_code: landing.searchParams.get("code")!,
        code_challenge: authorize.searchParams.get("code_challenge")!,
        code_verifier: verifier,
      };
      assertEquals((await login.status).code, 0, login.output());
      assert(polls.length >= 1 && polls.every((p) => p === "dev-1/WXYZ-1234"));
      const record = await readJson(`${authDir}/codex-ada@example.com.json`);
      assertEquals(record.account_id, "acc-1234");
    } finally {
      await device.shutdown();
    }
  }));
