import { OpenAI } from "./helpers/npm.ts";
import { assert, assertEquals, assertMatch } from "./helpers/assert.ts";
import { CAPTURES } from "./helpers/fixture-expectations.ts";
import { writeAccount } from "./helpers/fixtures.ts";
import { startReplayUpstream } from "./helpers/replay-upstream.ts";
import { runSubgate, startSubgate, withTempHome } from "./helpers/subgate-process.ts";

function loginFile(type: "kimi" | "qwen", email: string, token: string, extra = {}) {
  return JSON.stringify({
    type,
    access_token: token,
    refresh_token: `${type}-refresh-${email}`,
    email,
    expired: "2099-01-01T00:00:00Z",
    ...extra,
  });
}

Deno.test("Kimi and Qwen logins answer through Chat Completions with their own Bearer token", () =>
  withTempHome(async (home) => {
    const upstream = startReplayUpstream();
    const dir = `${home}/.subgate`;
    await Deno.mkdir(dir, { recursive: true, mode: 0o700 });
    await writeAccount(
      `${dir}/kimi-ada.json`,
      loginFile("kimi", "ada@example.com", "kimi-TESTTOKENaaaaaaaaaaaa"),
    );
    // Qwen names its API host per login, without scheme or /v1.
    await writeAccount(
      `${dir}/qwen-ada.json`,
      loginFile("qwen", "ada@example.com", "qwen-TESTTOKENbbbbbbbbbbbb", {
        resource_url: `${upstream.url}/qwen-host`,
      }),
    );
    await Deno.writeTextFile(
      `${dir}/config.yaml`,
      `providers:\n  kimi:\n    base-url: ${upstream.url}/coding/v1\n`,
    );
    const server = await startSubgate([], { home });
    try {
      const openai = new OpenAI({ apiKey: "any", baseURL: `${server.url}/v1`, maxRetries: 0 });
      const text = CAPTURES.text["openai-chat"]();
      upstream.answer("openai-chat", { body: text.body });
      upstream.answer("openai-chat", { body: text.body });
      for (const model of ["kimi-k2.6", "qwen3-coder-plus"]) {
        const answer = await openai.chat.completions.create({
          model,
          messages: [{ role: "user", content: "hi" }],
        });
        assertEquals(answer.choices[0].message.content, text.text);
      }
      const [kimi, qwen] = upstream.requests;
      assertEquals(kimi.path, "/coding/v1/chat/completions");
      assertEquals(kimi.headers.get("authorization"), "Bearer kimi-TESTTOKENaaaaaaaaaaaa");
      assertEquals(kimi.json.model, "kimi-k2.6");
      assertEquals(qwen.path, "/qwen-host/v1/chat/completions");
      assertEquals(qwen.headers.get("authorization"), "Bearer qwen-TESTTOKENbbbbbbbbbbbb");
      assertEquals(upstream.violations, []);
    } finally {
      await server.stop();
      await upstream.close();
    }
  }));

Deno.test("a Qwen login whose daily quota is spent (403 insufficient_quota) rests until the day turns in China", () =>
  withTempHome(async (home) => {
    const upstream = startReplayUpstream();
    const dir = `${home}/.subgate`;
    await Deno.mkdir(dir, { recursive: true, mode: 0o700 });
    for (const name of ["ada", "bob"]) {
      await writeAccount(
        `${dir}/qwen-${name}.json`,
        loginFile("qwen", `${name}@example.com`, `qwen-TESTTOKEN-${name}xxxxxxxx`, {
          resource_url: upstream.url,
        }),
      );
    }
    const server = await startSubgate([], { home });
    try {
      const openai = new OpenAI({ apiKey: "any", baseURL: `${server.url}/v1`, maxRetries: 0 });
      const text = CAPTURES.text["openai-chat"]();
      upstream.answer("openai-chat", {
        status: 403,
        body: JSON.stringify({
          error: {
            message: "You exceeded your current quota.",
            type: "insufficient_quota",
            code: "insufficient_quota",
          },
        }),
      });
      upstream.answer("openai-chat", { body: text.body });
      const answer = await openai.chat.completions.create({
        model: "qwen3-coder-plus",
        messages: [{ role: "user", content: "hi" }],
      });
      assertEquals(answer.choices[0].message.content, text.text, "the other login answered");
      const spent = upstream.requests[0].headers.get("authorization")!.replace(
        /^Bearer qwen-TESTTOKEN-(\w+?)x+$/,
        "$1",
      );
      // The state file is written shortly after the request.
      await new Promise((resolve) => setTimeout(resolve, 1500));
      const accounts = await runSubgate(["accounts"], { home });
      const line = accounts.stdout.split("\n").find((l) => l.includes(`${spent}@example.com`)) ??
        "";
      const until = /resting until (\S+Z) \(quota spent\)/.exec(line)?.[1];
      assert(until, `the spent login rests with its quota: ${accounts.stdout}`);
      const reset = new Date(until);
      assertEquals(reset.getUTCHours(), 16, "midnight in China is 16:00 UTC");
      assert(reset.getTime() - Date.now() <= 24 * 3600_000 && reset.getTime() > Date.now());
      assertMatch(accounts.stdout, /ready/);
    } finally {
      await server.stop();
      await upstream.close();
    }
  }));
