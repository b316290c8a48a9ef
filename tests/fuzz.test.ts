/**
 * A bounded fuzz of every generation route: valid requests of each dialect, mutated a few
 * thousand times (bytes flipped, cut or repeated; values swapped for other types, huge strings,
 * deep nesting, odd numbers) and sent to a running subgate in front of upstreams that answer
 * anything. Whatever the input, the answer is never a 500 and always a body in the client's own
 * dialect; and the server survives it all. The seed is fixed, so a failure replays.
 */
import { assert, assertEquals } from "./helpers/assert.ts";
import { startModelUpstream } from "./helpers/model-upstream.ts";
import { type RunningSubgate, startSubgate, withTempHome } from "./helpers/subgate-process.ts";

const PER_ROUTE = 1500;
const KEY = "sg-fuzz";

/** Mulberry32: small, fast, and the same sequence for the same seed. */
function random(seed: number): () => number {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

const tools = [{
  type: "function",
  function: {
    name: "weather",
    description: "Weather",
    parameters: { type: "object", properties: { city: { type: "string" } }, required: ["city"] },
  },
}];

/** A valid request per route, with the models of the three upstream dialects to pick from. */
const ROUTES: {
  path: (model: string) => string;
  dialect: string;
  body: (model: string) => unknown;
}[] = [
  {
    path: () => "/v1/chat/completions",
    dialect: "openai",
    body: (model) => ({
      model,
      stream: false,
      max_tokens: 32,
      temperature: 0.5,
      messages: [
        { role: "system", content: "Be brief." },
        { role: "user", content: [{ type: "text", text: "hi" }] },
        {
          role: "assistant",
          content: null,
          tool_calls: [{
            id: "c1",
            type: "function",
            function: { name: "weather", arguments: '{"city":"Oslo"}' },
          }],
        },
        { role: "tool", tool_call_id: "c1", content: "sunny" },
      ],
      tools,
      tool_choice: "auto",
    }),
  },
  {
    path: () => "/v1/responses",
    dialect: "openai",
    body: (model) => ({
      model,
      instructions: "Be brief.",
      input: [
        { type: "message", role: "user", content: [{ type: "input_text", text: "hi" }] },
        { type: "function_call", call_id: "c1", name: "weather", arguments: '{"city":"Oslo"}' },
        { type: "function_call_output", call_id: "c1", output: "sunny" },
      ],
      tools: [{
        type: "function",
        name: "weather",
        parameters: tools[0].function.parameters,
      }],
      reasoning: { effort: "low" },
      max_output_tokens: 32,
    }),
  },
  {
    path: () => "/v1/messages",
    dialect: "anthropic",
    body: (model) => ({
      model,
      max_tokens: 32,
      system: [{ type: "text", text: "Be brief.", cache_control: { type: "ephemeral" } }],
      messages: [
        { role: "user", content: "hi" },
        {
          role: "assistant",
          content: [
            { type: "thinking", thinking: "t", signature: "sig" },
            { type: "tool_use", id: "t1", name: "weather", input: { city: "Oslo" } },
          ],
        },
        {
          role: "user",
          content: [{ type: "tool_result", tool_use_id: "t1", content: "sunny" }],
        },
      ],
      tools: [{
        name: "weather",
        description: "Weather",
        input_schema: tools[0].function.parameters,
      }],
    }),
  },
  {
    path: (model) => `/v1beta/models/${model}:generateContent`,
    dialect: "gemini",
    body: () => ({
      systemInstruction: { parts: [{ text: "Be brief." }] },
      contents: [
        { role: "user", parts: [{ text: "hi" }] },
        { role: "model", parts: [{ functionCall: { name: "weather", args: { city: "Oslo" } } }] },
        {
          role: "user",
          parts: [{ functionResponse: { name: "weather", response: { output: "sunny" } } }],
        },
      ],
      tools: [{
        functionDeclarations: [{ name: "weather", parameters: tools[0].function.parameters }],
      }],
      generationConfig: { maxOutputTokens: 32, temperature: 0.2 },
    }),
  },
];

const MODELS = ["fz-anthropic", "fz-chat", "fz-gemini"];

function oddValue(next: () => number): Json {
  const pick = Math.floor(next() * 12);
  switch (pick) {
    case 0:
      return null;
    case 1:
      return next() < 0.5;
    case 2:
      return [-1, 0, 1e308, -1e-308, 2 ** 53 + 1, 1.5][Math.floor(next() * 6)];
    case 3:
      return "";
    case 4:
      return "x".repeat(Math.floor(next() * 100_000));
    case 5:
      return "\u0000\ud800\u202e<script>%ZZ";
    case 6:
      return [];
    case 7:
      return {};
    case 8: {
      let deep: Json = "bottom";
      for (let i = 0; i < 1 + Math.floor(next() * 400); i++) {
        deep = next() < 0.5 ? [deep] : { a: deep };
      }
      return deep;
    }
    case 9:
      return Array.from({ length: 50 }, (_, i) => i);
    case 10:
      return { type: "unknown_type", text: 1 };
    default:
      return "claude-" + "y".repeat(Math.floor(next() * 300));
  }
}

/** Replaces one random node of `value` (a copy) with an odd value. */
function mutateJson(value: Json, next: () => number): Json {
  if (value === null || typeof value !== "object" || next() < 0.25) return oddValue(next);
  const copy: Json = Array.isArray(value) ? [...value] : { ...value };
  const keys = Object.keys(copy);
  if (keys.length === 0) return oddValue(next);
  const key = keys[Math.floor(next() * keys.length)];
  const target = copy as Record<string, Json>;
  if (next() < 0.1) delete target[key];
  else target[key] = mutateJson(target[key], next);
  return copy;
}

/** Mutates the text itself: a flipped, cut or repeated piece. */
function mutateText(text: string, next: () => number): string {
  const at = Math.floor(next() * text.length);
  switch (Math.floor(next() * 4)) {
    case 0:
      return text.slice(0, at) + String.fromCharCode(Math.floor(next() * 128)) + text.slice(at + 1);
    case 1:
      return text.slice(0, at);
    case 2:
      return text.slice(0, at) + text.slice(at, at + 20).repeat(3) + text.slice(at);
    default:
      return text.slice(0, at) + '{"":[' + text.slice(at);
  }
}

function isDialectError(dialect: string, body: unknown): boolean {
  const error = (body as { error?: Record<string, unknown> } | null)?.error;
  if (!error || typeof error !== "object") return false;
  if (dialect === "anthropic") return (body as { type?: string }).type === "error";
  if (dialect === "gemini") return typeof error.code === "number";
  return typeof error.message === "string";
}

async function fuzzRoute(server: RunningSubgate, route: typeof ROUTES[number], seed: number) {
  const next = random(seed);
  const statuses = new Map<number, number>();
  for (let i = 0; i < PER_ROUTE; i++) {
    const model = MODELS[Math.floor(next() * MODELS.length)];
    const valid = route.body(model) as Json;
    const text = next() < 0.7
      ? JSON.stringify(mutateJson(valid, next))
      : mutateText(JSON.stringify(valid), next);
    const response = await fetch(`${server.url}${route.path(model)}`, {
      method: "POST",
      headers: { authorization: `Bearer ${KEY}`, "content-type": "application/json" },
      body: text,
    });
    const answer = await response.text();
    statuses.set(response.status, (statuses.get(response.status) ?? 0) + 1);
    const what = `${route.path(model)} #${i} (seed ${seed}): ${text.slice(0, 300)}`;
    assert(response.status !== 500, `500 for ${what}\n${answer.slice(0, 300)}`);
    if (response.status >= 400) {
      let parsed: unknown;
      try {
        parsed = JSON.parse(answer);
      } catch {
        parsed = undefined;
      }
      assert(isDialectError(route.dialect, parsed), `not a ${route.dialect} error: ${what}`);
    }
  }
  return statuses;
}

Deno.test("thousands of mutated requests: never a 500, always an answer in the client's dialect", async () => {
  const upstream = startModelUpstream({ knows: () => true, list: [] });
  try {
    await withTempHome(async (home) => {
      await Deno.mkdir(`${home}/.subgate`, { mode: 0o700 });
      await Deno.writeTextFile(
        `${home}/.subgate/config.yaml`,
        [
          `api-keys: [${KEY}]`,
          "log-level: warn",
          "claude-api-key:",
          `  - api-key: a\n    base-url: ${upstream.url}\n    models: [fz-anthropic]`,
          "gemini-api-key:",
          `  - api-key: g\n    base-url: ${upstream.url}\n    models: [fz-gemini]`,
          "openai-compatibility:",
          `  - name: chat\n    base-url: ${upstream.url}/v1\n    models: [fz-chat]`,
        ].join("\n"),
      );
      const server = await startSubgate([], { home });
      try {
        const results = await Promise.all(
          ROUTES.map((route, index) => fuzzRoute(server, route, 1000 + index)),
        );
        // The fuzz reached the upstreams too, not only the request checks.
        const served = results.reduce((sum, statuses) => sum + (statuses.get(200) ?? 0), 0);
        assert(served > 100, `only ${served} mutated requests were served`);
        assertEquals((await fetch(`${server.url}/healthz`)).status, 200);
        assert(!/ERROR/.test(server.log()), server.log().slice(-2000));
      } finally {
        await server.stop();
      }
    });
  } finally {
    await upstream.close();
  }
});
