import { Anthropic, OpenAI } from "./helpers/npm.ts";
import { assert, assertEquals } from "./helpers/assert.ts";
import { CAPTURES } from "./helpers/fixture-expectations.ts";
import { writeAccount } from "./helpers/fixtures.ts";
import { startModelUpstream } from "./helpers/model-upstream.ts";
import { startProviderApi } from "./helpers/provider-api.ts";
import { type ReplayUpstream, startReplayUpstream } from "./helpers/replay-upstream.ts";
import { eventually, runSubgate, startSubgate, withTempHome } from "./helpers/subgate-process.ts";

interface CopilotWorld {
  home: string;
  github: ReturnType<typeof startProviderApi>;
  upstream: ReplayUpstream;
  openai: OpenAI;
  anthropic: Anthropic;
}

/** Copilot logins (GitHub's token exchange and Copilot's API both local) behind a running subgate. */
function withCopilot(
  fn: (world: CopilotWorld) => Promise<void>,
  options: { logins?: string[]; models?: unknown; config?: string } = {},
) {
  return withTempHome(async (home) => {
    const github = startProviderApi();
    const upstream = startReplayUpstream();
    if (options.models) upstream.modelList(options.models);
    const dir = `${home}/.subgate`;
    await Deno.mkdir(dir, { recursive: true, mode: 0o700 });
    for (const login of options.logins ?? ["octo-ada"]) {
      await writeAccount(
        `${dir}/copilot-${login}.json`,
        JSON.stringify({ type: "copilot", access_token: `ghu_TEST${login}xxxxxxxxxxxx`, login }),
      );
    }
    await Deno.writeTextFile(
      `${dir}/config.yaml`,
      `providers:\n  copilot:\n    api-url: ${github.url}\n    base-url: ${upstream.url}\n` +
        (options.config ?? ""),
    );
    const server = await startSubgate([], { home });
    try {
      await fn({
        home,
        github,
        upstream,
        openai: new OpenAI({ apiKey: "any", baseURL: `${server.url}/v1`, maxRetries: 0 }),
        anthropic: new Anthropic({ apiKey: "any", baseURL: server.url, maxRetries: 0 }),
      });
    } finally {
      await server.stop();
      await upstream.close();
      await github.close();
    }
  });
}

Deno.test("Copilot: one token exchange serves many requests; tool-result turns are the agent's", () =>
  withCopilot(async ({ github, upstream, openai }) => {
    const text = CAPTURES.text["openai-chat"]();
    for (let i = 0; i < 3; i++) upstream.answer("openai-chat", { body: text.body });
    const first = await openai.chat.completions.create({
      model: "gpt-4.1",
      messages: [{ role: "user", content: "hi" }],
    });
    assertEquals(first.choices[0].message.content, text.text);
    await openai.chat.completions.create({
      model: "gpt-4.1",
      messages: [
        { role: "user", content: "weather?" },
        {
          role: "assistant",
          content: null,
          tool_calls: [{
            id: "call_1",
            type: "function",
            function: { name: "weather", arguments: "{}" },
          }],
        },
        { role: "tool", tool_call_id: "call_1", content: "sunny" },
      ],
    });
    await openai.chat.completions.create({
      model: "gpt-4.1",
      messages: [{
        role: "user",
        content: [{
          type: "image_url",
          image_url: { url: "data:image/png;base64,iVBORw0KGgo=" },
        }],
      }],
    });
    const [plain, toolTurn, image] = upstream.requests;
    assertEquals(
      plain.headers.get("authorization"),
      "Bearer tid=test;exp=9999999999;sku=copilot:sig",
    );
    assertEquals(plain.headers.get("x-initiator"), "user");
    assertEquals(toolTurn.headers.get("x-initiator"), "agent");
    assertEquals(image.headers.get("copilot-vision-request"), "true");
    assertEquals(plain.headers.get("editor-version")?.startsWith("subgate/"), true);
    assertEquals(github.seen.filter((s) => s === "GET /copilot_internal/v2/token").length, 1);
    assertEquals(upstream.violations, []);
  }));

Deno.test("Copilot: a 402 (the month's premium requests spent) rests that login for an hour and another answers", () =>
  withCopilot(async ({ home, upstream, openai }) => {
    const text = CAPTURES.text["openai-chat"]();
    upstream.answer("openai-chat", {
      status: 402,
      body: JSON.stringify({
        error: { message: "You have no quota", code: "quota_exceeded" },
      }),
    });
    upstream.answer("openai-chat", { body: text.body });
    const answer = await openai.chat.completions.create({
      model: "gpt-4.1",
      messages: [{ role: "user", content: "hi" }],
    });
    assertEquals(answer.choices[0].message.content, text.text);
    await new Promise((resolve) => setTimeout(resolve, 1500));
    const accounts = await runSubgate(["accounts"], { home });
    const until = /resting until (\S+Z) \(quota spent\)/.exec(accounts.stdout)?.[1];
    assert(until, `one login rests with its quota spent: ${accounts.stdout}`);
    const wait = new Date(until).getTime() - Date.now();
    assert(wait > 3500_000 && wait <= 3600_000, `an hour's rest, not a backoff: ${wait} ms`);
  }, { logins: ["octo-ada", "octo-bob"] }));

