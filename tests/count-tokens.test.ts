import { assert, assertEquals } from "./helpers/assert.ts";
import { KEY, withMatrixWorld } from "./helpers/matrix-world.ts";

const MESSAGES = [{ role: "user" as const, content: "How many tokens is this sentence, roughly?" }];

Deno.test("count_tokens asks the upstream when it can count, and estimates locally otherwise", () =>
  withMatrixWorld(async ({ anthropic, google, upstream, server }) => {
    // Anthropic upstream: its own count_tokens endpoint answers.
    upstream.answer("anthropic", { body: `{"input_tokens":42}` });
    const counted = await anthropic.messages.countTokens({
      model: "via-anthropic",
      messages: MESSAGES,
    });
    assertEquals(counted.input_tokens, 42);
    assertEquals(upstream.requests.at(-1)!.path, "/v1/messages/count_tokens");

    // Gemini upstream, Anthropic client: translated to countTokens.
    upstream.answer("gemini", { body: `{"totalTokens":17}` });
    const viaGemini = await anthropic.messages.countTokens({
      model: "via-gemini",
      messages: MESSAGES,
    });
    assertEquals(viaGemini.input_tokens, 17);
    assert(upstream.requests.at(-1)!.path.endsWith("/models/gemini-upstream:countTokens"));

    // An OpenAI-compatible upstream cannot count: the local estimate (about 4 characters a token).
    const before = upstream.requests.length;
    const estimated = await anthropic.messages.countTokens({
      model: "via-chat",
      messages: MESSAGES,
    });
    assertEquals(estimated.input_tokens, Math.ceil(MESSAGES[0].content.length / 4));
    assertEquals(upstream.requests.length, before, "no upstream call for an estimate");

    // Gemini client, Gemini upstream: passthrough to countTokens.
    upstream.answer("gemini", { body: `{"totalTokens":9}` });
    const fromGoogle = await google.models.countTokens({
      model: "via-gemini",
      contents: "Hello there",
    });
    assertEquals(fromGoogle.totalTokens, 9);

    // Gemini client, chat upstream: estimate.
    const local = await fetch(`${server.url}/v1beta/models/via-chat:countTokens`, {
      method: "POST",
      headers: { "x-goog-api-key": KEY },
      body: JSON.stringify({ contents: [{ role: "user", parts: [{ text: "12345678" }] }] }),
    });
    assertEquals(await local.json(), { totalTokens: 2 });
    assertEquals(upstream.violations, []);
  }));
