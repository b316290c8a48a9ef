import { assertEquals } from "./helpers/assert.ts";
import { CAPTURES } from "./helpers/fixture-expectations.ts";
import { KEY, MODELS, withMatrixWorld } from "./helpers/matrix-world.ts";
import {
  createAnthropic,
  createGoogleGenerativeAI,
  createOpenAI,
  generateText,
  streamText,
} from "./helpers/npm.ts";

Deno.test("the Vercel AI SDK's providers work against subgate, plain and streaming", () =>
  withMatrixWorld(async ({ server, upstream }) => {
    const openai = createOpenAI({ baseURL: `${server.url}/v1`, apiKey: KEY });
    const anthropic = createAnthropic({ baseURL: `${server.url}/v1`, apiKey: KEY });
    const google = createGoogleGenerativeAI({ baseURL: `${server.url}/v1beta`, apiKey: KEY });

    // Responses (the OpenAI provider's default) reaching an Anthropic upstream.
    upstream.answer("anthropic", { body: CAPTURES.text.anthropic().body });
    const viaResponses = await generateText({
      model: openai(MODELS.anthropic.alias),
      prompt: "hi",
    });
    assertEquals(viaResponses.text, CAPTURES.text.anthropic().text);

    // Chat Completions, streaming, reaching a Gemini upstream.
    const stream = CAPTURES.textStream.gemini();
    upstream.answer("gemini", { body: stream.body });
    let chat = "";
    for await (
      const part of streamText({ model: openai.chat(MODELS.gemini.alias), prompt: "hi" }).textStream
    ) chat += part;
    assertEquals(chat, stream.text);

    // The Anthropic provider reaching a Responses upstream.
    upstream.answer("openai-responses", { body: CAPTURES.text["openai-responses"]().body });
    const viaMessages = await generateText({
      model: anthropic(MODELS["openai-responses"].alias),
      prompt: "hi",
    });
    assertEquals(viaMessages.text, CAPTURES.text["openai-responses"]().text);

    // The Google provider reaching a Chat Completions upstream.
    upstream.answer("openai-chat", { body: CAPTURES.text["openai-chat"]().body });
    const viaGemini = await generateText({
      model: google(MODELS["openai-chat"].alias),
      prompt: "hi",
    });
    assertEquals(viaGemini.text, CAPTURES.text["openai-chat"]().text);
    assertEquals(upstream.violations, []);
  }));
