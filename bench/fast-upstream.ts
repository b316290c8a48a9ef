/**
 * @module
 * A fast local upstream for the bench: answers Anthropic Messages with a
 * fixed JSON body, or with an SSE stream of `?chunks=N` text deltas.
 */
const text = JSON.stringify({
  id: "msg_bench",
  type: "message",
  role: "assistant",
  model: "claude-sonnet-4-6",
  content: [{ type: "text", text: "Hello from the bench upstream." }],
  stop_reason: "end_turn",
  stop_sequence: null,
  usage: { input_tokens: 12, output_tokens: 8 },
});

function sse(chunks: number): string {
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
      delta: { type: "text_delta", text: `word${i} ` },
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

const streams = new Map<number, Uint8Array<ArrayBuffer>>();
const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen: () => {} }, async (req) => {
  const body = await req.text();
  const chunks = Number(new URL(req.url).searchParams.get("chunks") ?? 0) ||
    (body.includes('"stream":true') ? 50 : 0);
  if (!chunks) return new Response(text, { headers: { "content-type": "application/json" } });
  let bytes = streams.get(chunks);
  if (!bytes) streams.set(chunks, bytes = new TextEncoder().encode(sse(chunks)));
  return new Response(bytes, { headers: { "content-type": "text/event-stream" } });
});
console.error(`listening on http://127.0.0.1:${(server.addr as Deno.NetAddr).port}`);
