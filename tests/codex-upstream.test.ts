import { Anthropic } from "./helpers/npm.ts";
import { OpenAI } from "./helpers/npm.ts";
import { assert, assertEquals } from "./helpers/assert.ts";
import { CAPTURES } from "./helpers/fixture-expectations.ts";
import { writeAccount } from "./helpers/fixtures.ts";
import { startReplayUpstream } from "./helpers/replay-upstream.ts";
import { chunksAsSse } from "./helpers/provider-fixtures.ts";
import { eventually, startSubgate, withTempHome } from "./helpers/subgate-process.ts";

const ACCESS = "eyJhbGciOiJub25lIn0.eyJzdWIiOiJjb2RleC10ZXN0In0.c2ln";

function withCodexLogin(
  fn: (
    clients: { openai: OpenAI; anthropic: Anthropic },
    upstream: ReturnType<typeof startReplayUpstream>,
  ) => Promise<void>,
  before?: (upstream: ReturnType<typeof startReplayUpstream>) => void,
) {
  return withTempHome(async (home) => {
    const upstream = startReplayUpstream();
    before?.(upstream);
    const dir = `${home}/.subgate`;
    await Deno.mkdir(dir, { recursive: true, mode: 0o700 });
    await writeAccount(
      `${dir}/codex-grace@example.com.json`,
      JSON.stringify({
        type: "codex",
        access_token: ACCESS,
        refresh_token: "rt_codex_test_refresh",
        id_token: ACCESS,
        account_id: "acc-chatgpt-7",
        email: "grace@example.com",
        expired: "2099-01-01T00:00:00Z",
      }),
    );
    await Deno.writeTextFile(
      `${dir}/config.yaml`,
      `providers:\n  codex:\n    base-url: ${upstream.url}\n`,
    );
    const server = await startSubgate([], { home });
    try {
      await fn({
        openai: new OpenAI({ apiKey: "any", baseURL: `${server.url}/v1`, maxRetries: 0 }),
        anthropic: new Anthropic({ apiKey: "any", baseURL: server.url, maxRetries: 0 }),
      }, upstream);
    } finally {
      await server.stop();
      await upstream.close();
    }
  });
}

Deno.test("the Codex backend gets the fields it requires and none it refuses; a plain client gets the collected answer", () =>
  withCodexLogin(async ({ openai }, upstream) => {
    const capture = CAPTURES.textStream["openai-responses"]();
    upstream.answer("openai-responses", { body: capture.body });
    const answer = await openai.responses.create({
      model: "gpt-5.4",
      input: "hi",
      temperature: 0.2,
      max_output_tokens: 300,
      user: "someone",
    });
    assertEquals(answer.output_text, capture.text);
    const seen = upstream.requests.at(-1)!;
    assertEquals(seen.headers.get("authorization"), `Bearer ${ACCESS}`);
    assertEquals(seen.headers.get("chatgpt-account-id"), "acc-chatgpt-7");
    assertEquals(seen.json.store, false);
    assertEquals(seen.json.stream, true);
    assertEquals(seen.json.instructions, "");
    assert((seen.json.include as string[]).includes("reasoning.encrypted_content"));
    for (const refused of ["temperature", "max_output_tokens", "user"]) {
      assert(!(refused in seen.json), `${refused} is not sent`);
    }
    assertEquals(upstream.violations, []);
  }));

Deno.test("Codex streams pass through to Responses clients and translate for others", () =>
  withCodexLogin(async ({ openai, anthropic }, upstream) => {
    const text = CAPTURES.textStream["openai-responses"]();
    upstream.answer("openai-responses", { body: text.body });
    let streamed = "";
    for await (
      const event of await openai.responses.create({ model: "gpt-5.4", input: "hi", stream: true })
    ) {
      if (event.type === "response.output_text.delta") streamed += event.delta;
    }
    assertEquals(streamed, text.text);

    upstream.answer("openai-responses", { body: text.body });
    const chat = await openai.chat.completions.create({
      model: "gpt-5.4",
      messages: [{ role: "user", content: "hi" }],
    });
    assertEquals(chat.choices[0].message.content, text.text);

    const tool = CAPTURES.toolStream["openai-responses"]();
    upstream.answer("openai-responses", { body: tool.body });
    const message = await anthropic.messages.create({
      model: "gpt-5.4",
      max_tokens: 100,
      messages: [{ role: "user", content: "weather?" }],
      tools: [{ name: "weather", input_schema: { type: "object", properties: {} } }],
    });
    const call = message.content.find((b) => b.type === "tool_use");
    assert(call?.type === "tool_use");
    assertEquals({ name: call.name, args: call.input }, tool.toolCall);
    assertEquals(
      upstream.requests.every((r) => r.json.stream === true && r.json.store === false),
      true,
    );
    assertEquals(upstream.violations, []);
  }));

