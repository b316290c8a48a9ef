import { assertEquals } from "./helpers/assert.ts";
import { type Capture, CAPTURES } from "./helpers/fixture-expectations.ts";
import { type MatrixWorld, MODELS, withMatrixWorld } from "./helpers/matrix-world.ts";
import type { UpstreamDialect } from "./helpers/replay-upstream.ts";

type Outcome = { text: string; toolCall?: { name: string; args: unknown } };
type Scenario = keyof typeof CAPTURES;

const WEATHER = {
  name: "weather",
  description: "Get the weather in a location",
  schema: {
    type: "object",
    properties: { location: { type: "string" } },
    required: ["location"],
  },
};
const PROMPT = "What is the weather in San Francisco?";

/** How each client dialect's real SDK asks and what it gets back. */
const CLIENTS: Record<
  "openai-chat" | "openai-responses" | "anthropic" | "gemini",
  (world: MatrixWorld, model: string, stream: boolean, tools: boolean) => Promise<Outcome>
> = {
  async "openai-chat"({ openai }, model, stream, tools) {
    const request = {
      model,
      messages: [{ role: "user" as const, content: PROMPT }],
      ...(tools
        ? {
          tools: [{
            type: "function" as const,
            function: {
              name: WEATHER.name,
              description: WEATHER.description,
              parameters: WEATHER.schema,
            },
          }],
        }
        : {}),
    };
    if (!stream) {
      const answer = await openai.chat.completions.create(request);
      const call = answer.choices[0].message.tool_calls?.[0];
      return {
        text: answer.choices[0].message.content ?? "",
        toolCall: call?.type === "function"
          ? { name: call.function.name, args: JSON.parse(call.function.arguments) }
          : undefined,
      };
    }
    const chunks = await openai.chat.completions.create({
      ...request,
      stream: true,
      stream_options: { include_usage: true },
    });
    let text = "";
    let name: string | undefined;
    let args = "";
    for await (const chunk of chunks) {
      const delta = chunk.choices[0]?.delta;
      text += delta?.content ?? "";
      const call = delta?.tool_calls?.find((c) => c.index === 0);
      if (call?.function?.name) name = call.function.name;
      args += call?.function?.arguments ?? "";
    }
    return { text, toolCall: name ? { name, args: JSON.parse(args || "{}") } : undefined };
  },

  async "openai-responses"({ openai }, model, stream, tools) {
    const request = {
      model,
      input: PROMPT,
      ...(tools
        ? {
          tools: [{
            type: "function" as const,
            name: WEATHER.name,
            description: WEATHER.description,
            parameters: WEATHER.schema,
            strict: false,
          }],
        }
        : {}),
    };
    let response;
    if (!stream) response = await openai.responses.create(request);
    else {
      const events = await openai.responses.create({ ...request, stream: true });
      let streamed = "";
      for await (const event of events) {
        if (event.type === "response.output_text.delta") streamed += event.delta;
        if (event.type === "response.completed") response = event.response;
      }
      if (response) assertEquals(streamed, response.output_text ?? streamed);
    }
    if (!response) throw new Error("the stream had no response.completed");
    const call = response.output.find((item) => item.type === "function_call");
    const text = response.output.filter((item) => item.type === "message")
      .flatMap((item) => item.content).map((part) => part.type === "output_text" ? part.text : "")
      .join("");
    return {
      text,
      toolCall: call?.type === "function_call"
        ? { name: call.name, args: JSON.parse(call.arguments) }
        : undefined,
    };
  },

  async anthropic({ anthropic }, model, stream, tools) {
    const request = {
      model,
      max_tokens: 1024,
      messages: [{ role: "user" as const, content: PROMPT }],
      ...(tools
        ? {
          tools: [{
            name: WEATHER.name,
            description: WEATHER.description,
            input_schema: WEATHER.schema as { type: "object" },
          }],
        }
        : {}),
    };
    const message = stream
      ? await anthropic.messages.stream(request).finalMessage()
      : await anthropic.messages.create(request);
    const tool = message.content.find((block) => block.type === "tool_use");
    return {
      text: message.content.map((block) => block.type === "text" ? block.text : "").join(""),
      toolCall: tool?.type === "tool_use" ? { name: tool.name, args: tool.input } : undefined,
    };
  },

  async gemini({ google }, model, stream, tools) {
    const request = {
      model,
      contents: PROMPT,
      config: tools
        ? {
          tools: [{
            functionDeclarations: [{
              name: WEATHER.name,
              description: WEATHER.description,
              parametersJsonSchema: WEATHER.schema,
            }],
          }],
        }
        : undefined,
    };
    if (!stream) {
      const answer = await google.models.generateContent(request);
      const call = answer.functionCalls?.[0];
      return {
        text: answer.candidates?.[0]?.content?.parts?.filter((p) => !p.thought)
          .map((p) => p.text ?? "").join("") ?? "",
        toolCall: call ? { name: call.name!, args: call.args ?? {} } : undefined,
      };
    }
    let text = "";
    let toolCall: Outcome["toolCall"];
    for await (const chunk of await google.models.generateContentStream(request)) {
      for (const part of chunk.candidates?.[0]?.content?.parts ?? []) {
        if (part.text && !part.thought) text += part.text;
        if (part.functionCall && !toolCall) {
          toolCall = { name: part.functionCall.name!, args: part.functionCall.args ?? {} };
        }
      }
    }
    return { text, toolCall };
  },
};

const UPSTREAMS: UpstreamDialect[] = ["anthropic", "openai-chat", "openai-responses", "gemini"];
const SCENARIOS: { name: Scenario; stream: boolean; tools: boolean }[] = [
  { name: "text", stream: false, tools: false },
  { name: "textStream", stream: true, tools: false },
  { name: "tool", stream: false, tools: true },
  { name: "toolStream", stream: true, tools: true },
];

for (const client of Object.keys(CLIENTS) as (keyof typeof CLIENTS)[]) {
  Deno.test(`${client} SDK against every upstream dialect`, async (t) => {
    await withMatrixWorld(async (world) => {
      for (const upstream of UPSTREAMS) {
        for (const scenario of SCENARIOS) {
          await t.step(`${upstream} upstream, ${scenario.name}`, async () => {
            const capture: Capture = CAPTURES[scenario.name][upstream]();
            world.upstream.answer(upstream, { body: capture.body });
            const before = world.upstream.requests.length;
            const outcome = await CLIENTS[client](
              world,
              MODELS[upstream].alias,
              scenario.stream,
              scenario.tools,
            );
            assertEquals(world.upstream.violations, []);
            const seen = world.upstream.requests.slice(before);
            assertEquals(seen.length, 1, "one upstream call");
            const asked = upstream === "gemini" ? seen[0].path : String(seen[0].json.model);
            assertEquals(asked.includes(MODELS[upstream].upstream), true, "upstream model name");
            assertEquals(outcome.text, capture.text);
            assertEquals(outcome.toolCall, capture.toolCall);
          });
        }
      }
    });
  });
}
