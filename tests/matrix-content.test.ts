import { assert, assertEquals } from "./helpers/assert.ts";
import { CAPTURES, reasoningCapture } from "./helpers/fixture-expectations.ts";
import { type MatrixWorld, MODELS, withMatrixWorld } from "./helpers/matrix-world.ts";
import type { RecordedRequest, UpstreamDialect } from "./helpers/replay-upstream.ts";

// A real 1×1 PNG.
const PNG =
  "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg==";
const ASK = "What is in this image?";

type Client = "openai-chat" | "openai-responses" | "anthropic" | "gemini";
type Answer = { text: string; reasoning: string };

/** Each SDK sends the same picture its own way, and returns text and reasoning as it exposes them. */
const CLIENTS: Record<
  Client,
  (world: MatrixWorld, model: string, image: boolean) => Promise<Answer>
> = {
  async "openai-chat"({ openai }, model, image) {
    const answer = await openai.chat.completions.create({
      model,
      messages: [{
        role: "user",
        content: image
          ? [{ type: "text", text: ASK }, {
            type: "image_url",
            image_url: { url: `data:image/png;base64,${PNG}` },
          }]
          : ASK,
      }],
    });
    const message = answer.choices[0].message as {
      content: string | null;
      reasoning_content?: string;
    };
    return { text: message.content ?? "", reasoning: message.reasoning_content ?? "" };
  },
  async "openai-responses"({ openai }, model, image) {
    const answer = await openai.responses.create({
      model,
      input: [{
        role: "user",
        content: image
          ? [{ type: "input_text", text: ASK }, {
            type: "input_image",
            image_url: `data:image/png;base64,${PNG}`,
            detail: "auto",
          }]
          : [{ type: "input_text", text: ASK }],
      }],
      reasoning: { effort: "medium", summary: "auto" },
    });
    const reasoning = answer.output.flatMap((item) =>
      item.type === "reasoning" ? item.summary.map((s) => s.text) : []
    ).join("\n\n");
    return { text: answer.output_text, reasoning };
  },
  async anthropic({ anthropic }, model, image) {
    const answer = await anthropic.messages.create({
      model,
      max_tokens: 4096,
      thinking: { type: "enabled", budget_tokens: 2048 },
      messages: [{
        role: "user",
        content: image
          ? [{ type: "text", text: ASK }, {
            type: "image",
            source: { type: "base64", media_type: "image/png", data: PNG },
          }]
          : ASK,
      }],
    });
    return {
      text: answer.content.map((b) => b.type === "text" ? b.text : "").join(""),
      reasoning: answer.content.map((b) => b.type === "thinking" ? b.thinking : "").join(""),
    };
  },
  async gemini({ google }, model, image) {
    const answer = await google.models.generateContent({
      model,
      contents: [{
        role: "user",
        parts: image
          ? [{ text: ASK }, { inlineData: { mimeType: "image/png", data: PNG } }]
          : [{ text: ASK }],
      }],
      config: { thinkingConfig: { includeThoughts: true } },
    });
    const parts = answer.candidates?.[0]?.content?.parts ?? [];
    return {
      text: parts.filter((p) => !p.thought).map((p) => p.text ?? "").join(""),
      reasoning: parts.filter((p) => p.thought).map((p) => p.text ?? "").join(""),
    };
  },
};

/** Where each upstream dialect expects the picture. */
function imageOf(request: RecordedRequest): string | undefined {
  const body = request.json as Record<string, unknown>;
  const text = JSON.stringify(body);
  const found = {
    anthropic:
      /"type":"image","source":\{"type":"base64","media_type":"image\/png","data":"([^"]+)"/,
    "openai-chat": /"type":"image_url","image_url":\{"url":"data:image\/png;base64,([^"]+)"/,
    "openai-responses": /"type":"input_image"[^}]*"image_url":"data:image\/png;base64,([^"]+)"/,
    gemini: /"inlineData":\{"mimeType":"image\/png","data":"([^"]+)"/,
  }[request.dialect].exec(text);
  return found?.[1];
}

const squash = (text: string) => text.replace(/\s+/g, " ").trim();
const UPSTREAMS: UpstreamDialect[] = ["anthropic", "openai-chat", "openai-responses", "gemini"];

for (const client of Object.keys(CLIENTS) as Client[]) {
  Deno.test(`${client} SDK: images reach every upstream, reasoning comes back from every upstream`, async (t) => {
    await withMatrixWorld(async (world) => {
      for (const upstream of UPSTREAMS) {
        await t.step(`${upstream} upstream, image`, async () => {
          world.upstream.answer(upstream, { body: CAPTURES.text[upstream]().body });
          await CLIENTS[client](world, MODELS[upstream].alias, true);
          assertEquals(world.upstream.violations, []);
          assertEquals(imageOf(world.upstream.requests.at(-1)!), PNG);
        });
        await t.step(`${upstream} upstream, reasoning`, async () => {
          const capture = reasoningCapture(upstream);
          world.upstream.answer(upstream, { body: capture.body });
          const answer = await CLIENTS[client](world, MODELS[upstream].alias, false);
          assertEquals(world.upstream.violations, []);
          assertEquals(squash(answer.text), squash(capture.text));
          assert(capture.reasoning.length > 20, "the capture has reasoning");
          assertEquals(squash(answer.reasoning), squash(capture.reasoning));
        });
      }
    });
  });
}
