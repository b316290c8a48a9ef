/**
 * GitLab Duo, as users set it up: a `gitlab-token` entry (or `GITLAB_TOKEN`) against a local
 * GitLab that answers the AI gateway token exchange (tests/fixtures/gitlab/), and a replaying
 * upstream as the gateway: Claude through its Anthropic proxy, GPT through its OpenAI Responses
 * proxy, the exchange made once for concurrent requests and again before the token expires, and
 * refusals of the exchange or the gateway in each client's dialect.
 */
import { Anthropic, OpenAI } from "./helpers/npm.ts";
import { assert, assertEquals, assertMatch, assertNotMatch } from "./helpers/assert.ts";
import { CAPTURES } from "./helpers/fixture-expectations.ts";
import { FIXTURES_DIR } from "./helpers/provider-fixtures.ts";
import { type ReplayUpstream, startReplayUpstream } from "./helpers/replay-upstream.ts";
import { type RunningSubgate, startSubgate, withTempHome } from "./helpers/subgate-process.ts";
import { gatewayRoot, instanceUrl } from "../src/providers/gitlab-token/gateway-token.ts";

type Json = Record<string, unknown>;

const PAT = "glpat-TESTTOKENxxxxxxxxxxxx";
const DIRECT_ACCESS = "/api/v4/ai/third_party_agents/direct_access";

/** A GitLab instance's token exchange: the fixture's answer, naming the local gateway. */
function startGitLab(gateway: string) {
  const exchanges: { auth: string | null; at: number }[] = [];
  let refuse: number | undefined;
  let lifetime = 3600;
  const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen: () => {} }, async (req) => {
    await req.body?.cancel();
    const path = new URL(req.url).pathname;
    if (req.method !== "POST" || path !== DIRECT_ACCESS) {
      return Response.json({ message: "404 Not Found" }, { status: 404 });
    }
    exchanges.push({ auth: req.headers.get("authorization"), at: Date.now() });
    if (req.headers.get("authorization") !== `Bearer ${PAT}`) {
      return Response.json({ message: "401 Unauthorized" }, { status: 401 });
    }
    if (refuse) return Response.json({ message: "403 Forbidden" }, { status: refuse });
    const answer = JSON.parse(
      Deno.readTextFileSync(`${FIXTURES_DIR}gitlab/direct-access.json`),
    ) as Json;
    return Response.json({
      ...answer,
      token: `gateway-token-${exchanges.length}`,
      expires_at: Math.floor(Date.now() / 1000) + lifetime,
      base_url: gateway,
    }, { status: 201 });
  });
  return {
    url: `http://127.0.0.1:${(server.addr as Deno.NetAddr).port}`,
    exchanges,
    refuseWith(status: number | undefined) {
      refuse = status;
    },
    tokensLast(seconds: number) {
      lifetime = seconds;
    },
    close: () => server.shutdown(),
  };
}

type GitLab = ReturnType<typeof startGitLab>;

async function withGitLab(
  fn: (world: { server: RunningSubgate; gitlab: GitLab; gateway: ReplayUpstream }) => Promise<void>,
  entry = "",
) {
  await withTempHome(async (home) => {
    const gateway = startReplayUpstream();
    const gitlab = startGitLab(gateway.url);
    const dir = `${home}/.subgate`;
    await Deno.mkdir(dir, { recursive: true, mode: 0o700 });
    await Deno.writeTextFile(
      `${dir}/config.yaml`,
      `gitlab-token:\n  - api-key: ${PAT}\n    base-url: ${gitlab.url}/api/v4\n${entry}`,
    );
    const server = await startSubgate([], { home });
    try {
      await fn({ server, gitlab, gateway });
      assertNotMatch(server.log(), /glpat-TEST|gateway-token-/);
    } finally {
      await server.stop();
      await gateway.close();
      await gitlab.close();
    }
  });
}

