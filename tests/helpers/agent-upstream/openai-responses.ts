/**
 * @module
 * The fake OpenAI Responses API: reads a `POST /v1/responses` body and writes the reply with the
 * real event order (tests/fixtures/openai-responses/openai-phase.1.chunks.txt for text,
 * azure-tool-call.1.chunks.txt for a function call, openai-custom-text-tool.1.chunks.txt for a
 * freeform tool call), streamed or whole.
 */
import type { DialectFake } from "./dialect.ts";
import {
  fakeId,
  isObject,
  type Json,
  type OfferedTool,
  pieces,
  type Reading,
  type Reply,
  sse,
  textOf,
} from "./script.ts";

interface ResponsesTool {
  type?: string;
  name?: string;
  /** A namespace's own tools. */
  tools?: ResponsesTool[];
}

interface ResponsesRequest {
  input?: string | Json[];
  tools?: ResponsesTool[];
  text?: { format?: { type?: string; schema?: Json } };
  stream?: boolean;
}

/** Named tools, namespaces opened (Codex groups tools in `namespace` tools). */
function offered(tools: ResponsesTool[]): OfferedTool[] {
  return tools.flatMap((tool) => {
    if (tool.type === "namespace") return offered(tool.tools ?? []);
    return tool.name ? [{ name: tool.name, custom: tool.type === "custom" }] : [];
  });
}

function read(body: Json): Reading {
  const request = body as unknown as ResponsesRequest;
  const items = typeof request.input === "string"
    ? [{ type: "message", role: "user", content: request.input }]
    : request.input ?? [];
  const prompt: string[] = [];
  const tools = offered(request.tools ?? []);
  let toolOutput: string | undefined;
  for (const item of items) {
    if (item.type === "function_call_output" || item.type === "custom_tool_call_output") {
      toolOutput = textOf(item.output);
    } else if (item.type === "additional_tools") {
      // Codex on its newer models offers its tools in the input instead of `tools`.
      tools.push(...offered(item.tools as ResponsesTool[] ?? []));
    } else if (item.role === "user") prompt.push(textOf(item.content));
  }
  const format = request.text?.format;
  return {
    prompt: prompt.join("\n"),
    tools,
    toolOutput,
    schema: format?.type === "json_schema" && isObject(format.schema) ? format.schema : undefined,
  };
}

const USAGE = {
  input_tokens: 12,
  input_tokens_details: { cached_tokens: 0 },
  output_tokens: 20,
  output_tokens_details: { reasoning_tokens: 0 },
  total_tokens: 32,
};

interface OutputItem {
  /** The finished item, as `response.completed` lists it. */
  item: Json;
  /** The events that build it up. */
  events: Json[];
}

function messageItem(reply: Reply & { type: "text" }): OutputItem {
  const id = fakeId("msg_");
  const part = { type: "output_text", annotations: [], logprobs: [], text: reply.text };
  const at = { item_id: id, output_index: 0, content_index: 0 };
  const item = { id, type: "message", status: "completed", role: "assistant", content: [part] };
  return {
    item,
    events: [
      {
        type: "response.output_item.added",
        output_index: 0,
        item: { ...item, status: "in_progress", content: [] },
      },
      { type: "response.content_part.added", ...at, part: { ...part, text: "" } },
      ...pieces(reply.text).map((delta) => ({
        type: "response.output_text.delta",
        ...at,
        delta,
      })),
      { type: "response.output_text.done", ...at, logprobs: [], text: reply.text },
      { type: "response.content_part.done", ...at, part },
      { type: "response.output_item.done", output_index: 0, item },
    ],
  };
}

function callItem(reply: Reply & { type: "tool" | "custom-tool" }): OutputItem {
  const custom = reply.type === "custom-tool";
  const id = fakeId(custom ? "ctc_" : "fc_");
  const input = custom ? reply.input : JSON.stringify(reply.arguments);
  const item = custom
    ? {
      id,
      type: "custom_tool_call",
      status: "completed",
      call_id: fakeId("call_"),
      input,
      name: reply.name,
    }
    : {
      id,
      type: "function_call",
      status: "completed",
      arguments: input,
      call_id: fakeId("call_"),
      name: reply.name,
    };
  const pending = custom
    ? { ...item, status: "in_progress", input: "" }
    : { ...item, status: "in_progress", arguments: "" };
  const kind = custom ? "response.custom_tool_call_input" : "response.function_call_arguments";
  const at = { item_id: id, output_index: 0 };
  return {
    item,
    events: [
      { type: "response.output_item.added", output_index: 0, item: pending },
      ...pieces(input).map((delta) => ({ type: `${kind}.delta`, ...at, delta })),
      ...(custom ? [] : [{ type: `${kind}.done`, ...at, arguments: input }]),
      { type: "response.output_item.done", output_index: 0, item },
    ],
  };
}

function answer(reply: Reply, { model, stream }: { model: string; stream: boolean }): Response {
  const { item, events } = reply.type === "text" ? messageItem(reply) : callItem(reply);
  const response = {
    id: fakeId("resp_"),
    object: "response",
    created_at: Math.floor(Date.now() / 1000),
    status: "in_progress",
    model,
    output: [] as Json[],
    usage: null as Json | null,
  };
  const done = { ...response, status: "completed", output: [item], usage: USAGE };
  if (!stream) return Response.json(done);
  const all = [
    { type: "response.created", response },
    { type: "response.in_progress", response },
    ...events,
    { type: "response.completed", response: done },
  ];
  const body = sse(
    all.map((event, sequence_number) => ({
      event: String(event.type),
      data: { ...event, sequence_number },
    })),
  );
  return new Response(body, { headers: { "content-type": "text/event-stream" } });
}

/** What OpenAI's two APIs share: Bearer keys, `/v1/models`, the model in the body, errors. */
export function openaiFake(
  name: string,
  generatePath: string,
  dialect: Pick<DialectFake, "read" | "answer">,
): DialectFake {
  return {
    name,
    authorized: (headers, key) => headers.get("authorization") === `Bearer ${key}`,
    route(method, path) {
      if (method === "GET" && path === "/v1/models") return "models";
      return method === "POST" && path === generatePath ? "generate" : undefined;
    },
    modelOf: (_path, body) => String(body.model ?? ""),
    streams: (_path, body) => body.stream === true,
    ...dialect,
    modelList: (id) => ({
      object: "list",
      data: [{ id, object: "model", created: 1767225600, owned_by: "openai" }],
    }),
    error: openaiError,
  };
}

export const openaiResponsesFake = openaiFake("OpenAI Responses", "/v1/responses", {
  read,
  answer,
});

/** OpenAI's error shape, shared with the Chat Completions fake. */
export function openaiError(status: number, message: string): Response {
  const type = status === 401
    ? "invalid_api_key"
    : status === 404
    ? "model_not_found"
    : "invalid_request";
  return Response.json({ error: { message, type: "invalid_request_error", code: type } }, {
    status,
  });
}
