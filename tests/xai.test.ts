/**
 * xAI Grok, as users run it: `subgate login xai` (RFC 8628 device code) against the local OAuth
 * server, refresh with the rotated refresh token kept, then serving through xAI's
 * OpenAI-compatible API on a local replaying upstream: a real xAI stream capture to an Anthropic
 * client, the upstream's own model list, and an xAI refusal in the client's dialect.
 */
import { Anthropic, OpenAI } from "./helpers/npm.ts";
import { assert, assertEquals, assertMatch } from "./helpers/assert.ts";
import { writeAccount } from "./helpers/fixtures.ts";
import { CLIENTS, withLoginWorld } from "./helpers/login-setup.ts";
import { chunksAsSse } from "./helpers/provider-fixtures.ts";
import { startReplayUpstream } from "./helpers/replay-upstream.ts";
import {
  eventually,
  runSubgate,
  spawnSubgate,
  startSubgate,
  withTempHome,
} from "./helpers/subgate-process.ts";

type Json = Record<string, unknown>;

async function readJson(path: string): Promise<Json> {
  return JSON.parse(await Deno.readTextFile(path));
}

Deno.test("xai device login: the code shown, the id_token names the account; refresh keeps the rotated token", () =>
  withLoginWorld(async ({ home, authDir, oauth }) => {
    const login = await spawnSubgate(["login", "xai", "--no-browser", "--timeout", "60"], { home });
    const code = (await login.waitForOutput(/enter the code:\s+(\S+)/))[1];
    await oauth.approveDevice(code);
    assertEquals((await login.status).code, 0, login.output());
    const output = login.output();
    assertMatch(output, /Terms: xAI lets SuperGrok subscribers use Grok from tools it names/);
    assertMatch(output, /Logged in to xAI Grok as ada@example\.com/);
    const file = `${authDir}/xai-ada@example.com.json`;
    const record = await readJson(file);
    assertEquals(record.type, "xai");
    assertEquals(record.email, "ada@example.com");
    assert(record.refresh_token && !output.includes(String(record.refresh_token)));
    assertEquals(oauth.grants.map((g) => [g.grantType, g.clientId]), [
      ["urn:ietf:params:oauth:grant-type:device_code", CLIENTS.xai],
    ]);

    const refreshed = await runSubgate(["refresh", "xai"], { home });
    assertEquals(refreshed.code, 0, refreshed.stderr);
    assertMatch(refreshed.stdout, /xai ada@example\.com: refreshed/);
    const after = await readJson(file);
    assert(after.refresh_token !== record.refresh_token, "the rotated refresh token is saved");
    // The old refresh token is spent (the server rotates): only the saved one works now.
    const again = await runSubgate(["refresh", "xai"], { home });
    assertEquals(again.code, 0, again.stderr);
    assertEquals(oauth.grants.filter((g) => g.grantType === "refresh_token").length, 2);
  }));

Deno.test("an xAI login serves through xAI's Chat Completions with its Bearer token; model list and refusals", () =>
  withTempHome(async (home) => {
    const upstream = startReplayUpstream();
    upstream.modelList({
      object: "list",
      data: [
        { id: "grok-4", object: "model", owned_by: "xai" },
        { id: "grok-3-mini", object: "model", owned_by: "xai" },
      ],
    });
    const dir = `${home}/.subgate`;
    await Deno.mkdir(dir, { recursive: true, mode: 0o700 });
    await writeAccount(
      `${dir}/xai-ada@example.com.json`,
      JSON.stringify({
        type: "xai",
        access_token: "xai-TESTACCESSxxxxxxxxxxxx",
        refresh_token: "xai-TESTREFRESHyyyyyyyyyy",
        email: "ada@example.com",
        expired: "2099-01-01T00:00:00Z",
      }),
    );
    await Deno.writeTextFile(
      `${dir}/config.yaml`,
      `providers:\n  xai:\n    base-url: ${upstream.url}/v1\n`,
    );
    const server = await startSubgate([], { home });
    try {
      await eventually(
        async () => {
          const list = await (await fetch(`${server.url}/v1/models`)).json();
          return list.data.some((m: { id: string }) => m.id === "grok-3-mini");
        },
        15_000,
        "xAI's own model list",
      );
      assertEquals(
        upstream.modelRequests[0].headers.get("authorization"),
        "Bearer xai-TESTACCESSxxxxxxxxxxxx",
      );

      // A real xAI stream (reasoning, then a tool call) to an Anthropic client.
      upstream.answer("openai-chat", {
        body: chunksAsSse("openai-chat", "xai-tool-call.chunks.txt"),
      });
      const anthropic = new Anthropic({ apiKey: "any", baseURL: server.url, maxRetries: 0 });
      const calls: { name: string; input: unknown }[] = [];
      const stream = anthropic.messages.stream({
        model: "grok-3-mini",
        max_tokens: 256,
        tools: [{
          name: "weather",
          input_schema: { type: "object", properties: { location: { type: "string" } } },
        }],
        messages: [{ role: "user", content: "weather in San Francisco?" }],
      });
      for (const block of (await stream.finalMessage()).content) {
        if (block.type === "tool_use") calls.push({ name: block.name, input: block.input });
      }
      assertEquals(calls, [{ name: "weather", input: { location: "San Francisco" } }]);
      const seen = upstream.requests.at(-1)!;
      assertEquals(seen.path, "/v1/chat/completions");
      assertEquals(seen.headers.get("authorization"), "Bearer xai-TESTACCESSxxxxxxxxxxxx");
      assertEquals(seen.json.model, "grok-3-mini");

      // xAI's refusal, in the client's own shape. xAI answers errors as `{code, error}` strings
      // (429 "Some resource has been exhausted", as quoted in public error classifiers).
      upstream.answer("openai-chat", {
        status: 429,
        body: JSON.stringify({
          code: "Some resource has been exhausted",
          error: "Your team team-test has either used all available credits or reached its " +
            "monthly spending limit.",
        }),
      });
      const openai = new OpenAI({ apiKey: "any", baseURL: `${server.url}/v1`, maxRetries: 0 });
      const refused = await openai.chat.completions.create({
        model: "grok-4",
        messages: [{ role: "user", content: "hi" }],
      }).then(() => undefined, (error) => error);
      assertEquals(refused?.status, 429);
      assertMatch(String(refused?.message), /monthly spending limit/);
      assertEquals(upstream.violations, []);
    } finally {
      await server.stop();
      await upstream.close();
    }
  }));