Deno.test("a gitlab-token serves Claude through the gateway's Anthropic proxy and GPT through its OpenAI proxy", () =>
  withGitLab(async ({ server, gitlab, gateway }) => {
    const models = (await (await fetch(`${server.url}/v1/models`)).json()).data as Json[];
    const ours = models.filter((m) => m.owned_by === "gitlab").map((m) => m.id);
    assert(ours.includes("claude-sonnet-4-6") && ours.includes("gpt-5.1-codex"), ours.join());

    // Five requests at once: one exchange.
    const text = CAPTURES.text.anthropic();
    for (let i = 0; i < 5; i++) gateway.answer("anthropic", { body: text.body });
    const anthropic = new Anthropic({ apiKey: "any", baseURL: server.url, maxRetries: 0 });
    const answers = await Promise.all(Array.from({ length: 5 }, () =>
      anthropic.messages.create({
        model: "claude-sonnet-4-6",
        max_tokens: 256,
        messages: [{ role: "user", content: "hi" }],
      })));
    for (const answer of answers) {
      assertEquals(
        answer.content.filter((b) => b.type === "text").map((b) => b.text).join(""),
        text.text,
      );
    }
    assertEquals(gitlab.exchanges.length, 1, "one exchange for concurrent requests");
    assertEquals(gitlab.exchanges[0].auth, `Bearer ${PAT}`);
    const seen = gateway.requests.at(-1)!;
    assertEquals(seen.path, "/v1/proxy/anthropic/v1/messages");
    assertEquals(seen.headers.get("authorization"), "Bearer gateway-token-1");
    assertEquals(seen.headers.get("x-gitlab-realm"), "saas");
    assertEquals(seen.headers.get("x-gitlab-unit-primitive"), "duo_agent_platform");
    assertEquals(seen.headers.get("x-api-key"), null, "the answer's x-api-key stays out");
    assert(seen.headers.get("anthropic-version"), "the client's anthropic-version passes");
    assertEquals(seen.json.model, "claude-sonnet-4-6");

    // An OpenAI Chat client, streaming from Claude.
    const stream = CAPTURES.textStream.anthropic();
    gateway.answer("anthropic", { body: stream.body });
    const openai = new OpenAI({ apiKey: "any", baseURL: `${server.url}/v1`, maxRetries: 0 });
    let chat = "";
    for await (
      const chunk of await openai.chat.completions.create({
        model: "gitlab/claude-sonnet-4-6",
        messages: [{ role: "user", content: "hi" }],
        stream: true,
      })
    ) chat += chunk.choices[0]?.delta?.content ?? "";
    assertEquals(chat, stream.text);
    assertEquals(gateway.requests.at(-1)!.json.model, "claude-sonnet-4-6", "the pin is GitLab's");

    // A GPT model goes to the OpenAI proxy's Responses API, passing through.
    const responsesText = CAPTURES.text["openai-responses"]();
    gateway.answer("openai-responses", { body: responsesText.body });
    const response = await openai.responses.create({ model: "gpt-5.1-codex", input: "hi" });
    assertEquals(response.output_text, responsesText.text);
    const gpt = gateway.requests.at(-1)!;
    assertEquals(gpt.path, "/v1/proxy/openai/v1/responses");
    assertEquals(gpt.headers.get("authorization"), "Bearer gateway-token-1");
    assertEquals(gpt.headers.get("x-gitlab-host-name"), "gitlab.com");
    assertEquals(gitlab.exchanges.length, 1);
    assertEquals(gateway.violations, []);
  }));

