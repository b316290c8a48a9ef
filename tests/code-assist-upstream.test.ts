import { GoogleGenAI } from "./helpers/npm.ts";
import { OpenAI } from "./helpers/npm.ts";
import { assertEquals } from "./helpers/assert.ts";
import { CAPTURES } from "./helpers/fixture-expectations.ts";
import { writeAccount } from "./helpers/fixtures.ts";
import { readChunks, readJsonFixture } from "./helpers/provider-fixtures.ts";
import { startReplayUpstream } from "./helpers/replay-upstream.ts";
import { startSubgate, withTempHome } from "./helpers/subgate-process.ts";

/** A Gemini capture as Code Assist sends it: every answer wrapped in `{"response": …}`. */
function wrappedStream(name: string): string {
  return readChunks("gemini", name).map((chunk) =>
    `data: ${JSON.stringify({ response: chunk, traceId: "t1" })}\n\n`
  )
    .join("");
}

Deno.test("a Gemini login serves through Code Assist: envelope with the project up, answers unwrapped", () =>
  withTempHome(async (home) => {
    const upstream = startReplayUpstream();
    const dir = `${home}/.subgate`;
    await Deno.mkdir(dir, { recursive: true, mode: 0o700 });
    await writeAccount(
      `${dir}/gemini-ada@example.com.json`,
      JSON.stringify({
        type: "gemini",
        access_token: "ya29.TESTACCESSTOKENxxxxxxxx",
        refresh_token: "1//TESTREFRESHyyyyyyyyyyyy",
        email: "ada@example.com",
        project_id: "proj-77",
        expired: "2099-01-01T00:00:00Z",
      }),
    );
    await Deno.writeTextFile(
      `${dir}/config.yaml`,
      `providers:\n  gemini:\n    base-url: ${upstream.url}/v1internal\n`,
    );
    const server = await startSubgate([], { home });
    try {
      const google = new GoogleGenAI({ apiKey: "any", httpOptions: { baseUrl: server.url } });
      const text = CAPTURES.text.gemini();
      upstream.answer("gemini", {
        body: JSON.stringify({
          response: readJsonFixture("gemini", "google-text.json"),
          traceId: "t0",
        }),
      });
      const answer = await google.models.generateContent({
        model: "gemini-2.5-pro",
        contents: "hi",
      });
      assertEquals(
        answer.candidates?.[0]?.content?.parts?.filter((p) => !p.thought).map((p) => p.text).join(
          "",
        ),
        text.text,
      );
      const seen = upstream.requests.at(-1)!;
      assertEquals(seen.path, "/v1internal:generateContent");
      assertEquals(seen.json.model, "gemini-2.5-pro");
      assertEquals(seen.json.project, "proj-77");
      assertEquals(seen.headers.get("authorization"), "Bearer ya29.TESTACCESSTOKENxxxxxxxx");

      const streamed = CAPTURES.textStream.gemini();
      upstream.answer("gemini", { body: wrappedStream("google-text.chunks.txt") });
      let collected = "";
      for await (
        const chunk of await google.models.generateContentStream({
          model: "gemini-2.5-pro",
          contents: "hi",
        })
      ) {
        for (const part of chunk.candidates?.[0]?.content?.parts ?? []) {
          if (part.text && !part.thought) collected += part.text;
        }
      }
      assertEquals(collected, streamed.text);
      assertEquals(upstream.requests.at(-1)!.search, "?alt=sse");

      upstream.answer("gemini", { body: wrappedStream("google-text.chunks.txt") });
      const openai = new OpenAI({ apiKey: "any", baseURL: `${server.url}/v1`, maxRetries: 0 });
      let chat = "";
      for await (
        const chunk of await openai.chat.completions.create({
          model: "gemini-2.5-pro",
          messages: [{ role: "user", content: "hi" }],
          stream: true,
        })
      ) chat += chunk.choices[0]?.delta?.content ?? "";
      assertEquals(chat, streamed.text);

      // Code Assist goes through the codec: what subgate does not know must still get there.
      upstream.answer("gemini", {
        body: JSON.stringify({ response: readJsonFixture("gemini", "google-text.json") }),
      });
      const unknown = {
        contents: [{ role: "user", parts: [{ text: "hi" }, { futurePart: { x: 1 } }] }],
        toolConfig: { functionCallingConfig: { mode: "FUTURE_MODE" } },
      };
      const response = await fetch(`${server.url}/v1beta/models/gemini-2.5-pro:generateContent`, {
        method: "POST",
        headers: { "x-goog-api-key": "any", "content-type": "application/json" },
        body: JSON.stringify(unknown),
      });
      assertEquals(response.status, 200);
      await response.body?.cancel();
      const inner = upstream.requests.at(-1)!.json.request as Record<string, unknown>;
      assertEquals(inner.contents, unknown.contents);
      assertEquals(inner.toolConfig, unknown.toolConfig);
      assertEquals(upstream.violations, []);
    } finally {
      await server.stop();
      await upstream.close();
    }
  }));