Deno.test("Copilot: the login's chat models come from Copilot's /models list, and route", () =>
  withCopilot(async ({ upstream, openai }) => {
    let ids: string[] = [];
    await eventually(
      async () => {
        ids = (await openai.models.list()).data.map((m) => m.id);
        return ids.includes("gpt-5.9-preview");
      },
      5000,
      "the fetched model list",
    );
    assertEquals(ids.includes("claude-opus-9"), true);
    assertEquals(ids.includes("text-embedding-3-small"), false, "embedding models are left out");
    assertEquals(ids.includes("gpt-4.1"), false, "the fetched list replaces the built-in one");
    assertEquals(
      upstream.modelRequests[0].headers.get("authorization"),
      "Bearer tid=test;exp=9999999999;sku=copilot:sig",
    );
    const text = CAPTURES.text["openai-chat"]();
    upstream.answer("openai-chat", { body: text.body });
    const answer = await openai.chat.completions.create({
      model: "gpt-5.9-preview",
      messages: [{ role: "user", content: "hi" }],
    });
    assertEquals(answer.choices[0].message.content, text.text);
    assertEquals(upstream.requests[0].json.model, "gpt-5.9-preview");
  }, {
    models: {
      data: [
        { id: "gpt-5.9-preview", capabilities: { type: "chat" } },
        { id: "claude-opus-9", capabilities: { type: "chat" } },
        { id: "text-embedding-3-small", capabilities: { type: "embeddings" } },
      ],
    },
  }));

Deno.test("Copilot: a model Copilot serves on Messages or Responses is called there, the client's own API first", () =>
  withCopilot(async ({ upstream, openai, anthropic }) => {
    await eventually(
      async () => (await openai.models.list()).data.some((m) => m.id === "gpt-6-codex"),
      5000,
      "the fetched model list",
    );
    const messages = CAPTURES.text.anthropic();
    upstream.answer("anthropic", { body: messages.body });
    const viaMessages = await anthropic.messages.create({
      model: "claude-opus-9",
      max_tokens: 64,
      messages: [{ role: "user", content: "hi" }],
    });
    assertEquals(
      viaMessages.content[0].type === "text" && viaMessages.content[0].text,
      messages.text,
    );

    const chat = CAPTURES.text["openai-chat"]();
    upstream.answer("openai-chat", { body: chat.body });
    const viaChat = await openai.chat.completions.create({
      model: "claude-opus-9",
      messages: [{ role: "user", content: "hi" }],
    });
    assertEquals(viaChat.choices[0].message.content, chat.text);

    const responses = CAPTURES.text["openai-responses"]();
    upstream.answer("openai-responses", { body: responses.body });
    const viaResponses = await openai.chat.completions.create({
      model: "gpt-6-codex",
      messages: [{ role: "user", content: "hi" }],
    });
    assertEquals(viaResponses.choices[0].message.content, responses.text);

    assertEquals(upstream.requests.map((r) => r.path), [
      "/v1/messages",
      "/chat/completions",
      "/responses",
    ]);
    for (const request of upstream.requests) {
      assertEquals(
        request.headers.get("authorization"),
        "Bearer tid=test;exp=9999999999;sku=copilot:sig",
      );
      assertEquals(request.headers.get("x-initiator"), "user");
    }
    assertEquals(upstream.violations, []);
  }, {
    models: {
      data: [
        { id: "claude-opus-9", supported_endpoints: ["/chat/completions", "/v1/messages"] },
        { id: "gpt-6-codex", supported_endpoints: ["/responses"] },
        { id: "gpt-4.1" },
      ],
    },
  }));

Deno.test("Copilot: for a name no list knows, the family's own accounts answer first, then Copilot", async () => {
  // An Anthropic key whose upstream does not know the name, beside a Copilot login.
  const anthropic = startModelUpstream({ knows: () => false, list: [] });
  try {
    await withCopilot(async ({ upstream, anthropic: client }) => {
      const text = CAPTURES.text["openai-chat"]();
      upstream.answer("openai-chat", { body: text.body });
      const answer = await client.messages.create({
        model: "claude-next-9",
        max_tokens: 16,
        messages: [{ role: "user", content: "hi" }],
      });
      assertEquals(answer.content[0].type === "text" && answer.content[0].text, text.text);
      assertEquals(anthropic.calls.map((c) => c.model), ["claude-next-9"], "the key went first");
      assertEquals(upstream.requests.at(-1)?.json.model, "claude-next-9", "then Copilot");
    }, {
      config: `claude-api-key:\n  - api-key: ant-key\n    base-url: ${anthropic.url}\n` +
        "    models: [claude-sonnet-4-6]\n",
    });
  } finally {
    await anthropic.close();
  }
});
