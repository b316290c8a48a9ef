/**
 * @module
 * The fake OpenAI Chat Completions API (what an `openai-compatibility` entry calls): reads a
 * `POST /v1/chat/completions` body and writes the reply as chunks shaped like
 * tests/fixtures/openai-chat/openai-text.chunks.txt and deepseek-tool-call.chunks.txt, ending
 * with the usage chunk and `[DONE]`, or as one completion.
 */
import { openaiFake } from "./openai-responses.ts";
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

interface ChatRequest {
  messages?: { role: string; content?: unknown }[];
  tools?: { function?: { name?: string } }[];
  response_format?: { type?: string; json_schema?: { schema?: Json } };
  stream?: boolean;
  stream_options?: { include_usage?: boolean };
}

function read(body: Json): Reading {
  const request = body as unknown as ChatRequest;
  const messages = request.messages ?? [];
  const results = messages.filter((message) => message.role === "tool");
  const format = request.response_format;
  const schema = format?.type === "json_schema" ? format.json_schema?.schema : undefined;
  return {
    prompt: messages.filter((m) => m.role === "user").map((m) => textOf(m.content)).join("\n"),
    tools: (request.tools ?? []).map((tool) => ({
      name: String(tool.function?.name ?? ""),
      custom: false,
    })),
    toolOutput: results.length ? textOf(results.at(-1)!.content) : undefined,
    schema: isObject(schema) ? schema : undefined,
  };
}

const USAGE = { prompt_tokens: 12, completion_tokens: 20, total_tokens: 32 };

function chunks(reply: PlainReply): { deltas: Json[]; finish: string } {
  if (reply.type === "text") {
    return {
      deltas: [
        { role: "assistant", content: "" },
        ...pieces(reply.text).map((content) => ({ content })),
      ],
      finish: "stop",
    };
  }
  const call = { index: 0, id: fakeId("call_"), type: "function" };
  return {
    deltas: [
      {
        role: "assistant",
        content: null,
        tool_calls: [{ ...call, function: { name: reply.name, arguments: "" } }],
      },
      ...pieces(JSON.stringify(reply.arguments)).map((args) => ({
        tool_calls: [{ index: 0, function: { arguments: args } }],
      })),
    ],
    finish: "tool_calls",
  };
}

function message(reply: PlainReply): Json {
  if (reply.type === "text") return { role: "assistant", content: reply.text };
  return {
    role: "assistant",
    content: null,
    tool_calls: [{
      id: fakeId("call_"),
      type: "function",
      function: { name: reply.name, arguments: JSON.stringify(reply.arguments) },
    }],
  };
}

function answer(scripted: Reply, call: { model: string; stream: boolean; body: Json }): Response {
  const reply = plainReply(scripted);
  const { model, stream } = call;
  // Like the real API, the usage chunk comes only when the client asks for it.
  const includeUsage = (call.body as ChatRequest).stream_options?.include_usage === true;
  const head = {
    id: fakeId("chatcmpl-"),
    object: stream ? "chat.completion.chunk" : "chat.completion",
    created: Math.floor(Date.now() / 1000),
    model,
  };
  if (!stream) {
    const finish = reply.type === "text" ? "stop" : "tool_calls";
    return Response.json({
      ...head,
      choices: [{ index: 0, message: message(reply), logprobs: null, finish_reason: finish }],
      usage: USAGE,
    });
  }
  const { deltas, finish } = chunks(reply);
  const choice = (delta: Json, finish_reason: string | null) => ({
    ...head,
    choices: [{ index: 0, delta, logprobs: null, finish_reason }],
    usage: null,
  });
  const events = [
    ...deltas.map((delta) => choice(delta, null)),
    choice({}, finish),
    ...(includeUsage ? [{ ...head, choices: [], usage: USAGE }] : []),
  ];
  return new Response(sse(events.map((data) => ({ data })), true), {
    headers: { "content-type": "text/event-stream" },
  });
}

export const openaiChatFake = openaiFake("Chat Completions", "/v1/chat/completions", {
  read,
  answer,
});
