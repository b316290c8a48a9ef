/**
 * Plan quota with subgate running as users run it: Claude logins against a local Anthropic API
 * whose answers carry the unified rate-limit headers, scripted per login, and which also serves
 * the OAuth usage endpoint (counting every call).
 */
import { Anthropic, OpenAI } from "./helpers/npm.ts";
import { assert, assertEquals, assertMatch } from "./helpers/assert.ts";
import { writeAccount } from "./helpers/fixtures.ts";
import { readJsonFixture } from "./helpers/provider-fixtures.ts";
import { quotaBody, unixIn } from "./helpers/quota-fixtures.ts";
import {
  type RunningSubgate,
  runSubgate,
  startSubgate,
  withTempHome,
} from "./helpers/subgate-process.ts";

const OK_BODY = JSON.stringify(readJsonFixture("anthropic-messages", "anthropic-text.json"));
const RATE_LIMIT =
  `{"type":"error","error":{"type":"rate_limit_error","message":"This request would exceed your account's rate limit."}}`;

interface Script {
  status?: number;
  /** Five-hour use (a fraction) and seconds to its reset; the week stays at 0.18. */
  fiveHour: number;
  resetIn: number;
}

/** Anthropic's API for Claude logins: answers per token, the usage endpoint, no model list. */
function startClaudeApi() {
  const served: string[] = [];
  const usageCalls: string[] = [];
  const scripts = new Map<string, Script[]>();
  const steady = new Map<string, Script>();
  const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen: () => {} }, async (req) => {
    await req.body?.cancel();
    const path = new URL(req.url).pathname;
    const token = (req.headers.get("authorization") ?? "").replace(/^Bearer /, "");
    if (path === "/api/oauth/usage") {
      usageCalls.push(token);
      return Response.json(quotaBody("claude-usage"));
    }
    if (path !== "/v1/messages") return Response.json({ error: "no route" }, { status: 404 });
    served.push(token);
    const script = scripts.get(token)?.shift() ?? steady.get(token) ??
      { fiveHour: 0.1, resetIn: 3600 };
    const rejected = script.status === 429;
    const status = rejected ? "rejected" : "allowed";
    const headers = {
      "content-type": "application/json",
      "anthropic-ratelimit-unified-status": status,
      "anthropic-ratelimit-unified-5h-status": status,
      "anthropic-ratelimit-unified-5h-utilization": String(script.fiveHour),
      "anthropic-ratelimit-unified-5h-reset": unixIn(script.resetIn),
      "anthropic-ratelimit-unified-7d-status": "allowed",
      "anthropic-ratelimit-unified-7d-utilization": "0.18",
      "anthropic-ratelimit-unified-7d-reset": unixIn(4 * 86400),
    };
    return new Response(rejected ? RATE_LIMIT : OK_BODY, { status: script.status ?? 200, headers });
  });
  return {
    url: `http://127.0.0.1:${(server.addr as Deno.NetAddr).port}`,
    served,
    usageCalls,
    /** The next answers to `token`, one per request. */
    script: (token: string, ...next: Script[]) => scripts.set(token, next),
    /** Every later answer to `token`. */
    always: (token: string, script: Script) => steady.set(token, script),
    close: () => server.shutdown(),
  };
}

type ClaudeApi = ReturnType<typeof startClaudeApi>;
const LOGINS = ["ada", "bob"];
const token = (name: string) => `sk-ant-oat01-QUOTA${name}xxxxxxxxxxxxxxxx`;

function withClaudeLogins(
  fn: (server: RunningSubgate, api: ClaudeApi, home: string) => Promise<void>,
  routing: string,
  before?: (api: ClaudeApi) => void,
) {
  return withTempHome(async (home) => {
    const api = startClaudeApi();
    before?.(api);
    const dir = `${home}/.subgate`;
    await Deno.mkdir(dir, { recursive: true, mode: 0o700 });
    for (const name of LOGINS) {
      await writeAccount(
        `${dir}/claude-${name}@example.com.json`,
        JSON.stringify({
          type: "claude",
          access_token: token(name),
          refresh_token: `sk-ant-ort01-${name}`,
          email: `${name}@example.com`,
          expired: "2099-01-01T00:00:00Z",
        }),
      );
    }
    await Deno.writeTextFile(
      `${dir}/config.yaml`,
      `providers:\n  claude:\n    base-url: ${api.url}\nrouting:\n  strategy: ${routing}\n`,
    );
    const server = await startSubgate([], { home });
    try {
      await fn(server, api, home);
    } finally {
      await server.stop();
      await api.close();
    }
  });
}

