/**
 * @module
 * The fake Anthropic Messages API: reads a `POST /v1/messages` body and writes the reply the way
 * the real API does (the event order of tests/fixtures/anthropic-messages/anthropic-text.chunks.txt
 * and anthropic-tool-no-args.chunks.txt), streamed or whole.
 */
import type { DialectFake } from "./dialect.ts";
import {
  fakeId,
  isObject,
  type Json,
  pieces,
  type PlainReply,
  plainReply,
  type Reading,
  type Reply,
  sse,
  textOf,
} from "./script.ts";

interface AnthropicMessage {
  role: string;
  content: string | Json[];
}

interface AnthropicRequest {
  model: string;
  messages?: AnthropicMessage[];
  tools?: { name?: string }[];
  stream?: boolean;
  output_config?: { format?: { type?: string; schema?: Json } };
}

function read(body: Json): Reading {
  const request = body as unknown as AnthropicRequest;
  const messages = request.messages ?? [];
  let toolOutput: string | undefined;
  for (const message of messages) {
    if (typeof message.content === "string") continue;
    for (const block of message.content) {
      if (block.type === "tool_result") toolOutput = textOf(block.content);
    }
  }
  const format = request.output_config?.format;
  return {
    prompt: messages.filter((m) => m.role === "user").map((m) => textOf(m.content)).join("\n"),
    tools: (request.tools ?? []).map((tool) => ({ name: String(tool.name ?? ""), custom: false })),
    toolOutput,
    schema: format?.type === "json_schema" && isObject(format.schema) ? format.schema : undefined,
  };
}

const USAGE = { input_tokens: 12, cache_creation_input_tokens: 0, cache_read_input_tokens: 0 };

function blockOf(reply: PlainReply): Json {
  return reply.type === "text"
    ? { type: "text", text: reply.text }
    : { type: "tool_use", id: fakeId("toolu_"), name: reply.name, input: reply.arguments };
}

function events(reply: PlainReply, model: string) {
  const block = blockOf(reply);
  const message = {
    id: fakeId("msg_"),
    type: "message",
    role: "assistant",
    model,
    content: [],
    stop_reason: null,
    stop_sequence: null,
    usage: { ...USAGE, output_tokens: 1 },
  };
  const start = reply.type === "text" ? { type: "text", text: "" } : { ...block, input: {} };
  const deltas = reply.type === "text"
    ? pieces(reply.text).map((text) => ({ type: "text_delta", text }))
    : pieces(JSON.stringify(reply.arguments)).map((partial_json) => ({
      type: "input_json_delta",
      partial_json,
    }));
  const stopReason = reply.type === "text" ? "end_turn" : "tool_use";
  return [
    { type: "message_start", message },
    { type: "content_block_start", index: 0, content_block: start },
    { type: "ping" },
    ...deltas.map((delta) => ({ type: "content_block_delta", index: 0, delta })),
    { type: "content_block_stop", index: 0 },
    {
      type: "message_delta",
      delta: { stop_reason: stopReason, stop_sequence: null },
      usage: { ...USAGE, output_tokens: 20 },
    },
    { type: "message_stop" },
  ];
}

function answer(scripted: Reply, { model, stream }: { model: string; stream: boolean }): Response {
  const reply = plainReply(scripted);
  if (stream) {
    const body = sse(events(reply, model).map((data) => ({ event: data.type, data })));
    return new Response(body, { headers: { "content-type": "text/event-stream" } });
  }
  return Response.json({
    id: fakeId("msg_"),
    type: "message",
    role: "assistant",
    model,
    content: [blockOf(reply)],
    stop_reason: reply.type === "text" ? "end_turn" : "tool_use",
    stop_sequence: null,
    usage: { ...USAGE, output_tokens: 20 },
  });
}

export const anthropicFake: DialectFake = {
  name: "Anthropic",
  authorized: (headers, key) => headers.get("x-api-key") === key,
  route(method, path) {
    if (method === "GET" && path === "/v1/models") return "models";
    if (method !== "POST") return undefined;
    if (path === "/v1/messages") return "generate";
    if (path === "/v1/messages/count_tokens") return "count";
    return undefined;
  },
  modelOf: (_path, body) => String(body.model ?? ""),
  streams: (_path, body) => body.stream === true,
  read,
  answer,
  countAnswer: () => Response.json({ input_tokens: 42 }),
  modelList: (id) => ({
    data: [{ type: "model", id, display_name: id, created_at: "2026-01-01T00:00:00Z" }],
    has_more: false,
    first_id: id,
    last_id: id,
  }),
  error(status, message) {
    const type = status === 401
      ? "authentication_error"
      : status === 404
      ? "not_found_error"
      : "invalid_request_error";
    return Response.json({ type: "error", error: { type, message } }, { status });
  },
};
