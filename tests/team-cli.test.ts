/**
 * Teams mode for the person-facing commands: with a store URL set, `subgate login`, `accounts`,
 * `logout`, `refresh` and `usage` work on the shared database a running instance uses, not on
 * the auth dir. The database tests are skipped (with the reason) where no PostgreSQL server is
 * available: `deno task test` starts one (tests/setup/run-tests.ts).
 */
import { assert, assertEquals, assertMatch } from "./helpers/assert.ts";
import { CLIENTS, freePort } from "./helpers/login-setup.ts";
import { type OAuthServer, startOAuthServer } from "./helpers/oauth-server.ts";
import { open, suiteServer, withDatabase } from "./helpers/postgres.ts";
import {
  type RunResult,
  runSubgate,
  spawnSubgate,
  startSubgate,
  withTempHome,
} from "./helpers/subgate-process.ts";
import {
  fileOf,
  messageAnswer,
  STORE_KEY,
  type TeamWorld,
  until,
  withTeam,
} from "./helpers/team-world.ts";
import { createTokenCipher } from "../src/store/token-crypto.ts";

const SERVER = suiteServer("team CLI");
const ignore = SERVER === undefined;

const EMAIL = "ada@example.com";
const MODEL = "claude-sonnet-4-6";
/** The store URL's password: the test server trusts loopback, so any password connects. */
const PASSWORD = "team-secret-pw";

/** The database URL with a password in it, which no command may print. */
function withPassword(url: string): string {
  const parsed = new URL(url);
  parsed.password = PASSWORD;
  return parsed.toString();
}

/** The URL as subgate prints it: the password starred, nothing else changed. */
function shown(url: string): string {
  const parsed = new URL(url);
  parsed.password = "***";
  return parsed.toString();
}

const storeEnv = (dbUrl: string, name: string) => ({
  SUBGATE_STORE_URL: withPassword(dbUrl),
  SUBGATE_STORE_KEY: STORE_KEY,
  SUBGATE_INSTANCE_NAME: name,
});

function assertNoPassword(result: { stdout?: string; stderr?: string } | string) {
  const text = typeof result === "string" ? result : `${result.stdout}${result.stderr}`;
  assert(!text.includes(PASSWORD), `the store's password was printed:\n${text}`);
}

/** Claude's API for a login test: the profile a login asks for, and messages, each token kept. */
function startClaudeApi() {
  const tokens: string[] = [];
  const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen: () => {} }, async (req) => {
    const path = new URL(req.url).pathname;
    const token = /^Bearer (.+)$/.exec(req.headers.get("authorization") ?? "")?.[1];
    await req.body?.cancel();
    if (!token) return Response.json({ error: { type: "authentication_error" } }, { status: 401 });
    if (path === "/api/oauth/profile") {
      return Response.json({
        account: { uuid: "acc-uuid-1", email: EMAIL },
        organization: { uuid: "org-uuid-1", name: "Ada's org" },
      });
    }
    if (req.method === "GET") return Response.json({ data: [{ id: MODEL, type: "model" }] });
    tokens.push(token);
    return messageAnswer(`msg_${tokens.length}`, 3, 2);
  });
  return { url: `http://127.0.0.1:${server.addr.port}`, tokens, close: () => server.shutdown() };
}

interface LoginTeam {
  dbUrl: string;
  oauth: OAuthServer;
  api: ReturnType<typeof startClaudeApi>;
  /** The person's home: where they run `subgate login`, on a host of the team. */
  person: string;
  /** Creates a home whose config points Claude at the test servers. */
  home(name: string): Promise<string>;
}