const ask = (server: RunningSubgate) =>
  new Anthropic({ apiKey: "any", baseURL: server.url, maxRetries: 0 }).messages.create({
    model: "claude-sonnet-4-6",
    max_tokens: 16,
    messages: [{ role: "user", content: "hi" }],
  });

const count = (api: ClaudeApi, name: string) => api.served.filter((t) => t === token(name)).length;

/** `subgate accounts`' row for a login, once the server has published its state. */
async function accountsRow(home: string, name: string): Promise<string> {
  await new Promise((resolve) => setTimeout(resolve, 1200));
  const { stdout } = await runSubgate(["accounts"], { home });
  assertMatch(stdout, /^PROVIDER\s+ACCOUNT\s+STATUS.*\s+5H\s+WEEK\s+RESETS IN\s+FILE$/m);
  return stdout.split("\n").find((line) => line.includes(`${name}@example.com `))!;
}

Deno.test("a spent 5-hour window rests its login until the reset, then fill-first goes back to it", () =>
  withClaudeLogins(async (server, api, home) => {
    // ada's window is spent for 4 s; bob has 58 % left.
    api.script(token("ada"), { status: 429, fiveHour: 1, resetIn: 4 });
    api.always(token("bob"), { fiveHour: 0.42, resetIn: 7200 });
    await ask(server);
    assertEquals(api.served, [token("ada"), token("bob")], "the 429 moves the request on");
    for (let i = 0; i < 3; i++) await ask(server);
    assertEquals(count(api, "ada"), 1, "ada rests: no request reaches it");
    await server.waitForLog(/upstream failed .*account=ada@example\.com.*status=429/);

    // `subgate accounts` shows why and until when, and each login's windows.
    const ada = await accountsRow(home, "ada");
    assertMatch(
      ada,
      /resting until \S+Z \(5h window spent\)\s+\d+d(?: \d+h)?\s+-\s+1 \(1 failed\)\s+100%\s+18%\s+<1m\s/,
    );
    const bob = await accountsRow(home, "bob");
    assertMatch(bob, /\sready\s.*\s4\s+42%\s+18%\s+1h 59m\s/);

    // The reset passes: the next request goes to ada again.
    await new Promise((resolve) => setTimeout(resolve, 2500));
    await ask(server);
    assertEquals(api.served.at(-1), token("ada"));
  }, "fill-first"));

Deno.test("the quota strategy sends requests to the login with the most left (Chat clients too)", () =>
  withClaudeLogins(async (server, api) => {
    api.always(token("ada"), { fiveHour: 0.85, resetIn: 3600 });
    api.always(token("bob"), { fiveHour: 0.2, resetIn: 9000 });
    const openai = new OpenAI({ apiKey: "any", baseURL: `${server.url}/v1`, maxRetries: 0 });
    for (let i = 0; i < 8; i++) {
      const answer = await openai.chat.completions.create({
        model: "claude-sonnet-4-6",
        messages: [{ role: "user", content: "hi" }],
      });
      assert(answer.choices[0].message.content);
    }
    // Before any reading both look alike; once each has answered, bob's room wins every time.
    assert(count(api, "ada") <= 1, `ada served ${count(api, "ada")} of 8`);
    assert(count(api, "bob") >= 7);
  }, "quota"));

Deno.test("no request storm: requests never ask the usage endpoint", () =>
  withClaudeLogins(async (server, api) => {
    const answers = await Promise.allSettled(Array.from({ length: 60 }, () => ask(server)));
    assert(answers.every((a) => a.status === "fulfilled"));
    assertEquals(api.served.length, 60);
    // The first scheduled poll is at least 15 s after start; requests and their answers never ask.
    assertEquals(api.usageCalls, []);
  }, "round-robin"));
