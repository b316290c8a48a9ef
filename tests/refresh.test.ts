import { assert, assertEquals, assertMatch } from "./helpers/assert.ts";
import { type LoginWorld, withLoginWorld } from "./helpers/login-setup.ts";
import { eventually, runSubgate, spawnSubgate, startSubgate } from "./helpers/subgate-process.ts";
import { refreshAccount } from "../src/auth/refresh/refresh-account.ts";
import { buildConfig } from "../src/config/load-config.ts";

type Json = Record<string, unknown>;

async function readJson(path: string): Promise<Json> {
  return JSON.parse(await Deno.readTextFile(path));
}

/** Logs in to Qwen (device flow, an OpenID login) through the CLI; returns the file's path. */
async function deviceLogin({ home, authDir, oauth }: LoginWorld): Promise<string> {
  const login = await spawnSubgate(["login", "qwen", "--no-browser"], { home });
  const code = (await login.waitForOutput(/enter the code:\s+(\S+)/))[1];
  await oauth.approveDevice(code);
  assertEquals((await login.status).code, 0, login.output());
  return `${authDir}/qwen-ada@example.com.json`;
}

const refreshes = (world: LoginWorld) =>
  world.oauth.grants.filter((g) => g.grantType === "refresh_token").length;

Deno.test("the server refreshes a token ahead of its expiry, and the rotated token is on disk", () =>
  withLoginWorld(async (world) => {
    const file = await deviceLogin(world);
    const before = await readJson(file);
    const server = await startSubgate([], { home: world.home });
    try {
      await server.waitForLog(
        /token refreshed ahead of expiry provider=qwen account=ada@example\.com/,
      );
      const after = await readJson(file);
      assert(after.refresh_token !== before.refresh_token, "the rotated refresh token is saved");
      assert(Date.parse(String(after.expired)) > Date.parse(String(before.expired)));
      assert(refreshes(world) >= 1);
      assert(!server.log().includes(String(after.refresh_token)));
    } finally {
      await server.stop();
    }
  }, { oauth: { accessTokenTtlSeconds: 6 } }));

Deno.test("fifty concurrent refreshes of one expired account make one refresh", () =>
  withLoginWorld(async (world) => {
    const file = await deviceLogin(world);
    const record = await readJson(file);
    const config = buildConfig(
      {
        providers: {
          qwen: { tokenUrl: world.oauth.tokenUrl, issuer: world.oauth.issuer, headers: {} },
        },
      },
      { authDir: world.authDir },
    );
    const outcomes = await Promise.all(
      Array.from({ length: 50 }, () =>
        refreshAccount({
          authDir: world.authDir,
          file: "qwen-ada@example.com.json",
          config,
          knownAccessToken: record.access_token as string,
        })),
    );
    assertEquals(refreshes(world), 1);
    assert(outcomes.every((o) => o.status === "refreshed"), JSON.stringify(outcomes[0]));
  }));

Deno.test("two processes sharing one auth dir refresh once", () =>
  withLoginWorld(async (world) => {
    await deviceLogin(world);
    const [first, second] = await Promise.all([
      runSubgate(["refresh", "ada@example.com"], { home: world.home }),
      runSubgate(["refresh", "ada@example.com"], { home: world.home }),
    ]);
    assertEquals([first.code, second.code], [0, 0], first.stderr + second.stderr);
    assertEquals(refreshes(world), 1);
    const said = first.stdout + second.stdout;
    assertMatch(said, /qwen ada@example\.com: refreshed/);
    assertMatch(said, /qwen ada@example\.com: another process refreshed it already/);
    // The token endpoint answers slowly, so both processes read the old token before either
    // refresh lands, however loaded the machine is.
  }, { oauth: { tokenDelayMs: 4000 } }));