/** A database, an OAuth server, Claude's API, and homes configured for them. */
function withLoginTeam(fn: (team: LoginTeam) => Promise<void>) {
  return withTempHome(async (root) => {
    const api = startClaudeApi();
    const oauth = await startOAuthServer({
      clients: [{
        client_id: CLIENTS.claude,
        scopes: [
          "user:profile",
          "user:inference",
          "user:sessions:claude_code",
          "user:mcp_servers",
          "user:file_upload",
        ],
        redirect_uris: [
          `http://localhost:${freePort()}/callback`,
          "https://platform.claude.com/oauth/code/callback",
        ],
      }],
      claims: (login) => ({ email: login }),
    });
    const home = async (name: string) => {
      const dir = `${root}/${name}`;
      await Deno.mkdir(`${dir}/.subgate`, { recursive: true, mode: 0o700 });
      await Deno.writeTextFile(
        `${dir}/.subgate/config.yaml`,
        [
          "providers:",
          "  claude:",
          `    authorize-url: ${oauth.authorizeUrl}`,
          `    token-url: ${oauth.tokenUrl}`,
          `    issuer: ${oauth.issuer}`,
          `    base-url: ${api.url}`,
        ].join("\n") + "\n",
      );
      return dir;
    };
    try {
      await withDatabase(SERVER!, async (dbUrl) => {
        await fn({ dbUrl, oauth, api, person: await home("person"), home });
      });
    } finally {
      await oauth.close();
      await api.close();
    }
  });
}

/** One request through a running instance; its status. */
async function ask(url: string): Promise<number> {
  const response = await fetch(`${url}/v1/messages`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({
      model: MODEL,
      max_tokens: 8,
      messages: [{ role: "user", content: "hi" }],
    }),
  });
  await response.body?.cancel();
  return response.status;
}

/** `subgate login claude --no-browser`, the pasted code from the OAuth server's consent. */
async function logInToClaude(team: LoginTeam): Promise<string> {
  const login = await spawnSubgate(["login", "claude", "--no-browser", "--timeout", "30"], {
    home: team.person,
    env: storeEnv(team.dbUrl, "ada-laptop"),
  });
  try {
    const url = (await login.waitForOutput(/^\s+(http\S+)$/m))[1];
    await login.waitForOutput(/paste the code/);
    const landing = await team.oauth.approve(url);
    await login.typeLine(
      `${landing.searchParams.get("code")}#${landing.searchParams.get("state")}`,
    );
    assertEquals((await login.status).code, 0, login.output());
    return login.output();
  } finally {
    login.kill();
    await login.status;
  }
}

