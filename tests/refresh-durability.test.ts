/**
 * A rotated refresh token is never lost: refresh tokens that work once (Claude's, Codex's) are
 * spent on the token server before subgate hears the answer, so whatever goes wrong after that
 * (an answer that fails a check, a full disk, a stalled process, a crash) must leave the new
 * token on disk, or say plainly that the account needs a login and why.
 */
import { canMount, mountTmpfs } from "./helpers/tmpfs.ts";
import { assert, assertEquals, assertMatch } from "./helpers/assert.ts";
import { codexFile, writeAccount } from "./helpers/fixtures.ts";
import {
  idToken,
  startTokenServer,
  type TokenServer,
  type TokenServerOptions,
} from "./helpers/rotating-token-server.ts";
import {
  childEnv,
  runSubgate,
  startSubgate,
  subgateArgs,
  withTempHome,
} from "./helpers/subgate-process.ts";
import { REPO_ROOT } from "./helpers/subgate-process.ts";

const CLIENT_ID = "app_EMoamEEZ73f0CkXaXp7hrann";
const FILE = "codex-grace@example.com.json";

async function readJson(path: string): Promise<Record<string, unknown>> {
  return JSON.parse(await Deno.readTextFile(path));
}

/** An auth dir with one expired Codex login whose token endpoint is `tokens`. */
async function prepare(authDir: string, tokens: TokenServer) {
  const account = JSON.parse(codexFile());
  account.refresh_token = "rt-0";
  account.expired = "2020-01-01T00:00:00Z";
  await writeAccount(`${authDir}/${FILE}`, JSON.stringify(account));
  await Deno.writeTextFile(
    `${authDir}/config.yaml`,
    `providers:\n  codex:\n    token-url: ${tokens.tokenUrl}\n    issuer: ${tokens.issuer}\n`,
  );
}

async function withTokens(
  options: Omit<TokenServerOptions, "clientId" | "initial"> & { tmpfs?: string },
  fn: (tokens: TokenServer, home: string, authDir: string) => Promise<void>,
) {
  const tokens = startTokenServer({ clientId: CLIENT_ID, initial: "rt-0", ...options });
  try {
    await withTempHome(async (home) => {
      const authDir = `${home}/.subgate`;
      await Deno.mkdir(authDir, { mode: 0o700 });
      const unmount = options.tmpfs ? await mountTmpfs(authDir, options.tmpfs) : undefined;
      if (options.tmpfs && !unmount) {
        console.warn("skipped: this machine does not allow mounting a tmpfs");
        return;
      }
      try {
        await prepare(authDir, tokens);
        await fn(tokens, home, authDir);
      } finally {
        await unmount?.();
      }
    });
  } finally {
    await tokens.close();
  }
}

function claimsOf(token: unknown): Record<string, unknown> {
  const part = String(token).split(".")[1].replace(/-/g, "+").replace(/_/g, "/");
  return JSON.parse(atob(part));
}

const withClaims = (change: Record<string, unknown>) => (answer: Record<string, unknown>) => ({
  ...answer,
  id_token: idToken({ ...claimsOf(answer.id_token), ...change }),
});

const without = (key: string) => (answer: Record<string, unknown>) => {
  const { [key]: _gone, ...rest } = answer;
  return rest;
};

const SPOILT: Record<string, (answer: Record<string, unknown>) => Record<string, unknown>> = {
  "id_token from another issuer": withClaims({ iss: "https://elsewhere.example" }),
  "id_token for another client": withClaims({ aud: "someone-else" }),
  "id_token expired": withClaims({ exp: Math.floor(Date.now() / 1000) - 3600 }),
  "id_token not a JWT": (answer) => ({ ...answer, id_token: "not-a-jwt" }),
  "token_type missing": without("token_type"),
  "token_type unknown": (answer) => ({ ...answer, token_type: "mac" }),
  "access_token missing": without("access_token"),
};

Deno.test("a token answer that fails a check after the rotation leaves its new tokens on disk", async () => {
  await Promise.all(
    Object.entries(SPOILT).map(([what, spoil]) =>
      withTokens({ spoil }, async (tokens, home, authDir) => {
        const result = await runSubgate(["refresh", "codex"], { home });
        const saved = await readJson(`${authDir}/${FILE}`);
        assertEquals(tokens.requests, 1, what);
        assertEquals(saved.refresh_token, tokens.current(), `${what}: the rotated token is kept`);
        assertMatch(String(saved.last_error), /the token answer failed a check/, what);
        assert(!("refresh_in_flight" in saved), what);
        assert(
          !result.stdout.includes("rt-1") && !result.stderr.includes("rt-1"),
          "no token shown",
        );
      })
    ),
  );
  // The same server's good answer is taken as it is.
  await withTokens({}, async (_tokens, home, authDir) => {
    const result = await runSubgate(["refresh", "codex"], { home });
    assertEquals(result.code, 0, result.stderr);
    const saved = await readJson(`${authDir}/${FILE}`);
    assertEquals([saved.refresh_token, saved.access_token], ["rt-1", "at-1"]);
    assertEquals(saved.last_error, undefined);
  });
});