Deno.test("a rotated refresh token survives a crash right after the refresh", () =>
  withLoginWorld(async (world) => {
    const file = await deviceLogin(world);
    const loggedIn = await readJson(file);
    const server = await startSubgate([], { home: world.home });
    // Kill the server the moment its refresh lands on disk.
    const watcher = Deno.watchFs(world.authDir);
    const rotated = async () =>
      (await readJson(file).catch(() => loggedIn)).refresh_token !== loggedIn.refresh_token;
    const giveUp = setTimeout(() => watcher.close(), 20_000);
    try {
      // Under load the refresh may land before the watcher is up: look once first.
      if (!(await rotated())) {
        for await (const event of watcher) {
          if (!event.paths.some((p) => p.endsWith("qwen-ada@example.com.json"))) continue;
          if (await rotated()) break;
        }
      }
    } finally {
      clearTimeout(giveUp);
      watcher.close();
    }
    assert(await rotated(), "the server refreshed within 20 s");
    await server.stop("SIGKILL");
    assertEquals(refreshes(world), 1);

    // After the crash the saved token still works: another refresh succeeds (a spent one would
    // get invalid_grant and end the whole login).
    const again = await runSubgate(["refresh", "qwen"], { home: world.home });
    assertEquals(again.code, 0, again.stderr);
    assertMatch(again.stdout, /refreshed/);
    assertEquals(refreshes(world), 2);
    const accounts = await runSubgate(["accounts"], { home: world.home });
    assertMatch(accounts.stdout, /qwen\s+ada@example\.com\s+ready/);
  }, { oauth: { accessTokenTtlSeconds: 6 } }));

Deno.test("invalid_grant marks the account 'needs login', keeps the file, and leaves it out of routing", () =>
  withLoginWorld(async (world) => {
    const file = await deviceLogin(world);
    const server = await startSubgate([], { home: world.home });
    try {
      await eventually(
        async () => {
          const body = await (await fetch(`${server.url}/v1/models`)).json();
          return body.data.length > 0;
        },
        3000,
        "the account to serve models",
      );
      // Someone else spends the refresh token (a copy used by another tool): subgate's is dead.
      const record = await readJson(file);
      const spent = await fetch(world.oauth.tokenUrl, {
        method: "POST",
        body: new URLSearchParams({
          grant_type: "refresh_token",
          refresh_token: String(record.refresh_token),
          client_id: "f0304373b74a44d2b584a3fb70ca9e56",
        }),
      });
      await spent.body?.cancel();
      assertEquals(spent.status, 200);

      const result = await runSubgate(["refresh", "qwen"], { home: world.home });
      assertEquals(result.code, 1);
      assertMatch(
        result.stderr,
        /refresh refused \(invalid_grant\): log in again\. Run: subgate login qwen/,
      );
      const marked = await readJson(file);
      assertEquals(marked.needs_login, true);
      assertEquals(marked.refresh_token, record.refresh_token, "nothing else in the file changes");

      const accounts = await runSubgate(["accounts"], { home: world.home });
      assertMatch(accounts.stdout, /qwen\s+ada@example\.com\s+needs login/);
      assertMatch(accounts.stdout, /last error: refresh refused \(invalid_grant\)/);
      await eventually(
        async () => {
          const body = await (await fetch(`${server.url}/v1/models`)).json();
          return body.data.length === 0;
        },
        3000,
        "the account to leave routing",
      );
    } finally {
      await server.stop();
    }
  }));

Deno.test("a refresh lock left by a killed process is taken over within seconds", () =>
  withLoginWorld(async (world) => {
    await deviceLogin(world);
    // A process died mid-refresh: its lock stays, untouched since.
    const lock = `${world.authDir}/.qwen-ada@example.com.json.lock`;
    await Deno.writeTextFile(lock, JSON.stringify({ pid: 999999, at: Date.now() - 60_000 }));
    const old = new Date(Date.now() - 60_000);
    await Deno.utime(lock, old, old);
    const started = Date.now();
    const result = await runSubgate(["refresh", "qwen"], { home: world.home });
    assertEquals(result.code, 0, result.stderr);
    assertMatch(result.stdout, /refreshed/);
    assert(Date.now() - started < 10_000, "no long wait on a dead lock");
    await Deno.stat(lock).then(() => assert(false, "the lock is released"), () => {});
  }));