Deno.test("the gateway token is exchanged again before it expires, and after the gateway refuses it", () =>
  withGitLab(async ({ server, gitlab, gateway }) => {
    // Tokens that expire five minutes and two seconds from now: due again two seconds on.
    gitlab.tokensLast(302);
    const text = CAPTURES.text.anthropic();
    const ask = () =>
      fetch(`${server.url}/v1/messages`, {
        method: "POST",
        headers: { "content-type": "application/json", "x-api-key": "any" },
        body: JSON.stringify({
          model: "claude-haiku-4-5-20251001",
          max_tokens: 64,
          messages: [{ role: "user", content: "hi" }],
        }),
      });
    gateway.answer("anthropic", { body: text.body });
    assertEquals((await (await ask()).json()).type, "message");
    assertEquals(gitlab.exchanges.length, 1);
    await new Promise((resolve) => setTimeout(resolve, 2500));
    gitlab.tokensLast(3600);
    gateway.answer("anthropic", { body: text.body });
    assertEquals((await (await ask()).json()).type, "message");
    assertEquals(gitlab.exchanges.length, 2, "exchanged again before the expiry");
    assertEquals(gateway.requests.at(-1)!.headers.get("authorization"), "Bearer gateway-token-2");

    // The gateway refuses the token: the client hears it (the gateway's own answer, passed on in
    // the same dialect), and the next request exchanges again.
    gateway.answer("anthropic", {
      status: 401,
      body: JSON.stringify({ detail: "Forbidden by auth provider" }),
    });
    const refused = await ask();
    assertEquals(refused.status, 401);
    assertMatch(await refused.text(), /Forbidden by auth provider/);
    await new Promise((resolve) => setTimeout(resolve, 1100));
    gateway.answer("anthropic", { body: text.body });
    assertEquals((await ask()).status, 200);
    assertEquals(gitlab.exchanges.length, 3);
    assertEquals(gateway.requests.at(-1)!.headers.get("authorization"), "Bearer gateway-token-3");
  }));

Deno.test("a refused token exchange reaches the client in its own dialect", () =>
  withGitLab(async ({ server, gitlab }) => {
    gitlab.refuseWith(403);
    const anthropic = new Anthropic({ apiKey: "any", baseURL: server.url, maxRetries: 0 });
    const forbidden = await anthropic.messages.create({
      model: "claude-sonnet-4-6",
      max_tokens: 64,
      messages: [{ role: "user", content: "hi" }],
    }).then(() => undefined, (error) => error);
    assertEquals(forbidden?.status, 403);
    assertEquals(forbidden?.error?.error?.type, "permission_error");
    assertMatch(forbidden?.error?.error?.message, /GitLab Duo seat/);

    const openai = new OpenAI({ apiKey: "any", baseURL: `${server.url}/v1`, maxRetries: 0 });
    const again = await openai.chat.completions.create({
      model: "gpt-5-mini-2025-08-07",
      messages: [{ role: "user", content: "hi" }],
    }).then(() => undefined, (error) => error);
    assertEquals(again?.status, 403);
    assertMatch(String(again?.message), /api or ai_features scope/);
    assertEquals(gitlab.exchanges.length, 2, "a refusal is not remembered: asked again");
  }));

Deno.test("GITLAB_TOKEN is one more gitlab-token entry, for GitLab.com", () =>
  withTempHome(async (home) => {
    const server = await startSubgate([], {
      home,
      env: { GITLAB_TOKEN: "glpat-ENVTOKENzzzzzzzzzzzz" },
    });
    try {
      const models = (await (await fetch(`${server.url}/v1/models`)).json()).data as Json[];
      assert(
        models.some((m) => m.id === "claude-sonnet-4-6" && m.owned_by === "gitlab"),
        JSON.stringify(models),
      );
      assertNotMatch(server.log(), /glpat-ENV/);
    } finally {
      await server.stop();
    }
  }));

Deno.test("the instance and gateway URLs as GitLab and the exchange name them", () => {
  assertEquals(instanceUrl(undefined), "https://gitlab.com");
  assertEquals(instanceUrl("https://gitlab.example.com/api/v4/"), "https://gitlab.example.com");
  assertEquals(gatewayRoot(undefined), "https://cloud.gitlab.com/ai");
  assertEquals(gatewayRoot("https://cloud.gitlab.com"), "https://cloud.gitlab.com/ai");
  assertEquals(gatewayRoot("https://cloud.gitlab.com/ai/"), "https://cloud.gitlab.com/ai");
  assertEquals(gatewayRoot("http://ai-gateway.internal:5052"), "http://ai-gateway.internal:5052");
});
