/**
 * @module
 * A fast local upstream for the bench. `POST …/v1/messages` answers Anthropic
 * Messages, `POST …/chat/completions` OpenAI Chat Completions: a fixed JSON
 * body, or (for `"stream":true`) an SSE stream of as many text deltas as the
 * request's `max_tokens` (or `max_completion_tokens`; 50 without either), of
 * `?size=B` bytes each (6 by default). The count rides in the body because a
 * translating proxy does not pass the client's query on. Bodies are built
 * once per shape, so the upstream costs next to nothing.
 */
const anthropicJson = JSON.stringify({
  id: "msg_bench",
  type: "message",
  role: "assistant",
  model: "claude-sonnet-4-6",
  content: [{ type: "text", text: "Hello from the bench upstream." }],
  stop_reason: "end_turn",
  stop_sequence: null,
  usage: { input_tokens: 12, output_tokens: 8 },
});

const chatJson = JSON.stringify({
  id: "chatcmpl-bench",
  object: "chat.completion",
  created: 1_700_000_000,
  model: "bench-chat",
  choices: [{
    index: 0,
    message: { role: "assistant", content: "Hello from the bench upstream." },
    finish_reason: "stop",
  }],
  usage: { prompt_tokens: 12, completion_tokens: 8, total_tokens: 20 },
});

const word = (i: number, size: number) => `w${i} `.padEnd(size, "x").slice(0, size);

function anthropicSse(chunks: number, size: number): string {
  const event = (name: string, data: unknown) =>
    `event: ${name}\ndata: ${JSON.stringify(data)}\n\n`;
  let out = event("message_start", {
    type: "message_start",
    message: {
      id: "msg_bench",
      type: "message",
      role: "assistant",
      model: "claude-sonnet-4-6",
      content: [],
      stop_reason: null,
      stop_sequence: null,
      usage: { input_tokens: 12, output_tokens: 1 },
    },
  });
  out += event("content_block_start", {
    type: "content_block_start",
    index: 0,
    content_block: { type: "text", text: "" },
  });
  for (let i = 0; i < chunks; i++) {
    out += event("content_block_delta", {
      type: "content_block_delta",
      index: 0,
      delta: { type: "text_delta", text: word(i, size) },
    });
  }
  out += event("content_block_stop", { type: "content_block_stop", index: 0 });
  out += event("message_delta", {
    type: "message_delta",
    delta: { stop_reason: "end_turn", stop_sequence: null },
    usage: { output_tokens: chunks },
  });
  return out + event("message_stop", { type: "message_stop" });
}

function chatSse(chunks: number, size: number): string {
  const chunk = (delta: unknown, finish: string | null) =>
    `data: ${
      JSON.stringify({
        id: "chatcmpl-bench",
        object: "chat.completion.chunk",
        created: 1_700_000_000,
        model: "bench-chat",
        choices: [{ index: 0, delta, finish_reason: finish }],
      })
    }\n\n`;
  let out = chunk({ role: "assistant", content: "" }, null);
  for (let i = 0; i < chunks; i++) out += chunk({ content: word(i, size) }, null);
  return out + chunk({}, "stop") + "data: [DONE]\n\n";
}

const cache = new Map<string, Uint8Array<ArrayBuffer>>();
const encoder = new TextEncoder();
const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen: () => {} }, async (req) => {
  const url = new URL(req.url);
  const body = await req.text();
  const chat = url.pathname.endsWith("/chat/completions");
  if (!chat && !url.pathname.endsWith("/v1/messages")) {
    return Response.json({ error: { message: `no route ${url.pathname}` } }, { status: 404 });
  }
  if (!/"stream"\s*:\s*true/.test(body)) {
    return new Response(chat ? chatJson : anthropicJson, {
      headers: { "content-type": "application/json" },
    });
  }
  const { max_tokens, max_completion_tokens } = JSON.parse(body);
  const chunks = Number(max_tokens ?? max_completion_tokens ?? 50) || 50;
  const size = Number(url.searchParams.get("size") ?? 6) || 6;
  const key = `${chat}:${chunks}:${size}`;
  let bytes = cache.get(key);
  if (!bytes) {
    bytes = encoder.encode(chat ? chatSse(chunks, size) : anthropicSse(chunks, size));
    cache.set(key, bytes);
  }
  return new Response(bytes, { headers: { "content-type": "text/event-stream" } });
});
console.error(`listening on http://127.0.0.1:${(server.addr as Deno.NetAddr).port}`);