Deno.test("a refresh waits for a stalled holder of the lock and never refreshes twice", async () => {
  await withTokens({}, async (tokens, home, authDir) => {
    // Another process holds the lock and stalls (its event loop busy) for longer than the old
    // heartbeat's five seconds; meanwhile it refreshes and writes the new tokens.
    const lock = await Deno.open(`${authDir}/.${FILE}.lock`, {
      read: true,
      write: true,
      create: true,
    });
    await lock.lock(true);
    const refreshing = runSubgate(["refresh", "codex"], { home });
    await new Promise((resolve) => setTimeout(resolve, 5500));
    const record = await readJson(`${authDir}/${FILE}`);
    await Deno.writeTextFile(
      `${authDir}/${FILE}`,
      JSON.stringify({
        ...record,
        access_token: "at-other",
        refresh_token: "rt-other",
        expired: "2099-01-01T00:00:00Z",
      }),
    );
    await lock.unlock();
    lock.close();
    const result = await refreshing;
    assertEquals(result.code, 0, result.stderr);
    assertMatch(result.stdout, /another process refreshed it already/);
    assertEquals(tokens.requests, 0, "no second refresh");
    assertEquals((await readJson(`${authDir}/${FILE}`)).refresh_token, "rt-other");
  });
});

/** Starts `subgate refresh codex` in the background. */
async function spawnRefresh(home: string): Promise<Deno.ChildProcess> {
  return new Deno.Command(Deno.execPath(), {
    args: subgateArgs(["refresh", "codex"]),
    cwd: REPO_ROOT,
    env: await childEnv(home),
    clearEnv: true,
    stdin: "null",
    stdout: "null",
    stderr: "null",
  }).spawn();
}

Deno.test("kill -9 around a refresh loses no token, except mid-request, which the account reports", async () => {
  let arrived: () => void = () => {};
  await withTokens({
    delayMs: 400,
    beforeAnswer: () => arrived(),
  }, async (tokens, home, authDir) => {
    // Killed while the token server holds the request: the answer, and its token, never arrive.
    const requestArrived = new Promise<void>((resolve) => arrived = resolve);
    const child = await spawnRefresh(home);
    await requestArrived;
    child.kill("SIGKILL");
    await child.status;
    const after = await readJson(`${authDir}/${FILE}`);
    assert("refresh_in_flight" in after, "the file says a refresh was out");
    const accounts = await runSubgate(["accounts"], { home });
    assertMatch(accounts.stdout, /a refresh was interrupted .*log in again if the next refresh/);
    const next = await runSubgate(["refresh", "codex"], { home });
    assertEquals(next.code, 1);
    assertMatch(next.stderr, /refresh refused \(invalid_grant\) after an interrupted refresh/);
    assertEquals(tokens.reused, 1, "one reuse of the spent token, and no loop");
    const marked = await readJson(`${authDir}/${FILE}`);
    assertEquals(marked.needs_login, true);

    // Kills at other moments: the file always holds the newest token, or says it was cut short.
    for (const delay of [0, 150, 500, 900, 1400]) {
      await Deno.writeTextFile(
        `${authDir}/${FILE}`,
        JSON.stringify({ ...marked, needs_login: undefined, refresh_in_flight: undefined }),
      );
      tokens.accept(String(marked.refresh_token));
      const run = await spawnRefresh(home);
      await new Promise((resolve) => setTimeout(resolve, delay));
      try {
        run.kill("SIGKILL");
      } catch {
        // It finished first: that is one more moment checked.
      }
      await run.status;
      const state = await readJson(`${authDir}/${FILE}`);
      const kept = state.refresh_token === tokens.current();
      assert(
        kept || "refresh_in_flight" in state,
        `lost a token silently (kill after ${delay} ms)`,
      );
      Object.assign(marked, { refresh_token: state.refresh_token });
    }
  });
});

async function fillDisk(dir: string): Promise<void> {
  const file = await Deno.open(`${dir}/filler`, { write: true, create: true });
  const chunk = new Uint8Array(4096);
  try {
    while (true) await file.write(chunk);
  } catch {
    // full
  } finally {
    file.close();
  }
}

Deno.test({
  name:
    "tokens rotated onto a full disk are kept in memory, reported, and written once there is room",
  ignore: !canMount,
  fn: async () => {
    // The disk fills while the token server answers: after the rotation, before the write.
    let fill = async () => {};
    await withTokens(
      { tmpfs: "256k", beforeAnswer: () => fill() },
      async (tokens, home, authDir) => {
        fill = () => fillDisk(authDir);
        const server = await startSubgate([], { home });
        try {
          await server.waitForLog(/ERROR refreshed tokens not written yet .*codex-grace/, 10_000);
          assertEquals(tokens.current(), "rt-1");
          assertEquals((await readJson(`${authDir}/${FILE}`)).refresh_token, "rt-0");
          assert(!/rt-1|at-1/.test(server.log()), "no token in the log");
          fill = async () => {};
          await Deno.remove(`${authDir}/filler`);
        } finally {
          await server.stop();
        }
        // Written on the next try, or at the latest when the server stopped.
        assertEquals((await readJson(`${authDir}/${FILE}`)).refresh_token, "rt-1");
      },
    );
  },
});

Deno.test({
  name: "a read-only auth dir sends no refresh and answers the request with a clear error",
  ignore: !canMount,
  fn: () =>
    withTokens({ tmpfs: "1m" }, async (tokens, home, authDir) => {
      await new Deno.Command("mount", { args: ["-o", "remount,ro", authDir] }).output();
      const server = await startSubgate([], { home });
      try {
        const response = await fetch(`${server.url}/v1/chat/completions`, {
          method: "POST",
          body: `{"model":"gpt-5.4","messages":[{"role":"user","content":"hi"}]}`,
        });
        const body = await response.json();
        assertEquals(response.status, 502);
        assertMatch(body.error.message, /cannot write .*no refresh sent/);
        assertEquals(tokens.requests, 0, "no token was spent");
        assert(!/request failed .*status=500|internal error/.test(server.log()), server.log());
      } finally {
        await server.stop();
      }
    }),
});