Deno.test("an error inside a 200 stream before any content moves the request to another account", () =>
  withTempHome(async (home) => {
    const upstream = startReplayUpstream();
    const dir = `${home}/.subgate`;
    await Deno.mkdir(dir, { recursive: true, mode: 0o700 });
    for (const [name, id] of [["ada", "acc-1"], ["grace", "acc-2"]]) {
      await writeAccount(
        `${dir}/codex-${name}@example.com.json`,
        JSON.stringify({
          type: "codex",
          access_token: ACCESS,
          refresh_token: "rt_x",
          account_id: id,
          email: `${name}@example.com`,
          expired: "2099-01-01T00:00:00Z",
        }),
      );
    }
    await Deno.writeTextFile(
      `${dir}/config.yaml`,
      `routing:\n  strategy: fill-first\nproviders:\n  codex:\n    base-url: ${upstream.url}\n`,
    );
    const server = await startSubgate([], { home });
    try {
      const openai = new OpenAI({ apiKey: "any", baseURL: `${server.url}/v1`, maxRetries: 0 });
      const text = CAPTURES.textStream["openai-responses"]();
      upstream.answer("openai-responses", {
        body: chunksAsSse("openai-responses", "openai-error.1.chunks.txt"),
      });
      upstream.answer("openai-responses", { body: text.body });
      let streamed = "";
      for await (
        const event of await openai.responses.create({
          model: "gpt-5.4",
          input: "hi",
          stream: true,
        })
      ) {
        if (event.type === "response.output_text.delta") streamed += event.delta;
      }
      assertEquals(streamed, text.text);
      assertEquals(
        upstream.requests.map((r) => r.headers.get("chatgpt-account-id")),
        ["acc-1", "acc-2"],
      );
      await server.waitForLog(/upstream failed .*account=ada@example\.com/);
    } finally {
      await server.stop();
      await upstream.close();
    }
  }));

Deno.test("a login provider's model list comes from the config when it is set there", () =>
  withTempHome(async (home) => {
    const dir = `${home}/.subgate`;
    await Deno.mkdir(dir, { recursive: true, mode: 0o700 });
    await writeAccount(
      `${dir}/codex-grace@example.com.json`,
      JSON.stringify({
        type: "codex",
        access_token: ACCESS,
        account_id: "a",
        email: "g@example.com",
      }),
    );
    await Deno.writeTextFile(
      `${dir}/config.yaml`,
      `providers:\n  codex:\n    models: [gpt-9-preview, gpt-9-mini]\n    excluded-models: ["*-mini"]\n`,
    );
    const server = await startSubgate([], { home });
    try {
      const models = await (await fetch(`${server.url}/v1/models`)).json();
      assertEquals(models.data.map((m: { id: string }) => m.id), ["gpt-9-preview"]);
    } finally {
      await server.stop();
    }
  }));

Deno.test("Codex: the ChatGPT backend's model list is asked with the client's own client_version", () =>
  withCodexLogin(
    async ({ openai }, upstream) => {
      // Asked with subgate's version, the backend lists nothing: the built-in list stands.
      await eventually(
        () => Promise.resolve(upstream.modelRequests.length > 0),
        5000,
        "the first model list",
      );
      const first = new URLSearchParams(upstream.modelRequests[0].search);
      assert(first.get("client_version")?.match(/^\d+\.\d+\.\d+/), "subgate's own version");
      assertEquals(upstream.modelRequests[0].headers.get("chatgpt-account-id"), "acc-chatgpt-7");
      let ids = (await openai.models.list()).data.map((m) => m.id);
      assert(ids.includes("gpt-5.5"), `built-in list until the backend lists more: ${ids}`);
      // A client that names its version has the list asked again, with that version.
      await fetch(`${openai.baseURL}/models?client_version=0.210.0`).then((r) => r.body?.cancel());
      await eventually(
        async () => {
          ids = (await openai.models.list()).data.map((m) => m.id);
          return ids.includes("gpt-6-codex");
        },
        5000,
        "the list for the client's version",
      );
      assertEquals(ids.includes("codex-internal"), false, "hidden models are left out");
      assertEquals(
        new URLSearchParams(upstream.modelRequests.at(-1)!.search).get("client_version"),
        "0.210.0",
      );
    },
    (upstream) =>
      upstream.modelList((query: URLSearchParams) =>
        query.get("client_version") === "0.210.0"
          ? {
            models: [
              { slug: "gpt-6-codex", visibility: "list" },
              { slug: "codex-internal", visibility: "hide" },
            ],
          }
          : { models: [] }
      ),
  ));
