import { Anthropic } from "./helpers/npm.ts";
import { OpenAI } from "./helpers/npm.ts";
import { assert, assertEquals, assertMatch } from "./helpers/assert.ts";
import { CAPTURES } from "./helpers/fixture-expectations.ts";
import { KEY, withMatrixWorld } from "./helpers/matrix-world.ts";
import { chunksAsSse, readJsonFixture } from "./helpers/provider-fixtures.ts";

Deno.test("an upstream's error reaches each client in its own dialect, with status and retry-after", () =>
  withMatrixWorld(async ({ openai, anthropic, upstream, server }) => {
    const quota = JSON.stringify(readJsonFixture("gemini", "google-429-retry-info.json"));
    upstream.answer("gemini", { status: 429, body: quota });
    const openaiError = await openai.chat.completions.create({
      model: "via-gemini",
      messages: [{ role: "user", content: "hi" }],
    }).then(() => undefined, (error) => error);
    assert(openaiError instanceof OpenAI.RateLimitError, String(openaiError));
    assertMatch(openaiError.message, /exceeded your current quota/);
    assertEquals(openaiError.headers.get("retry-after"), "35");

    upstream.answer("gemini", { status: 429, body: quota });
    const anthropicError = await anthropic.messages.create({
      model: "via-gemini",
      max_tokens: 10,
      messages: [{ role: "user", content: "hi" }],
    }).then(() => undefined, (error) => error);
    assert(anthropicError instanceof Anthropic.RateLimitError, String(anthropicError));
    assertMatch(JSON.stringify(anthropicError.error), /"type":"rate_limit_error"/);

    // An Anthropic overload seen by a Gemini client.
    upstream.answer("anthropic", {
      status: 529,
      body: `{"type":"error","error":{"type":"overloaded_error","message":"Overloaded"}}`,
    });
    const google = await fetch(`${server.url}/v1beta/models/via-anthropic:generateContent`, {
      method: "POST",
      headers: { "x-goog-api-key": KEY },
      body: `{"contents":[{"role":"user","parts":[{"text":"hi"}]}]}`,
    });
    const body = await google.json();
    assertEquals(body.error.status, "UNAVAILABLE");
    assertMatch(body.error.message, /Overloaded/);
    assert(google.status >= 500);
  }));

Deno.test("an error in the middle of an upstream stream becomes the client dialect's stream error", () =>
  withMatrixWorld(async ({ anthropic, openai, upstream }) => {
    upstream.answer("openai-responses", {
      body: chunksAsSse("openai-responses", "openai-error.1.chunks.txt"),
    });
    const streamed = await anthropic.messages.stream({
      model: "via-responses",
      max_tokens: 10,
      messages: [{ role: "user", content: "hi" }],
    }).finalMessage().then(() => undefined, (error) => error);
    assert(streamed instanceof Anthropic.APIError, `the Anthropic SDK raises: ${streamed}`);

    // A stream cut off by the upstream: the chat client still gets an error and the stream ends.
    const whole = CAPTURES.textStream.anthropic().body;
    upstream.answer("anthropic", { body: whole.slice(0, Math.floor(whole.length / 2)) });
    const chunks = await openai.chat.completions.create({
      model: "via-anthropic",
      messages: [{ role: "user", content: "hi" }],
      stream: true,
    });
    const failure = await (async () => {
      for await (const _ of chunks) { /* read to the end */ }
    })().then(() => undefined, (error) => error);
    assert(failure instanceof OpenAI.APIError, `the OpenAI SDK raises: ${failure}`);
  }));
