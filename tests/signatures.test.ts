import { assert, assertEquals } from "./helpers/assert.ts";
import { CAPTURES } from "./helpers/fixture-expectations.ts";
import { withMatrixWorld } from "./helpers/matrix-world.ts";
import { chunksAsSse, readChunks } from "./helpers/provider-fixtures.ts";

type Json = Record<string, unknown>;

/** Every thoughtSignature in a Gemini capture. */
function geminiSignatures(name: string): string[] {
  return readChunks("gemini", name).flatMap((chunk) =>
    (((chunk.candidates as Json[] | undefined)?.[0]?.content as Json | undefined)?.parts as
      | Json[]
      | undefined ?? [])
      .map((part) => part.thoughtSignature).filter((s): s is string => typeof s === "string")
  );
}

Deno.test("a Gemini signature streamed to an Anthropic client returns to Gemini unchanged, and never reaches Anthropic", () =>
  withMatrixWorld(async ({ anthropic, upstream }) => {
    const fixture = "google-reasoning-gemini3.chunks.txt";
    const [signature] = geminiSignatures(fixture);
    assert(signature, "the capture carries a signature");
    upstream.answer("gemini", { body: chunksAsSse("gemini", fixture) });
    const first = await anthropic.messages.stream({
      model: "via-gemini",
      max_tokens: 1024,
      messages: [{ role: "user", content: "Think, then answer." }],
    }).finalMessage();
    const thinking = first.content.find((block) => block.type === "thinking");
    assert(thinking?.type === "thinking", "the client gets a thinking block");
    assert(thinking.signature.length > 0 && thinking.signature !== signature, "wrapped, not raw");

    // Next turn to the same Gemini upstream: the original signature goes back.
    upstream.answer("gemini", { body: CAPTURES.text.gemini().body });
    await anthropic.messages.create({
      model: "via-gemini",
      max_tokens: 1024,
      messages: [
        { role: "user", content: "Think, then answer." },
        { role: "assistant", content: first.content },
        { role: "user", content: "And again?" },
      ],
    });
    assert(
      upstream.requests.at(-1)!.text.includes(`"thoughtSignature":${JSON.stringify(signature)}`),
    );

    // The same history sent to an Anthropic upstream: Gemini's signature is dropped, not forwarded.
    upstream.answer("anthropic", { body: CAPTURES.text.anthropic().body });
    await anthropic.messages.create({
      model: "via-anthropic",
      max_tokens: 1024,
      messages: [
        { role: "user", content: "Think, then answer." },
        { role: "assistant", content: first.content },
        { role: "user", content: "And again?" },
      ],
    });
    const sent = upstream.requests.at(-1)!.text;
    assert(!sent.includes(signature), "no foreign signature reaches Anthropic");
    assertEquals(upstream.violations, []);
  }));
