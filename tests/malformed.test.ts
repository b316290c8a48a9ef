import { assertEquals, assertMatch } from "./helpers/assert.ts";
import { KEY, withMatrixWorld } from "./helpers/matrix-world.ts";

type Case = { body: string; problem: RegExp };

/** What is wrong and where, never a quote of the body. */
const JSON_PROBLEM =
  /^The request body is not valid JSON \([^"]* at position \d+ \(line \d+ column \d+\)\)\.$/;

/** Per endpoint: where to send, how the dialect's error reads, and broken bodies. */
const ENDPOINTS = [
  {
    name: "OpenAI Chat",
    path: "/v1/chat/completions",
    message: (body: Record<string, Record<string, string>>) => body.error.message,
    cases: [
      { body: `{"model":"via-chat","messages":[}`, problem: JSON_PROBLEM },
      { body: `[1,2]`, problem: /must be a JSON object/ },
      { body: `{"messages":[{"role":"user","content":"hi"}]}`, problem: /model/ },
      { body: `{"model":"via-chat","messages":[]}`, problem: /messages/ },
      {
        body: `{"model":"via-chat","messages":[{"role":"robot","content":"hi"}]}`,
        problem: /role/,
      },
      { body: `{"model":"via-chat","messages":"hi"}`, problem: /messages/ },
    ] as Case[],
  },
  {
    name: "OpenAI Responses",
    path: "/v1/responses",
    message: (body: Record<string, Record<string, string>>) => body.error.message,
    cases: [
      { body: `{"model":`, problem: JSON_PROBLEM },
      { body: `{"input":"hi"}`, problem: /model/ },
      { body: `{"model":"via-responses","input":[]}`, problem: /input/ },
      {
        body: `{"model":"via-responses","input":[{"type":"message","role":"robot","content":"x"}]}`,
        problem: /role/,
      },
    ] as Case[],
  },
  {
    name: "Anthropic",
    path: "/v1/messages",
    message: (body: Record<string, Record<string, string>>) => body.error.message,
    cases: [
      { body: `not json`, problem: JSON_PROBLEM },
      { body: `{"max_tokens":5,"messages":[{"role":"user","content":"hi"}]}`, problem: /model/ },
      { body: `{"model":"via-anthropic","max_tokens":5,"messages":[]}`, problem: /messages/ },
      {
        body:
          `{"model":"via-anthropic","max_tokens":5,"messages":[{"role":"robot","content":"hi"}]}`,
        problem: /role/,
      },
      {
        body:
          `{"model":"via-anthropic","max_tokens":"lots","messages":[{"role":"user","content":"hi"}]}`,
        problem: /max_tokens/,
      },
    ] as Case[],
  },
  {
    name: "Gemini",
    path: "/v1beta/models/via-gemini:generateContent",
    message: (body: Record<string, Record<string, string>>) => body.error.message,
    cases: [
      { body: `{"contents":`, problem: JSON_PROBLEM },
      { body: `{"contents":[]}`, problem: /contents/ },
      { body: `{"contents":[{"role":"robot","parts":[{"text":"hi"}]}]}`, problem: /role/ },
      { body: `{"contents":"hi"}`, problem: /contents/ },
    ] as Case[],
  },
];

Deno.test("malformed requests get a 400 in the client's dialect naming the problem", async (t) => {
  await withMatrixWorld(async ({ server, upstream }) => {
    for (const endpoint of ENDPOINTS) {
      for (const { body, problem } of endpoint.cases) {
        await t.step(`${endpoint.name}: ${body.slice(0, 60)}`, async () => {
          const response = await fetch(`${server.url}${endpoint.path}`, {
            method: "POST",
            headers: {
              authorization: `Bearer ${KEY}`,
              "x-goog-api-key": KEY,
              "anthropic-version": "2023-06-01",
            },
            body,
          });
          assertEquals(response.status, 400);
          const parsed = await response.json();
          if (endpoint.name === "Anthropic") assertEquals(parsed.type, "error");
          if (endpoint.name === "Gemini") assertEquals(parsed.error.status, "INVALID_ARGUMENT");
          if (endpoint.name.startsWith("OpenAI")) {
            assertEquals(parsed.error.type, "invalid_request_error");
          }
          assertMatch(endpoint.message(parsed), problem);
        });
      }
    }
    assertEquals(upstream.requests.length, 0, "nothing malformed reaches an upstream");
  });
});

Deno.test("an unknown model gets 404 naming the closest models; a WebSocket upgrade is refused at once", () =>
  withMatrixWorld(async ({ server }) => {
    const response = await fetch(`${server.url}/v1/chat/completions`, {
      method: "POST",
      headers: { authorization: `Bearer ${KEY}` },
      body: `{"model":"via-chta","messages":[{"role":"user","content":"hi"}]}`,
    });
    assertEquals(response.status, 404);
    assertMatch((await response.json()).error.message, /'via-chta'.*Closest available: via-chat/);
    const ws = await fetch(`${server.url}/v1/responses`, {
      headers: { authorization: `Bearer ${KEY}`, upgrade: "websocket", connection: "Upgrade" },
    });
    assertEquals(ws.status, 426);
    await ws.body?.cancel();
  }));