Deno.test({
  name:
    "team cli 1: login lands in the database sealed (not the auth dir) and a running instance serves with it at once; accounts lists it; logout removes it everywhere",
  ignore,
  fn: () =>
    withLoginTeam(async (team) => {
      const node = await startSubgate([], {
        home: await team.home("node-a"),
        env: storeEnv(team.dbUrl, "node-a"),
      });
      const env = storeEnv(team.dbUrl, "ada-laptop");
      try {
        const output = await logInToClaude(team);
        assertMatch(output, /Terms: Anthropic's terms/);
        assertMatch(output, /Logged in to Claude \(Pro\/Max\) as ada@example\.com/);
        assert(
          output.includes(
            `Saved ${fileOf(EMAIL)} to the shared database ${shown(team.dbUrl)}, its tokens sealed`,
          ),
          output,
        );
        assertNoPassword(output);
        // Nothing in the person's auth dir: the database holds the login.
        const files = [...Deno.readDirSync(`${team.person}/.subgate`)].map((entry) => entry.name);
        assertEquals(files.filter((name) => name.endsWith(".json")), []);

        const sql = await open(team.dbUrl);
        try {
          const [row] = await sql`SELECT * FROM subgate_accounts WHERE name = ${fileOf(EMAIL)}`;
          assertEquals([row.provider, row.label, row.updated_by], [
            "claude",
            EMAIL,
            "ada-laptop:login",
          ]);
          assertMatch(row.sealed, /^sg1:/);
          const cipher = await createTokenCipher(STORE_KEY);
          const record = JSON.parse(await cipher.open(row.sealed, `account:${fileOf(EMAIL)}`));
          assertEquals([record.type, record.email], ["claude", EMAIL]);
          assert(record.access_token && record.refresh_token, "the login's tokens");
          for (const secret of [record.access_token, record.refresh_token]) {
            assert(!row.sealed.includes(secret), "the tokens are sealed");
            assert(!output.includes(secret), "the output holds no token");
          }
          // The running instance heard of it: it serves with the login's token, not restarted.
          await until(async () => await ask(node.url) === 200, 5000, "the instance to serve");
          assertEquals(team.api.tokens.at(-1), record.access_token);
          // The command was no instance: nothing registered, nothing left.
          const instances = await sql`SELECT name FROM subgate_instances ORDER BY name`;
          assertEquals(instances.map((r) => r.name), ["node-a"]);
        } finally {
          await sql.end({ timeout: 1 });
        }

        const accounts = await runSubgate(["accounts"], { home: team.person, env });
        assertEquals(accounts.code, 0, accounts.stderr);
        assertMatch(accounts.stdout, /REQUESTS 24H/);
        assertMatch(accounts.stdout, /claude\s+ada@example\.com\s+ready\s+\S+/);
        assert(accounts.stdout.includes(`Accounts in the shared database ${shown(team.dbUrl)}.`));
        assertNoPassword(accounts);
        assert(!accounts.stdout.includes("\\n"), "line breaks are printed, not escaped");

        const logout = await runSubgate(["logout", "claude"], { home: team.person, env });
        assertEquals(logout.code, 0, logout.stderr);
        assert(
          logout.stdout.includes(
            `Logged out of claude as ${EMAIL} (removed ${fileOf(EMAIL)} from the shared database`,
          ),
          logout.stdout,
        );
        assertNoPassword(logout);
        const [{ n }] = await (async () => {
          const check = await open(team.dbUrl);
          try {
            return await check`SELECT count(*)::int AS n FROM subgate_accounts`;
          } finally {
            await check.end({ timeout: 1 });
          }
        })();
        assertEquals(n, 0, "the row is gone");
        // The instance heard that too: it no longer has the account to serve with.
        await until(async () => await ask(node.url) !== 200, 5000, "the instance to stop serving");
        const served = team.api.tokens.length;
        assert(await ask(node.url) !== 200);
        assertEquals(team.api.tokens.length, served, "no request reached the upstream");
        const after = await runSubgate(["accounts"], { home: team.person, env });
        assertMatch(after.stdout, /No accounts in the shared database/);
      } finally {
        await node.stop();
      }
    }),
});

/** A home of its own for a person running commands on a team host. */
async function personHome(world: TeamWorld, root: string): Promise<string> {
  await Deno.mkdir(`${root}/.subgate`, { recursive: true, mode: 0o700 });
  await Deno.writeTextFile(
    `${root}/.subgate/config.yaml`,
    `providers:\n  claude:\n    token-url: ${world.tokens.tokenUrl}\n    base-url: ${world.upstream.url}\n` +
      "refresh-timeout: 2s\n",
  );
  return root;
}

const column = (result: RunResult, label: string) =>
  result.stdout.split("\n").find((line) => line.includes(label)) ?? "";

Deno.test({
  name:
    "team cli 2: usage and accounts show what the instances wrote: requests, tokens, a rest, a disabled login",
  ignore,
  fn: () =>
    withTeam({ serverUrl: SERVER! }, (world) =>
      withTempHome(async (root) => {
        const far = "2099-01-01T00:00:00Z";
        await world.addAccount(EMAIL, {
          access_token: "fixed-a",
          refresh_token: "rt-a",
          expired: far,
        });
        await world.addAccount("bob@example.com", {
          access_token: "fixed-b",
          refresh_token: "rt-b",
          expired: far,
          disabled: true,
        });
        const node = await world.start(0);
        for (let i = 0; i < 5; i++) assertEquals(await world.ask(0), 200);
        // A 429 rests Ada's login; the rest is shared through the database.
        world.upstream.limit("fixed-a", 600);
        assert(await world.ask(0) !== 200);
        await until(
          async () => (await world.sql`SELECT 1 FROM subgate_rests`).length > 0,
          5000,
          "the rest to reach the database",
        );
        // SIGTERM: the instance writes its last batch of usage before it ends.
        await node.stop("SIGTERM");

        const home = await personHome(world, root);
        const env = storeEnv(world.dbUrl, "ada-laptop");
        const usage = await runSubgate(["usage", "--by", "account"], { home, env });
        assertEquals(usage.code, 0, usage.stderr);
        const ada = column(usage, EMAIL).trim().split(/\s{2,}/);
        assertEquals(ada.slice(0, 5), [EMAIL, "claude", String(6), "1", "55"]);
        assertMatch(usage.stdout, /The team's usage, from the shared database postgres:\/\//);
        assertNoPassword(usage);
        const byModel = await runSubgate(["usage", "--by", "model"], { home, env });
        assertMatch(column(byModel, MODEL), new RegExp(`^${MODEL}\\s+6\\s+1\\s+55\\s+35`));

        const accounts = await runSubgate(["accounts"], { home, env });
        assertEquals(accounts.code, 0, accounts.stderr);
        assertMatch(column(accounts, EMAIL), /claude\s+ada@example\.com\s+resting until \S+ \(/);
        assertMatch(column(accounts, EMAIL), /\s6 \(1 failed\)\s/);
        assertMatch(column(accounts, "bob@example.com"), /bob@example\.com\s+disabled\s/);
      })),
});

Deno.test({
  name:
    "team cli 3: refresh goes through the team's lease: none while an instance holds it, then one rotation every instance uses",
  ignore,
  fn: () =>
    withTeam({ serverUrl: SERVER! }, (world) =>
      withTempHome(async (root) => {
        await world.addAccount(EMAIL, {
          access_token: "fixed-r",
          refresh_token: "rt-0",
          expired: "2099-01-01T00:00:00Z",
        });
        const node = await world.start(0);
        assertEquals(await world.ask(0), 200);
        const home = await personHome(world, root);
        const env = storeEnv(world.dbUrl, "ada-laptop");
        const name = fileOf(EMAIL);

        // Another instance holds the lease: the command sends no token request.
        await world.sql`UPDATE subgate_accounts SET lease_id = gen_random_uuid(),
          lease_owner = 'node-z', lease_until = now() + interval '30 seconds',
          refresh_interrupted = true WHERE name = ${name}`;
        const busy = await runSubgate(["refresh", "claude"], { home, env });
        assertEquals(busy.code, 0, busy.stderr);
        assertMatch(
          busy.stdout,
          /ada@example\.com: not refreshed here: instance node-z is refreshing it/,
        );
        assertEquals(world.tokens.requests, 0);
        // `accounts` says so too, rather than calling the mark an error.
        const listed = await runSubgate(["accounts"], { home, env });
        assertEquals(listed.code, 0, listed.stderr);
        assert(
          listed.stdout.includes(`${name}: a refresh is under way (instance node-z)`),
          listed.stdout,
        );

        await world.sql`UPDATE subgate_accounts SET lease_id = NULL, lease_owner = NULL,
          lease_until = NULL, refresh_interrupted = false WHERE name = ${name}`;
        const before = (await world.account(EMAIL)).row.generation;
        const refreshed = await runSubgate(["refresh", "claude"], { home, env });
        assertEquals(refreshed.code, 0, refreshed.stderr);
        assertMatch(refreshed.stdout, /claude ada@example\.com: refreshed, expires /);
        assertNoPassword(refreshed);
        assertEquals([world.tokens.requests, world.tokens.reused], [1, 0]);
        const { record, row } = await world.account(EMAIL);
        assertEquals(
          record.refresh_token,
          world.tokens.current(),
          "the database has the new token",
        );
        assertEquals(row.lease_id, null, "the lease is released");
        // The command's lease and writes (the answer before its checks, then after them): the
        // receipts name it.
        const receipts = await world.sql`SELECT instance, outcome, generation
          FROM subgate_refresh_receipts ORDER BY id`;
        assertEquals(
          receipts.map((r) => [r.instance, r.outcome, Number(r.generation)]),
          [
            ["ada-laptop:refresh", "refreshed", Number(before) + 1],
            ["ada-laptop:refresh", "checked", Number(before) + 2],
          ],
        );
        assertEquals(Number(row.generation), Number(before) + 2);
        // The running instance hears (its notification may trail the command's exit by a moment):
        // it serves with the new access token within a second, refreshing nothing.
        await until(
          async () => {
            const calls = world.upstream.calls.length;
            assertEquals(await world.ask(0), 200);
            return world.upstream.calls[calls] === record.access_token;
          },
          1000,
          "the instance to serve with the refreshed token",
        );
        assertEquals(world.tokens.requests, 1);
        await node.stop();
      })),
});

/** Runs `args` with the store set as given; one line on stderr, exit 1, no stack trace. */
async function assertRefused(
  home: string,
  args: string[],
  env: Record<string, string>,
  pattern: RegExp,
) {
  const result = await runSubgate(args, { home, env });
  assertEquals(result.code, 1, `${args.join(" ")}: ${result.stdout}${result.stderr}`);
  const lines = result.stderr.trim().split("\n");
  assertEquals(lines.length, 1, `${args.join(" ")}: one line, not:\n${result.stderr}`);
  assertMatch(lines[0], pattern);
  assert(!/\bat .*:\d+:\d+/.test(result.stderr), "no stack trace");
  assert(!result.stdout.includes("Terms:"), "refused before any login flow starts");
  assertNoPassword(result);
}

Deno.test("team cli 4: an unreachable store, or a missing or weak key, is one line and exit 1", () =>
  withTempHome(async (home) => {
    const port = freePort();
    const url = `postgres://postgres:${PASSWORD}@127.0.0.1:${port}/team`;
    const commands = [
      ["accounts"],
      ["usage"],
      ["logout", "claude"],
      ["refresh"],
      ["login", "claude", "--no-browser"],
      ["store", "import"],
    ];
    const down = new RegExp(
      `^subgate: cannot use the shared store: postgres://postgres:\\*\\*\\*@127\\.0\\.0\\.1:${port}/team is unreachable \\(`,
    );
    for (const args of commands) {
      await assertRefused(
        home,
        args,
        { SUBGATE_STORE_URL: url, SUBGATE_STORE_KEY: STORE_KEY },
        down,
      );
    }
    // The key is checked first, with serve's words.
    await assertRefused(
      home,
      ["accounts"],
      { SUBGATE_STORE_URL: url },
      /^subgate: cannot use the shared store: SUBGATE_STORE_KEY is not set: /,
    );
    await assertRefused(
      home,
      ["login", "claude"],
      { SUBGATE_STORE_URL: url, SUBGATE_STORE_KEY: "short" },
      /^subgate: cannot use the shared store: SUBGATE_STORE_KEY must be at least 32 characters/,
    );
  }));

Deno.test({
  name:
    "team cli 5: import copies a vendor CLI's login into the database sealed, not the auth dir; --link is refused",
  ignore,
  fn: () =>
    withTeam({ serverUrl: SERVER! }, (world) =>
      withTempHome(async (root) => {
        const home = await personHome(world, root);
        const claims = {
          email: "grace@example.com",
          "https://api.openai.com/auth": { chatgpt_account_id: "acc-9", chatgpt_plan_type: "plus" },
        };
        const part = (value: unknown) =>
          btoa(JSON.stringify(value)).replace(/=+$/, "").replace(/\+/g, "-").replace(/\//g, "_");
        const jwt = (body: unknown) => `${part({ alg: "none" })}.${part(body)}.sig`;
        await Deno.mkdir(`${home}/.codex`, { recursive: true });
        await Deno.writeTextFile(
          `${home}/.codex/auth.json`,
          JSON.stringify({
            auth_mode: "chatgpt",
            tokens: {
              id_token: jwt(claims),
              access_token: jwt({ exp: Math.floor(Date.now() / 1000) + 3600 }),
              refresh_token: "rt_VENDORCODEXzzzzzzzzzzzz",
              account_id: "acc-9",
            },
          }),
          { mode: 0o600 },
        );
        const env = storeEnv(world.dbUrl, "ada-laptop");

        const linked = await runSubgate(["import", "codex", "--link"], { home, env });
        assertEquals(linked.code, 2, linked.stdout + linked.stderr);
        assertMatch(linked.stderr, /--link is not for teams mode/);

        const imported = await runSubgate(["import", "codex"], { home, env });
        assertEquals(imported.code, 0, imported.stdout + imported.stderr);
        assertMatch(imported.stdout, /Imported Codex CLI login of grace@example\.com/);
        assertMatch(imported.stdout, /Saved to the shared database postgres:\/\/.*\*\*\*/);
        assertNoPassword(imported);
        const [row] = await world.sql`SELECT sealed, provider FROM subgate_accounts
          WHERE name = 'codex-grace@example.com.json'`;
        assertEquals(row?.provider, "codex");
        assert(!String(row.sealed).includes("rt_VENDORCODEX"), "the tokens are sealed");
        const cipher = await createTokenCipher(STORE_KEY);
        const record = JSON.parse(
          await cipher.open(row.sealed, "account:codex-grace@example.com.json"),
        );
        assertEquals(record.refresh_token, "rt_VENDORCODEXzzzzzzzzzzzz");
        assertEquals(
          [...Deno.readDirSync(`${home}/.subgate`)].map((e) => e.name).filter((n) =>
            n.startsWith("codex-")
          ),
          [],
          "nothing in the auth dir",
        );
      })),
});
