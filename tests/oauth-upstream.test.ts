import { Anthropic } from "./helpers/npm.ts";
import { assert, assertEquals } from "./helpers/assert.ts";
import { CAPTURES } from "./helpers/fixture-expectations.ts";
import { type LoginWorld, withLoginWorld } from "./helpers/login-setup.ts";
import { startReplayUpstream } from "./helpers/replay-upstream.ts";
import { type RunningSubgate, spawnSubgate, startSubgate } from "./helpers/subgate-process.ts";
import { writeFileAtomic } from "../src/fs/write-file-atomic.ts";

type Json = Record<string, unknown>;
const FILE = "claude-ada@example.com.json";

/** A real Claude login (manual paste flow) against the OAuth server. */
async function loginClaude({ home, oauth }: LoginWorld): Promise<void> {
  const login = await spawnSubgate(["login", "claude", "--no-browser"], { home });
  const url = (await login.waitForOutput(/^\s+(http\S+)$/m))[1];
  const landing = await oauth.approve(url);
  await login.typeLine(`${landing.searchParams.get("code")}#${landing.searchParams.get("state")}`);
  assertEquals((await login.status).code, 0, login.output());
}

/** Logs in, points Claude's API at a replay upstream, starts subgate, and runs `fn`. */
function withClaudeLogin(
  fn: (
    world: LoginWorld,
    server: RunningSubgate,
    upstream: ReturnType<typeof startReplayUpstream>,
    client: Anthropic,
  ) => Promise<void>,
) {
  return withLoginWorld(async (world) => {
    await loginClaude(world);
    const upstream = startReplayUpstream();
    const configPath = `${world.authDir}/config.yaml`;
    const config = await Deno.readTextFile(configPath);
    await Deno.writeTextFile(
      configPath,
      config.replace(`base-url: ${world.api.url}\n`, `base-url: ${upstream.url}\n`),
    );
    const server = await startSubgate([], { home: world.home });
    try {
      await fn(
        world,
        server,
        upstream,
        new Anthropic({ apiKey: "any", baseURL: server.url, maxRetries: 0 }),
      );
    } finally {
      await server.stop();
      await upstream.close();
    }
  });
}

async function record(world: LoginWorld): Promise<Json> {
  return JSON.parse(await Deno.readTextFile(`${world.authDir}/${FILE}`));
}

const refreshes = (world: LoginWorld) =>
  world.oauth.grants.filter((g) => g.grantType === "refresh_token").length;

Deno.test("a Claude login serves requests as the client sent them, with its token and the OAuth beta", () =>
  withClaudeLogin(async (world, _server, upstream, client) => {
    upstream.answer("anthropic", { body: CAPTURES.text.anthropic().body });
    const answer = await client.messages.create(
      { model: "claude-sonnet-4-6", max_tokens: 64, messages: [{ role: "user", content: "hi" }] },
      { headers: { "anthropic-beta": "interleaved-thinking-2025-05-14" } },
    );
    assertEquals(answer.content[0].type, "text");
    const seen = upstream.requests.at(-1)!;
    const token = (await record(world)).access_token;
    assertEquals(seen.headers.get("authorization"), `Bearer ${token}`);
    assertEquals(seen.headers.get("x-api-key"), null);
    assertEquals(
      seen.headers.get("anthropic-beta"),
      "interleaved-thinking-2025-05-14,oauth-2025-04-20",
    );
    assertEquals(seen.json.model, "claude-sonnet-4-6");
    assert(!("system" in seen.json), "no identity prompt is added");
    assertEquals(upstream.violations, []);
  }));

Deno.test("a 401 from the upstream refreshes the token once and the request succeeds", () =>
  withClaudeLogin(async (world, server, upstream, client) => {
    const before = await record(world);
    upstream.answer("anthropic", {
      status: 401,
      body: `{"type":"error","error":{"type":"authentication_error","message":"token expired"}}`,
    });
    upstream.answer("anthropic", { body: CAPTURES.text.anthropic().body });
    const answer = await client.messages.create({
      model: "claude-sonnet-4-6",
      max_tokens: 64,
      messages: [{ role: "user", content: "hi" }],
    });
    assertEquals(answer.content[0].type, "text");
    assertEquals(refreshes(world), 1);
    const after = await record(world);
    assert(after.refresh_token !== before.refresh_token, "the rotated refresh token is saved");
    const [first, second] = upstream.requests.slice(-2);
    assertEquals(first.headers.get("authorization"), `Bearer ${before.access_token}`);
    assertEquals(second.headers.get("authorization"), `Bearer ${after.access_token}`);
    assert(!server.log().includes(String(after.access_token)), "tokens stay out of the log");
  }));

Deno.test("an access token that expires under load is refreshed exactly once", () =>
  withClaudeLogin(async (world, server, upstream, client) => {
    const expired: Json = { ...(await record(world)), expired: "2020-01-01T00:00:00Z" };
    await writeFileAtomic(`${world.authDir}/${FILE}`, JSON.stringify(expired, null, 2));
    await server.waitForLog(/account updated provider=claude/);
    for (let i = 0; i < 200; i++) {
      upstream.answer("anthropic", { body: CAPTURES.text.anthropic().body });
    }
    const answers = await Promise.all(Array.from({ length: 200 }, () =>
      client.messages.create({
        model: "claude-sonnet-4-6",
        max_tokens: 16,
        messages: [{ role: "user", content: "hi" }],
      })));
    assertEquals(answers.length, 200);
    assertEquals(refreshes(world), 1);
    const token = (await record(world)).access_token;
    assert(token !== expired.access_token);
    assertEquals(
      upstream.requests.slice(-200).filter((r) =>
        r.headers.get("authorization") === `Bearer ${token}`
      ).length,
      200,
      "every request used the refreshed token",
    );
  }));
