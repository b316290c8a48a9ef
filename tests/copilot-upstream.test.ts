import { OpenAI } from "./helpers/npm.ts";
import { assertEquals } from "./helpers/assert.ts";
import { CAPTURES } from "./helpers/fixture-expectations.ts";
import { writeAccount } from "./helpers/fixtures.ts";
import { startProviderApi } from "./helpers/provider-api.ts";
import { startReplayUpstream } from "./helpers/replay-upstream.ts";
import { startSubgate, withTempHome } from "./helpers/subgate-process.ts";

Deno.test("Copilot: one token exchange serves many requests; tool-result turns are the agent's", () =>
  withTempHome(async (home) => {
    const github = startProviderApi();
    const upstream = startReplayUpstream();
    const dir = `${home}/.subgate`;
    await Deno.mkdir(dir, { recursive: true, mode: 0o700 });
    await writeAccount(
      `${dir}/copilot-octo-ada.json`,
      JSON.stringify({
        type: "copilot",
        access_token: "ghu_TESTGITHUBTOKENxxxxxxxxxxxx",
        login: "octo-ada",
      }),
    );
    await Deno.writeTextFile(
      `${dir}/config.yaml`,
      `providers:\n  copilot:\n    api-url: ${github.url}\n    base-url: ${upstream.url}\n`,
    );
    const server = await startSubgate([], { home });
    try {
      const openai = new OpenAI({ apiKey: "any", baseURL: `${server.url}/v1`, maxRetries: 0 });
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
    } finally {
      await server.stop();
      await upstream.close();
      await github.close();
    }
  }));
