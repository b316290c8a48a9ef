/**
 * Unit tests of the OpenAI Chat Completions codec against the real captures
 * in tests/fixtures/openai-chat (streams, bodies, cassettes, errors).
 */
import { OpenAI } from "../helpers/npm.ts";
import { codec } from "../../src/dialects/openai-chat/index.ts";
import { CODECS } from "../../src/dialects/registry.ts";
import type { EncodeContext } from "../../src/dialects/codec.ts";
import type { CanonicalRequest } from "../../src/ir/request.ts";
import type { CanonicalResponse, Usage } from "../../src/ir/response.ts";
import type { StreamEvent } from "../../src/ir/stream-event.ts";
import { ApiErrorException } from "../../src/errors/api-error.ts";
import { createSseParser } from "../../src/sse/parse-sse.ts";
import { assert, assertEquals, assertMatch } from "../helpers/assert.ts";
import {
  chunksAsSse,
  listFixtures,
  readCassette,
  readChunks,
  readJsonFixture,
} from "../helpers/provider-fixtures.ts";

const DIALECT = "openai-chat";

// ---------------------------------------------------------------- helpers

function decodeSse(text: string): StreamEvent[] {
  const parser = createSseParser();
  const decoder = codec.createStreamDecoder();
  const events: StreamEvent[] = [];
  for (const event of [...parser.push(text), ...parser.end()]) {
    events.push(...decoder.decode(event));
  }
  events.push(...decoder.end());
  return events;
}

function encodeEvents(events: StreamEvent[], request: CanonicalRequest): string {
  const encoder = codec.createStreamEncoder(request);
  let text = "";
  for (const event of events) text += encoder.encode(event);
  return text + encoder.end();
}

function request(overrides: Partial<CanonicalRequest> = {}): CanonicalRequest {
  return {
    model: "gpt-test",
    system: [],
    messages: [{ role: "user", content: [{ type: "text", text: "hi" }] }],
    tools: [],
    stream: true,
    ...overrides,
  };
}

function context(model = "upstream-model"): EncodeContext & { warnings: string[] } {
  const warnings: string[] = [];
  return { model, warnings, warn: (field, detail) => warnings.push(`${field}: ${detail}`) };
}

/** Problems with a stream's block lifecycle; [] when it is well formed. */
function lifecycleProblems(events: StreamEvent[]): string[] {
  const problems: string[] = [];
  const open = new Map<number, string>();
  const closed = new Set<number>();
  let ended = false;
  events.forEach((event, i) => {
    const at = `#${i} ${event.type}`;
    if (ended) problems.push(`${at} after the end`);
    if (i === 0 && event.type !== "start" && event.type !== "error") {
      problems.push(`${at}: first event is not start`);
    }
    if (event.type === "start" && i !== 0) problems.push(`${at}: start not first`);
    switch (event.type) {
      case "text-start":
      case "reasoning-start":
      case "tool-call-start": {
        const kind = event.type.slice(0, -6);
        if (open.has(event.index) || closed.has(event.index)) {
          problems.push(`${at}: index ${event.index} reused`);
        }
        for (const [index, other] of open) problems.push(`${at}: ${other} ${index} still open`);
        open.set(event.index, kind);
        break;
      }
      case "text-delta":
      case "reasoning-delta":
      case "tool-call-delta":
      case "reasoning-signature": {
        const kind = event.type.replace(/-(delta|signature)$/, "");
        if (open.get(event.index) !== kind) problems.push(`${at}: block ${event.index} not open`);
        break;
      }
      case "text-end":
      case "reasoning-end":
      case "tool-call-end": {
        const kind = event.type.slice(0, -4);
        if (open.get(event.index) !== kind) problems.push(`${at}: block ${event.index} not open`);
        open.delete(event.index);
        closed.add(event.index);
        break;
      }
      case "finish":
        if (open.size > 0) problems.push(`${at}: blocks ${[...open.keys()]} still open`);
        ended = true;
        break;
      case "error":
        if (open.size > 0) problems.push(`${at}: blocks ${[...open.keys()]} still open`);
        ended = true;
        break;
    }
  });
  if (!ended) problems.push("no finish or error at the end");
  return problems;
}

interface Assembled {
  text: string;
  refusal: string;
  reasoning: string;
  toolCalls: Array<{ id: string; name: string; arguments: string }>;
}

/** The answer a stream of canonical events adds up to. */
function assemble(events: StreamEvent[]): Assembled {
  const result: Assembled = { text: "", refusal: "", reasoning: "", toolCalls: [] };
  const tools = new Map<number, { id: string; name: string; arguments: string }>();
  const refusals = new Set<number>();
  for (const event of events) {
    if (event.type === "text-start" && event.providerData?.[DIALECT]?.refusal) {
      refusals.add(event.index);
    }
    if (event.type === "text-delta") {
      if (refusals.has(event.index)) result.refusal += event.text;
      else result.text += event.text;
    }
    if (event.type === "reasoning-delta") result.reasoning += event.text;
    if (event.type === "tool-call-start") {
      const call = { id: event.id, name: event.name, arguments: "" };
      tools.set(event.index, call);
      result.toolCalls.push(call);
    }
    if (event.type === "tool-call-delta") tools.get(event.index)!.arguments += event.argumentsDelta;
  }
  return result;
}

interface RawChunk {
  choices?: Array<{
    index?: number;
    delta?: {
      content?: string | null;
      reasoning_content?: string | null;
      reasoning?: string | null;
      tool_calls?: Array<
        { index: number; id?: string; function?: { name?: string; arguments?: string } }
      >;
    };
  }>;
}

/** The same answer read straight from the raw chunks, independently of the decoder. */
function assembleRaw(chunks: RawChunk[]): Assembled {
  const result: Assembled = { text: "", refusal: "", reasoning: "", toolCalls: [] };
  const tools = new Map<number, { id: string; name: string; arguments: string }>();
  for (const chunk of chunks) {
    const delta = chunk.choices?.[0]?.delta;
    if (!delta) continue;
    result.text += delta.content ?? "";
    result.reasoning += delta.reasoning_content ?? delta.reasoning ?? "";
    for (const call of delta.tool_calls ?? []) {
      let entry = tools.get(call.index);
      if (!entry) {
        entry = { id: call.id ?? "", name: call.function?.name ?? "", arguments: "" };
        tools.set(call.index, entry);
        result.toolCalls.push(entry);
      }
      entry.arguments += call.function?.arguments ?? "";
    }
  }
  return result;
}

function sseChunks(text: string): RawChunk[] {
  const parser = createSseParser();
  return [...parser.push(text), ...parser.end()]
    .filter((event) => event.data !== "[DONE]")
    .map((event) => JSON.parse(event.data) as RawChunk);
}

/** Usage with the optional counters a Chat body always carries filled in. */
function fullUsage(usage: Partial<Usage> | undefined): Partial<Usage> {
  return { cachedInputTokens: 0, reasoningTokens: 0, ...usage };
}

/**
 * Events compared across an encode/decode round trip: usage-only events are
 * dropped (the Chat encoder reports usage once, at the end), ids get the
 * `chatcmpl-` prefix, usage counters default to 0.
 */
function comparable(events: StreamEvent[]): unknown[] {
  return events.filter((event) => event.type !== "usage").map((event) => {
    switch (event.type) {
      case "start":
        return {
          ...event,
          id: event.id.startsWith("chatcmpl-") ? event.id : `chatcmpl-${event.id}`,
        };
      case "finish":
        return { ...event, usage: fullUsage(event.usage) };
      case "error":
        return { type: "error", kind: event.error.kind, message: event.error.message };
      default:
        return event;
    }
  });
}

interface StreamCase {
  name: string;
  sse: string;
  chunks: RawChunk[];
  /** The error kind the stream ends with, when it ends with one. */
  error?: string;
}

function streamCases(): StreamCase[] {
  const cases: StreamCase[] = [];
  for (const name of listFixtures(DIALECT, ".chunks.txt")) {
    cases.push({
      name,
      sse: chunksAsSse(DIALECT, name),
      chunks: readChunks(DIALECT, name) as RawChunk[],
    });
  }
  const errors: Record<string, string> = {
    "test_openrouter_stream_error.yaml#0": "invalid_request",
    "test_tool_use_failed_error_streaming.yaml#0": "invalid_request",
  };
  for (const name of listFixtures(DIALECT, ".yaml")) {
    readCassette(DIALECT, name).forEach((interaction, i) => {
      if (interaction.response.json !== undefined || interaction.response.status !== 200) return;
      const key = `${name}#${i}`;
      const sse = interaction.response.text;
      cases.push({ name: key, sse, chunks: sseChunks(sse), error: errors[key] });
    });
  }
  return cases;
}

const STREAMS = streamCases();

// ---------------------------------------------------------------- stream decoding

Deno.test("openai-chat: the fixtures hold the streams this suite expects", () => {
  assertEquals(STREAMS.length, 17);
  assertEquals(STREAMS.filter((entry) => entry.error).length, 2);
});

for (const entry of STREAMS) {
  Deno.test(`openai-chat stream decode: ${entry.name}`, () => {
    const events = decodeSse(entry.sse);
    assertEquals(lifecycleProblems(events), []);
    const errors = events.filter((event) => event.type === "error");
    if (entry.error) {
      assertEquals(errors.length, 1);
      assertEquals(errors[0].type === "error" ? errors[0].error.kind : "", entry.error);
      assert(events.at(-1)?.type === "error");
    } else {
      assertEquals(errors, []);
      assert(events.at(-1)?.type === "finish");
    }
    const assembled = assemble(events);
    const raw = assembleRaw(entry.chunks);
    assertEquals(assembled.text, raw.text);
    assertEquals(assembled.reasoning, raw.reasoning);
    assertEquals(assembled.toolCalls, raw.toolCalls);
    for (const call of assembled.toolCalls) JSON.parse(call.arguments);
  });
}

Deno.test("openai-chat stream decode: finish waits for the usage chunk and carries it", () => {
  const events = decodeSse(chunksAsSse(DIALECT, "openai-text.chunks.txt"));
  const finish = events.at(-1);
  assertEquals(finish, {
    type: "finish",
    stopReason: "end",
    usage: {
      inputTokens: 16,
      outputTokens: 300,
      cachedInputTokens: 0,
      reasoningTokens: 0,
    },
  });
  assertEquals(events[0], {
    type: "start",
    id: "chatcmpl-D8Z5oo6uDh67AD85p73ksdT1KxhE0",
    model: "gpt-4.1-nano-2025-04-14",
    created: 1770933892,
  });
});

Deno.test("openai-chat stream decode: Azure's filter-only first chunk is skipped", () => {
  const events = decodeSse(chunksAsSse(DIALECT, "azure-model-router.1.chunks.txt"));
  assertEquals(
    events[0].type === "start" && events[0].id,
    "chatcmpl-CYPS1lijGoK8gd9lYzY3r9Sx50nbt",
  );
  const finish = events.at(-1);
  assertEquals(finish?.type === "finish" && finish.usage?.reasoningTokens, 64);
});

Deno.test("openai-chat stream decode: DeepSeek reasoning then a tool call", () => {
  const events = decodeSse(chunksAsSse(DIALECT, "deepseek-tool-call.chunks.txt"));
  const kinds = events.filter((event) => event.type.endsWith("start") || event.type === "finish")
    .map((event) => event.type);
  assertEquals(kinds, ["start", "reasoning-start", "tool-call-start", "finish"]);
  const finish = events.at(-1);
  assertEquals(finish?.type === "finish" && finish.stopReason, "tool-calls");
  assertEquals(finish?.type === "finish" && finish.usage?.cachedInputTokens, 320);
});

Deno.test("openai-chat stream decode: xAI's reasoning tokens are added to the output", () => {
  const events = decodeSse(chunksAsSse(DIALECT, "xai-tool-call.chunks.txt"));
  const finish = events.at(-1);
  assertEquals(finish?.type === "finish" && finish.usage, {
    inputTokens: 291,
    outputTokens: 222,
    cachedInputTokens: 290,
    reasoningTokens: 196,
  });
});

Deno.test("openai-chat stream decode: parallel tool calls keep their order and ids", () => {
  const [first] = readCassette(DIALECT, "test_complex_agent_run.yaml");
  const calls = assemble(decodeSse(first.response.text)).toolCalls;
  assertEquals(calls.map((call) => [call.id, call.name, call.arguments]), [
    ["call_q2UyBRP7eXNTzAoR8lEhjc9Z", "get_country", "{}"],
    ["call_b51ijcpFkDiTQG1bQzsrmtW5", "get_product_name", "{}"],
  ]);
});

Deno.test("openai-chat stream decode: in-band errors end the stream", () => {
  const [groq] = readCassette(DIALECT, "test_tool_use_failed_error_streaming.yaml");
  const error = decodeSse(groq.response.text).at(-1);
  assert(error?.type === "error");
  assertEquals(error.error.kind, "invalid_request");
  assertEquals(error.error.status, 400);
  assertMatch(error.error.message, /^Tool call validation failed/);

  const [openrouter] = readCassette(DIALECT, "test_openrouter_stream_error.yaml");
  const events = decodeSse(openrouter.response.text);
  const last = events.at(-1);
  assert(last?.type === "error");
  assertEquals(last.error.message, "Token limit reached");
  assertEquals(events.at(-2)?.type, "usage");
});

Deno.test("openai-chat stream decode: bad data is an error event, never a throw", () => {
  const decoder = codec.createStreamDecoder();
  const first = decoder.decode({
    data: '{"id":"x","choices":[{"index":0,"delta":{"content":"a"}}]}',
  });
  assertEquals(first.map((event) => event.type), ["start", "text-start", "text-delta"]);
  const bad = decoder.decode({ data: "{not json" });
  assertEquals(bad.map((event) => event.type), ["text-end", "error"]);
  assert(bad[1].type === "error");
  assertEquals(bad[1].error.kind, "api_error");
  assertMatch(bad[1].error.message, /not JSON/);
  assertEquals(decoder.decode({ data: "[DONE]" }), []);
  assertEquals(decoder.end(), []);
});

Deno.test("openai-chat stream decode: a stream cut short ends in an error", () => {
  const decoder = codec.createStreamDecoder();
  decoder.decode({ data: '{"id":"x","choices":[{"index":0,"delta":{"content":"a"}}]}' });
  const end = decoder.end();
  assertEquals(end.map((event) => event.type), ["text-end", "error"]);
});

Deno.test("openai-chat stream decode: [DONE] without finish_reason still finishes", () => {
  const decoder = codec.createStreamDecoder();
  decoder.decode({ data: '{"id":"x","choices":[{"index":0,"delta":{"content":"a"}}]}' });
  assertEquals(decoder.decode({ data: "[DONE]" }), [
    { type: "text-end", index: 0 },
    { type: "finish", stopReason: "end" },
  ]);
});

Deno.test("openai-chat stream decode: a refusal is a marked text block and a refusal stop", () => {
  const decoder = codec.createStreamDecoder();
  const events = [
    ...decoder.decode({ data: '{"id":"x","choices":[{"index":0,"delta":{"refusal":"No."}}]}' }),
    ...decoder.decode({
      data: '{"id":"x","choices":[{"index":0,"delta":{},"finish_reason":"stop"}]}',
    }),
    ...decoder.decode({ data: "[DONE]" }),
  ];
  assertEquals(events.slice(1), [
    { type: "text-start", index: 0, providerData: { [DIALECT]: { refusal: true } } },
    { type: "text-delta", index: 0, text: "No." },
    { type: "text-end", index: 0 },
    { type: "finish", stopReason: "refusal" },
  ]);
  const text = encodeEvents(events, request());
  assertMatch(text, /"delta":\{"refusal":"No\."\}/);
  assertMatch(text, /"finish_reason":"stop"/);
});

// ---------------------------------------------------------------- stream encoding

for (const entry of STREAMS) {
  Deno.test(`openai-chat stream round trip: ${entry.name}`, () => {
    const events = decodeSse(entry.sse);
    const model = events[0].type === "start" ? events[0].model : "";
    const again = decodeSse(encodeEvents(events, request({ model, includeUsage: true })));
    assertEquals(lifecycleProblems(again), []);
    assertEquals(comparable(again), comparable(events));
  });
}

Deno.test("openai-chat stream encode: the OpenAI SDK accumulates every re-encoded stream", async () => {
  for (const entry of STREAMS) {
    const events = decodeSse(entry.sse);
    const body = encodeEvents(events, request({ includeUsage: true }));
    const client = new OpenAI({
      apiKey: "unused",
      fetch: () =>
        Promise.resolve(new Response(body, { headers: { "content-type": "text/event-stream" } })),
    });
    const stream = client.chat.completions.stream({
      model: "gpt-test",
      messages: [{ role: "user", content: "x" }],
    });
    if (entry.error) {
      const failure = await stream.finalChatCompletion().then(() => undefined, (error) => error);
      assert(failure instanceof Error, entry.name);
      continue;
    }
    const final = await stream.finalChatCompletion();
    const expected = assemble(events);
    const [choice] = final.choices;
    assertEquals(choice.message.content ?? "", expected.text, entry.name);
    assertEquals(
      (choice.message.tool_calls ?? []).map((call) =>
        call.type === "function"
          ? { id: call.id, name: call.function.name, arguments: call.function.arguments }
          : undefined
      ),
      expected.toolCalls,
      entry.name,
    );
    const finish = events.at(-1);
    assert(finish?.type === "finish");
    assertEquals(final.usage?.prompt_tokens, finish.usage?.inputTokens, entry.name);
  }
});

Deno.test("openai-chat stream encode: the chunk shapes OpenAI clients expect", () => {
  const events: StreamEvent[] = [
    { type: "start", id: "msg_1", model: "claude-x", created: 1700000000 },
    { type: "reasoning-start", index: 0 },
    { type: "reasoning-delta", index: 0, text: "hm" },
    { type: "reasoning-signature", index: 0, signature: "sig" },
    { type: "reasoning-end", index: 0 },
    { type: "text-start", index: 1 },
    { type: "text-delta", index: 1, text: "Hi\n" },
    { type: "text-end", index: 1 },
    { type: "tool-call-start", index: 2, id: "toolu_a", name: "a" },
    { type: "tool-call-delta", index: 2, argumentsDelta: '{"x":' },
    { type: "tool-call-delta", index: 2, argumentsDelta: "1}" },
    { type: "tool-call-end", index: 2 },
    { type: "tool-call-start", index: 3, id: "toolu_b", name: "b" },
    { type: "tool-call-end", index: 3 },
    { type: "finish", stopReason: "tool-calls", usage: { inputTokens: 5, outputTokens: 7 } },
  ];
  const text = encodeEvents(events, request({ includeUsage: true }));
  const lines = text.split("\n\n").filter(Boolean);
  assertEquals(lines.at(-1), "data: [DONE]");
  const chunks = lines.slice(0, -1).map((line) => {
    assert(line.startsWith("data: "));
    return JSON.parse(line.slice(6));
  });
  const head = {
    id: "chatcmpl-msg_1",
    object: "chat.completion.chunk",
    created: 1700000000,
    model: "gpt-test",
  };
  const chunk = (delta: unknown, finish: string | null = null) => ({
    ...head,
    choices: [{ index: 0, delta, logprobs: null, finish_reason: finish }],
    usage: null,
  });
  assertEquals(chunks, [
    chunk({ role: "assistant", content: "" }),
    chunk({ reasoning_content: "hm" }),
    chunk({ content: "Hi\n" }),
    chunk({
      tool_calls: [{
        index: 0,
        id: "toolu_a",
        type: "function",
        function: { name: "a", arguments: "" },
      }],
    }),
    chunk({ tool_calls: [{ index: 0, function: { arguments: '{"x":' } }] }),
    chunk({ tool_calls: [{ index: 0, function: { arguments: "1}" } }] }),
    chunk({
      tool_calls: [{
        index: 1,
        id: "toolu_b",
        type: "function",
        function: { name: "b", arguments: "" },
      }],
    }),
    chunk({}, "tool_calls"),
    {
      ...head,
      choices: [],
      usage: {
        prompt_tokens: 5,
        completion_tokens: 7,
        total_tokens: 12,
        prompt_tokens_details: { cached_tokens: 0 },
        completion_tokens_details: { reasoning_tokens: 0 },
      },
    },
  ]);
});

Deno.test("openai-chat stream encode: without include_usage there is no usage at all", () => {
  const events = decodeSse(chunksAsSse(DIALECT, "openai-text.chunks.txt"));
  const text = encodeEvents(events, request({ includeUsage: false }));
  assert(!text.includes('"usage"'));
  assert(!text.includes('"choices":[]'));
  assertMatch(text, /"finish_reason":"stop"\}\]\}\n\ndata: \[DONE\]\n\n$/);
});

Deno.test("openai-chat stream encode: an error becomes an error chunk, then [DONE]", () => {
  const encoder = codec.createStreamEncoder(request());
  encoder.encode({ type: "start", id: "chatcmpl-1", model: "m" });
  const text = encoder.encode({
    type: "error",
    error: { kind: "overloaded", status: 503, message: "busy" },
  });
  assertEquals(JSON.parse(text.slice(6)), {
    error: { message: "busy", type: "server_error", param: null, code: null },
  });
  assertEquals(encoder.encode({ type: "finish", stopReason: "end" }), "");
  assertEquals(encoder.end(), "data: [DONE]\n\n");
});

Deno.test("openai-chat stream encode: end() finishes an unfinished answer", () => {
  const encoder = codec.createStreamEncoder(request({ model: "fallback-model" }));
  const text = encoder.encode({ type: "text-delta", index: 0, text: "x" }) + encoder.end();
  const chunks = text.split("\n\n").filter(Boolean);
  assertEquals(chunks.length, 4);
  assertMatch(chunks[0], /"model":"fallback-model".*"delta":\{"role":"assistant","content":""\}/);
  assertMatch(chunks[0], /"id":"chatcmpl-[0-9a-f]{32}"/);
  assertMatch(chunks[2], /"finish_reason":"stop"/);
  assertEquals(chunks[3], "data: [DONE]");
});

Deno.test("openai-chat stream encode: stop reasons", () => {
  const reasons: Array<[CanonicalResponse["stopReason"], string]> = [
    ["end", "stop"],
    ["max-tokens", "length"],
    ["stop-sequence", "stop"],
    ["tool-calls", "tool_calls"],
    ["content-filter", "content_filter"],
    ["refusal", "content_filter"],
    ["pause", "stop"],
    ["other", "stop"],
  ];
  for (const [stopReason, expected] of reasons) {
    const encoder = codec.createStreamEncoder(request());
    const text = encoder.encode({ type: "start", id: "a", model: "m" }) +
      encoder.encode({ type: "finish", stopReason });
    assertMatch(text, new RegExp(`"finish_reason":"${expected}"`), stopReason);
  }
});

// ---------------------------------------------------------------- responses

interface ResponseCase {
  name: string;
  body: Record<string, unknown>;
}

function responseCases(): ResponseCase[] {
  const cases: ResponseCase[] = [];
  for (const name of listFixtures(DIALECT, ".json")) {
    const body = readJsonFixture(DIALECT, name);
    if (!("error" in body)) cases.push({ name, body });
  }
  for (const name of listFixtures(DIALECT, ".yaml")) {
    readCassette(DIALECT, name).forEach((interaction, i) => {
      const json = interaction.response.json;
      if (interaction.response.status === 200 && json && typeof json === "object") {
        cases.push({ name: `${name}#${i}`, body: json as Record<string, unknown> });
      }
    });
  }
  return cases;
}

const RESPONSES = responseCases();

interface WireMessage {
  content: string | null;
  reasoning_content?: string;
  refusal?: string | null;
  tool_calls?: Array<{ id: string; type: string; function: { name: string; arguments: string } }>;
}

interface WireBody {
  id: string;
  model: string;
  created: number;
  choices: Array<{ message: WireMessage; finish_reason: string }>;
  usage: {
    prompt_tokens: number;
    completion_tokens: number;
    total_tokens: number;
    prompt_tokens_details?: { cached_tokens?: number; cache_write_tokens?: number };
    completion_tokens_details?: { reasoning_tokens?: number };
  };
}

Deno.test("openai-chat: the fixtures hold the responses this suite expects", () => {
  assertEquals(RESPONSES.length, 23);
});

for (const entry of RESPONSES) {
  Deno.test(`openai-chat response round trip: ${entry.name}`, () => {
    const original = entry.body as unknown as WireBody;
    const decoded = codec.decodeResponse(entry.body);
    const encoded = codec.encodeResponse(decoded, request({ stream: false })) as WireBody;
    const [before] = original.choices;
    const [after] = encoded.choices;
    // Text ("" and null are both "no text"), reasoning, refusal, tool calls, finish reason.
    assertEquals(after.message.content, before.message.content || null);
    assertEquals(after.message.reasoning_content, before.message.reasoning_content);
    assertEquals(after.message.refusal ?? null, before.message.refusal ?? null);
    assertEquals(
      after.message.tool_calls,
      before.message.tool_calls?.map(({ id, type, function: fn }) => ({ id, type, function: fn })),
    );
    assertEquals(after.finish_reason, before.finish_reason);
    assertEquals(encoded.model, original.model);
    assertEquals(encoded.created, original.created);
    assertMatch(encoded.id, /^chatcmpl-/);
    assertEquals(encoded.usage.prompt_tokens, original.usage.prompt_tokens);
    assertEquals(encoded.usage.completion_tokens, original.usage.completion_tokens);
    assertEquals(encoded.usage.total_tokens, original.usage.total_tokens);
    assertEquals(
      encoded.usage.prompt_tokens_details?.cached_tokens,
      original.usage.prompt_tokens_details?.cached_tokens ?? 0,
    );
    assertEquals(
      encoded.usage.completion_tokens_details?.reasoning_tokens,
      original.usage.completion_tokens_details?.reasoning_tokens ?? 0,
    );
    // And the canonical form survives a second pass.
    const again = codec.decodeResponse(encoded);
    assertEquals({ ...again, id: decoded.id }, { ...decoded, usage: again.usage });
    assertEquals(again.usage, { ...fullUsage(decoded.usage), ...again.usage });
  });
}

Deno.test("openai-chat response decode: DeepSeek reasoning and cached tokens", () => {
  const decoded = codec.decodeResponse(readJsonFixture(DIALECT, "deepseek-tool-call.json"));
  assertEquals(decoded.content.map((part) => part.type), ["reasoning", "tool-call"]);
  assertEquals(decoded.stopReason, "tool-calls");
  assertEquals(decoded.usage, {
    inputTokens: 339,
    outputTokens: 92,
    cachedInputTokens: 320,
    reasoningTokens: 48,
  });
});

Deno.test("openai-chat response decode: cache writes and refusals", () => {
  const [write] = readCassette(DIALECT, "test_openai_chat_prompt_cache_e2e.yaml");
  assertEquals(codec.decodeResponse(write.response.json).usage.cacheCreationInputTokens, 4012);
  const refusal = codec.decodeResponse({
    id: "chatcmpl-r",
    object: "chat.completion",
    created: 1,
    model: "gpt",
    choices: [{
      index: 0,
      message: { role: "assistant", content: null, refusal: "I can't help with that." },
      finish_reason: "stop",
    }],
  });
  assertEquals(refusal.stopReason, "refusal");
  const body = codec.encodeResponse(refusal, request()) as WireBody;
  assertEquals(body.choices[0].message.content, null);
  assertEquals(body.choices[0].message.refusal, "I can't help with that.");
  assertEquals(body.choices[0].finish_reason, "stop");
});

Deno.test("openai-chat response decode: an error body or no choices throw", () => {
  for (
    const [body, kind] of [
      [{ error: { message: "bad", type: "invalid_request_error" } }, "invalid_request"],
      [{ id: "x", choices: [] }, "api_error"],
      ["text", "api_error"],
    ] as const
  ) {
    try {
      codec.decodeResponse(body);
      throw new Error("no throw");
    } catch (error) {
      assert(error instanceof ApiErrorException);
      assertEquals(error.error.kind, kind);
    }
  }
});

Deno.test("openai-chat response encode: an answer from another dialect", () => {
  const body = codec.encodeResponse({
    id: "msg_01",
    model: "",
    content: [
      { type: "reasoning", text: "think", signature: "sig" },
      { type: "text", text: "A" },
      { type: "text", text: "B" },
      { type: "tool-call", id: "toolu_1", name: "f", arguments: "{}" },
    ],
    stopReason: "tool-calls",
    usage: { inputTokens: 10, outputTokens: 3, cachedInputTokens: 4, cacheCreationInputTokens: 2 },
  }, request({ model: "client-model" })) as WireBody & { object: string };
  assertEquals(body.id, "chatcmpl-msg_01");
  assertEquals(body.object, "chat.completion");
  assertEquals(body.model, "client-model");
  assertEquals(body.choices[0].message, {
    role: "assistant",
    content: "AB",
    refusal: null,
    reasoning_content: "think",
    tool_calls: [{ id: "toolu_1", type: "function", function: { name: "f", arguments: "{}" } }],
  } as unknown as WireMessage);
  assertEquals(body.usage, {
    prompt_tokens: 10,
    completion_tokens: 3,
    total_tokens: 13,
    prompt_tokens_details: { cached_tokens: 4, cache_write_tokens: 2 },
    completion_tokens_details: { reasoning_tokens: 0 },
  });
});

// ---------------------------------------------------------------- requests

interface RequestCase {
  name: string;
  body: Record<string, unknown>;
}

function requestCases(): RequestCase[] {
  const cases: RequestCase[] = [];
  for (const name of listFixtures(DIALECT, ".yaml")) {
    readCassette(DIALECT, name).forEach((interaction, i) => {
      if (interaction.request.body) {
        cases.push({ name: `${name}#${i}`, body: interaction.request.body });
      }
    });
  }
  return cases;
}

/**
 * The documented normalisations of decodeRequest → encodeRequest, applied to
 * the client's body:
 * 1. a stream always asks for usage: `stream_options.include_usage: true`
 *    (the Groq cassette did not);
 * 2. `stream` is always written (`false` when absent).
 * Everything else comes back exactly as the client wrote it.
 */
function normalised(body: Record<string, unknown>): Record<string, unknown> {
  const result: Record<string, unknown> = { ...body, stream: body.stream === true };
  if (result.stream) {
    result.stream_options = {
      ...(body.stream_options as Record<string, unknown> | undefined),
      include_usage: true,
    };
  }
  return result;
}

const REQUESTS = requestCases();

Deno.test("openai-chat: the fixtures hold the requests this suite expects", () => {
  assertEquals(REQUESTS.length, 32);
});

for (const entry of REQUESTS) {
  Deno.test(`openai-chat request round trip: ${entry.name}`, () => {
    const decoded = codec.decodeRequest(structuredClone(entry.body), {});
    const encodeContext = context(String(entry.body.model));
    const encoded = codec.encodeRequest(decoded, encodeContext);
    assertEquals(encoded, normalised(entry.body));
    assertEquals(encodeContext.warnings, []);
  });
}

Deno.test("openai-chat request decode: the canonical form of a full request", () => {
  const decoded = codec.decodeRequest({
    model: "gpt-x",
    messages: [
      { role: "developer", content: "Be brief." },
      {
        role: "system",
        content: [{ type: "text", text: "Rule 1" }, { type: "text", text: "Rule 2" }],
      },
      {
        role: "user",
        content: [
          { type: "text", text: "Look" },
          { type: "image_url", image_url: { url: "data:image/png;base64,AAAA", detail: "high" } },
          { type: "image_url", image_url: { url: "https://x.test/cat.JPG?size=2" } },
          { type: "input_audio", input_audio: { data: "UklG", format: "wav" } },
          {
            type: "file",
            file: { filename: "a.pdf", file_data: "data:application/pdf;base64,JVBE" },
          },
        ],
      },
      {
        role: "assistant",
        content: null,
        reasoning_content: "thinking",
        tool_calls: [
          { id: "c1", type: "function", function: { name: "f", arguments: '{"a":1}' } },
          { id: "c2", type: "function", function: { name: "g", arguments: "{}" } },
        ],
      },
      { role: "tool", tool_call_id: "c1", content: "one" },
      { role: "tool", tool_call_id: "c2", content: [{ type: "text", text: "two" }] },
      { role: "system", content: "Mid-way note" },
      { role: "assistant", content: "Sure", refusal: "not that" },
    ],
    tools: [{ type: "function", function: { name: "f", parameters: { type: "object" } } }],
    tool_choice: { type: "function", function: { name: "f" } },
    parallel_tool_calls: false,
    response_format: { type: "json_object" },
    max_completion_tokens: 500,
    temperature: 0.2,
    top_p: 0.9,
    stop: "END",
    reasoning_effort: "high",
    stream: true,
    stream_options: { include_usage: true },
    user: "u-1",
    seed: 7,
    logprobs: true,
  }, {});
  assertEquals(decoded.system.map((part) => part.text), ["Be brief.", "Rule 1", "Rule 2"]);
  assertEquals(decoded.messages.map((message) => message.role), [
    "user",
    "assistant",
    "tool",
    "system",
    "assistant",
  ]);
  const [user, assistant, tool, , refusal] = decoded.messages;
  assertEquals(user.content.slice(1), [
    {
      type: "file",
      mediaType: "image/png",
      data: "AAAA",
      providerData: { [DIALECT]: { detail: "high" } },
    },
    { type: "file", mediaType: "image/jpeg", url: "https://x.test/cat.JPG?size=2" },
    {
      type: "file",
      mediaType: "audio/wav",
      data: "UklG",
      providerData: { [DIALECT]: { format: "wav" } },
    },
    { type: "file", mediaType: "application/pdf", data: "JVBE", filename: "a.pdf" },
  ]);
  assertEquals(assistant.content.map((part) => part.type), ["reasoning", "tool-call", "tool-call"]);
  assertEquals(tool.content.map((part) => part.type === "tool-result" && part.toolName), [
    "f",
    "g",
  ]);
  assertEquals(refusal.content.map((part) => part.type === "text" && part.text), [
    "Sure",
    "not that",
  ]);
  assertEquals(decoded.toolChoice, { type: "tool", name: "f" });
  assertEquals(decoded.parallelToolCalls, false);
  assertEquals(decoded.responseFormat, { type: "json" });
  assertEquals(decoded.maxOutputTokens, 500);
  assertEquals(decoded.stopSequences, ["END"]);
  assertEquals(decoded.reasoning, { effort: "high" });
  assertEquals(decoded.includeUsage, true);
  assertEquals(decoded.user, "u-1");
  assertEquals(
    (decoded.providerData?.[DIALECT] as { extra?: unknown }).extra,
    { seed: 7, logprobs: true },
  );
});

Deno.test("openai-chat request round trip: every layout detail a client can write", () => {
  const body = {
    model: "gpt-x",
    messages: [
      {
        role: "developer",
        content: [{ type: "text", text: "Dev", cache_control: { type: "ephemeral" } }],
      },
      { role: "system", content: "Sys", name: "policy" },
      {
        role: "user",
        name: "ada",
        content: [
          { type: "text", text: "Look", prompt_cache_breakpoint: { mode: "explicit" } },
          { type: "image_url", image_url: { url: "data:image/webp;base64,UklG", detail: "low" } },
          { type: "image_url", image_url: { url: "https://x.test/a.png" } },
          { type: "input_audio", input_audio: { data: "SUQz", format: "mp3" } },
          {
            type: "file",
            file: { filename: "r.pdf", file_data: "data:application/pdf;base64,JVBE" },
          },
        ],
      },
      {
        role: "assistant",
        content: "",
        reasoning: "hmm",
        tool_calls: [{ id: "c1", type: "function", function: { name: "f", arguments: "{}" } }],
      },
      { role: "tool", tool_call_id: "c1", content: [{ type: "text", text: "ok" }] },
      { role: "developer", content: "Mid-way" },
      { role: "user", content: "" },
      {
        role: "assistant",
        content: [{ type: "text", text: "A" }, { type: "refusal", refusal: "R" }],
      },
      { role: "user", content: "next" },
    ],
    tools: [
      { type: "function", function: { name: "f" } },
      {
        type: "function",
        function: { name: "g", description: "G", parameters: { type: "object" }, strict: true },
      },
    ],
    tool_choice: "none",
    response_format: {
      type: "json_schema",
      json_schema: {
        name: "out",
        description: "The answer",
        schema: { type: "object" },
        strict: true,
      },
    },
    max_tokens: 64,
    stop: "END",
    reasoning_effort: "max",
    stream: true,
    stream_options: { include_usage: true, include_obfuscation: false },
    user: "u",
    seed: 1,
    metadata: { a: "b" },
  };
  const encodeContext = context("gpt-x");
  const encoded = codec.encodeRequest(
    codec.decodeRequest(structuredClone(body), {}),
    encodeContext,
  );
  assertEquals(encoded, body);
  assertEquals(encodeContext.warnings, []);
});

Deno.test("openai-chat stream decode: tool calls without an index, errors by event name", () => {
  const decoder = codec.createStreamDecoder();
  const chunk = (delta: unknown) =>
    JSON.stringify({ id: "x", choices: [{ index: 0, delta, finish_reason: null }] });
  const events = [
    ...decoder.decode({
      data: chunk({ tool_calls: [{ id: "a", function: { name: "f", arguments: "{" } }] }),
    }),
    ...decoder.decode({ data: chunk({ tool_calls: [{ function: { arguments: "}" } }] }) }),
    ...decoder.decode({
      data: chunk({ tool_calls: [{ id: "b", function: { name: "g", arguments: "" } }] }),
    }),
    ...decoder.decode({
      data: chunk({ tool_calls: [{ id: "b", function: { arguments: "{}" } }] }),
    }),
    ...decoder.decode({
      event: "error",
      data: '{"message":"quota gone","type":"insufficient_quota"}',
    }),
  ];
  assertEquals(lifecycleProblems(events), []);
  assertEquals(assemble(events).toolCalls, [
    { id: "a", name: "f", arguments: "{}" },
    { id: "b", name: "g", arguments: "{}" },
  ]);
  const last = events.at(-1);
  assert(last?.type === "error");
  assertEquals([last.error.kind, last.error.message], ["rate_limit", "quota gone"]);
});

Deno.test("openai-chat request decode: include_usage only for streams that ask", () => {
  const base = { model: "m", messages: [{ role: "user", content: "x" }] };
  assertEquals(codec.decodeRequest({ ...base, stream: true }, {}).includeUsage, undefined);
  assertEquals(
    codec.decodeRequest({ ...base, stream: true, stream_options: { include_usage: true } }, {})
      .includeUsage,
    true,
  );
  assertEquals(
    codec.decodeRequest({ ...base, stream: true, stream_options: { include_usage: false } }, {})
      .includeUsage,
    undefined,
  );
  const encoded = codec.encodeRequest(
    codec.decodeRequest({ ...base, stream: true }, {}),
    context(),
  );
  assertEquals(encoded.stream_options, { include_usage: true });
});

Deno.test("openai-chat request decode: allowed_tools narrows the tools", () => {
  const tool = (name: string) => ({ type: "function", function: { name, parameters: {} } });
  const decoded = codec.decodeRequest({
    model: "m",
    messages: [{ role: "user", content: "x" }],
    tools: [tool("a"), tool("b"), tool("c")],
    tool_choice: {
      type: "allowed_tools",
      allowed_tools: { mode: "required", tools: [{ type: "function", function: { name: "b" } }] },
    },
  }, {});
  assertEquals(decoded.tools.map((entry) => entry.name), ["b"]);
  assertEquals(decoded.toolChoice, { type: "required" });
});

Deno.test("openai-chat request decode: malformed bodies name the problem", () => {
  const user = { role: "user", content: "x" };
  const cases: Array<[unknown, RegExp]> = [
    [null, /^body: must be a JSON object/],
    [[], /^body: must be a JSON object, got an array/],
    [{ messages: [user] }, /^model: must be a non-empty string/],
    [{ model: "", messages: [user] }, /^model: must be a non-empty string/],
    [{ model: "m" }, /^messages: must be an array, got nothing/],
    [{ model: "m", messages: "hi" }, /^messages: must be an array/],
    [{ model: "m", messages: [] }, /^messages: must not be empty/],
    [{ model: "m", messages: [42] }, /^messages\[0\]: must be an object, got a number/],
    [
      { model: "m", messages: [{ role: "bot", content: "x" }] },
      /^messages\[0\]\.role: unknown role "bot"/,
    ],
    [
      { model: "m", messages: [{ role: "function", name: "f", content: "x" }] },
      /^messages\[0\]\.role: the legacy "function" role is not supported/,
    ],
    [
      { model: "m", messages: [{ role: "user", content: 5 }] },
      /^messages\[0\]\.content: must be a string or an array/,
    ],
    // Parts, tools and calls of types subgate does not know are no longer refused here (the
    // upstream judges them): see "what subgate does not know …" below.
    [
      { model: "m", messages: [{ role: "user", content: [{ video: {} }] }] },
      /^messages\[0\]\.content\[0\]\.type: must be a string/,
    ],
    [
      { model: "m", messages: [{ role: "user", content: [{ type: "text" }] }] },
      /^messages\[0\]\.content\[0\]\.text: must be a string/,
    ],
    [
      {
        model: "m",
        messages: [{ role: "user", content: [{ type: "file", file: { file_id: "file-1" } }] }],
      },
      /^messages\[0\]\.content\[0\]\.file\.file_id: uploaded file ids are not supported/,
    ],
    [
      { model: "m", messages: [{ role: "tool", content: "x" }] },
      /^messages\[0\]\.tool_call_id: must be a non-empty string/,
    ],
    [
      {
        model: "m",
        messages: [{ role: "assistant", tool_calls: [{ id: "c", type: "function" }] }],
      },
      /^messages\[0\]\.tool_calls\[0\]\.function: must be an object/,
    ],
    [
      {
        model: "m",
        messages: [{ role: "assistant", function_call: { name: "f", arguments: "{}" } }],
      },
      /^messages\[0\]\.function_call: the legacy functions API is not supported/,
    ],
    [
      { model: "m", messages: [user], n: 2 },
      /^n: subgate returns one choice per request; n must be 1, got 2/,
    ],
    [
      { model: "m", messages: [user], functions: [{ name: "f" }] },
      /^functions: the legacy functions API/,
    ],
    [{ model: "m", messages: [user], tools: {} }, /^tools: must be an array, got an object/],
    [
      { model: "m", messages: [user], tools: [{ function: { name: "x" } }] },
      /^tools\[0\]\.type: must be a string/,
    ],
    [
      { model: "m", messages: [user], tools: [{ type: "function", function: {} }] },
      /^tools\[0\]\.function\.name/,
    ],
    [{ model: "m", messages: [user], tool_choice: "sometimes" }, /^tool_choice: must be "auto"/],
    [
      { model: "m", messages: [user], response_format: { json_schema: {} } },
      /^response_format\.type: must be/,
    ],
    [
      { model: "m", messages: [user], temperature: "hot" },
      /^temperature: must be a number, got a string/,
    ],
    [{ model: "m", messages: [user], max_tokens: "10" }, /^max_tokens: must be a number/],
    [{ model: "m", messages: [user], stop: [1] }, /^stop: must be a string or an array of strings/],
    [{ model: "m", messages: [user], stream: "yes" }, /^stream: must be a boolean/],
    [
      { model: "m", messages: [user], reasoning_effort: "extreme" },
      /^reasoning_effort: must be one of/,
    ],
    [
      { model: "m", messages: [user], stream_options: { include_usage: 1 } },
      /^stream_options\.include_usage/,
    ],
  ];
  for (const [body, pattern] of cases) {
    try {
      codec.decodeRequest(body, {});
      throw new Error(`accepted: ${JSON.stringify(body)}`);
    } catch (error) {
      assert(error instanceof ApiErrorException, String(error));
      assertEquals(error.error.kind, "invalid_request");
      assertEquals(error.error.status, 400);
      assertMatch(error.error.message, pattern);
    }
  }
});

Deno.test("openai-chat: what subgate does not know goes up as sent; across dialects it is dropped or refused", () => {
  const body = {
    model: "gpt-x",
    messages: [
      { role: "system", content: [{ type: "text", text: "Sys" }, { type: "note", note: "n" }] },
      {
        role: "user",
        content: [
          { type: "video_url", video_url: { url: "https://x.test/v.mp4" } },
          { type: "text", text: "Watch." },
        ],
      },
      { role: "user", content: [{ type: "hologram", data: "h" }] },
      {
        role: "assistant",
        content: null,
        tool_calls: [{ id: "c1", type: "function", function: { name: "f", arguments: "{}" } }],
      },
      { role: "tool", tool_call_id: "c1", content: [{ type: "chart", chart: {} }] },
    ],
    tools: [
      { type: "function", function: { name: "f", parameters: { type: "object" } } },
      { type: "custom", custom: { name: "grammar_tool", format: { type: "text" } } },
    ],
    stream: false,
  };
  const decoded = codec.decodeRequest(structuredClone(body), {});
  assertEquals(codec.encodeRequest(decoded, context("gpt-x")), body);
  assertEquals(decoded.tools.map((tool) => tool.name), ["f"]);
  assertEquals(decoded.messages[0].content.map((part) => part.type === "text" && part.text), [
    "Watch.",
  ]);

  // Elsewhere, the user message that held only an unknown part has nothing left to say.
  const anthropic = CODECS.anthropic.encodeRequest(decoded, context("claude-x"));
  assertEquals((anthropic.messages as Array<{ role: string }>).map((message) => message.role), [
    "user",
    "assistant",
    "user",
  ]);

  const leaving = context();
  codec.leaveDialect!(decoded, leaving);
  assertEquals(leaving.warnings, [
    'tools: tool type "custom" dropped',
    "content: 4 content part(s) of a type subgate does not know dropped",
  ]);

  // What would change the answer across dialects is refused there, never here.
  const refusals: Array<[Record<string, unknown>, RegExp]> = [
    [
      { tool_choice: { type: "custom", custom: { name: "grammar_tool" } } },
      /^tool_choice: "custom"/,
    ],
    [{ response_format: { type: "grammar", grammar: "start: x" } }, /^response_format: "grammar"/],
    [
      {
        messages: [
          { role: "user", content: "hi" },
          {
            role: "assistant",
            content: null,
            tool_calls: [{ id: "c2", type: "custom", custom: { name: "g", input: "x" } }],
          },
          { role: "tool", tool_call_id: "c2", content: "done" },
        ],
      },
      /^tool_calls: "custom" tool calls cannot be sent/,
    ],
  ];
  for (const [fields, pattern] of refusals) {
    const sent = { ...structuredClone(body), ...fields };
    const request = codec.decodeRequest(structuredClone(sent), {});
    assertEquals(codec.encodeRequest(request, context("gpt-x")), sent);
    try {
      codec.leaveDialect!(request, context());
      throw new Error(`translated: ${JSON.stringify(fields)}`);
    } catch (error) {
      assert(error instanceof ApiErrorException, String(error));
      assertEquals(error.error.status, 400);
      assertMatch(error.error.message, pattern);
    }
  }
});

Deno.test("openai-chat request encode: a request from another dialect", () => {
  const encodeContext = context("gpt-upstream");
  const encoded = codec.encodeRequest(
    request({
      model: "claude-alias",
      system: [{ type: "text", text: "Sys A" }, { type: "text", text: "Sys B" }],
      messages: [
        { role: "user", content: [{ type: "text", text: "Q" }] },
        {
          role: "assistant",
          content: [
            { type: "reasoning", text: "secret", signature: "sig", origin: "anthropic" },
            { type: "text", text: "Let me look." },
            { type: "tool-call", id: "toolu_1", name: "shot", arguments: "" },
          ],
        },
        {
          role: "user",
          content: [
            {
              type: "tool-result",
              toolCallId: "toolu_1",
              isError: true,
              content: [
                { type: "text", text: "here" },
                { type: "file", mediaType: "image/png", data: "iVBO" },
              ],
            },
            { type: "text", text: "and?" },
          ],
        },
      ],
      tools: [{ name: "shot", description: "screenshot", parameters: { type: "object" } }],
      toolChoice: { type: "required" },
      maxOutputTokens: 100,
      topK: 5,
      stopSequences: ["X"],
      reasoning: { budgetTokens: 10000, enabled: true },
      stream: true,
    }),
    encodeContext,
  );
  assertEquals(encoded, {
    model: "gpt-upstream",
    messages: [
      { role: "system", content: "Sys A" },
      { role: "system", content: "Sys B" },
      { role: "user", content: "Q" },
      {
        role: "assistant",
        content: "Let me look.",
        tool_calls: [{
          id: "toolu_1",
          type: "function",
          function: { name: "shot", arguments: "{}" },
        }],
      },
      {
        role: "tool",
        tool_call_id: "toolu_1",
        content: "here\n(file attached in the next user message)",
      },
      {
        role: "user",
        content: [
          { type: "image_url", image_url: { url: "data:image/png;base64,iVBO" } },
          { type: "text", text: "and?" },
        ],
      },
    ],
    tools: [{
      type: "function",
      function: { name: "shot", description: "screenshot", parameters: { type: "object" } },
    }],
    tool_choice: "required",
    max_tokens: 100,
    stop: ["X"],
    reasoning_effort: "medium",
    stream: true,
    stream_options: { include_usage: true },
  });
  assertEquals(encodeContext.warnings.map((warning) => warning.split(":")[0]), [
    "reasoning",
    "tool-result.isError",
    "tool-result.content",
    "topK",
  ]);
});

Deno.test("openai-chat request encode: losses that would change the answer are refused", () => {
  const cases: Array<[Partial<CanonicalRequest>, RegExp]> = [
    [
      {
        messages: [{
          role: "user",
          content: [{ type: "file", mediaType: "application/pdf", url: "https://x.test/a.pdf" }],
        }],
      },
      /application\/pdf by URL cannot be sent/,
    ],
    [
      {
        messages: [{
          role: "user",
          content: [{ type: "file", mediaType: "audio/ogg", data: "T2dn" }],
        }],
      },
      /audio\/ogg audio input cannot be sent/,
    ],
    [{ toolChoice: { type: "tool", name: "f" } }, /^tool_choice: a tool call was required/],
  ];
  for (const [overrides, pattern] of cases) {
    try {
      codec.encodeRequest(request(overrides), context());
      throw new Error("accepted");
    } catch (error) {
      assert(error instanceof ApiErrorException, String(error));
      assertEquals(error.error.kind, "invalid_request");
      assertMatch(error.error.message, pattern);
    }
  }
});

Deno.test("openai-chat request encode: documents and text files", () => {
  const encodeContext = context();
  const encoded = codec.encodeRequest(
    request({
      messages: [{
        role: "user",
        content: [
          { type: "file", mediaType: "application/pdf", data: "JVBE" },
          { type: "file", mediaType: "text/plain", data: btoa("plain words") },
        ],
      }],
      stream: false,
    }),
    encodeContext,
  );
  assertEquals(encoded.messages, [{
    role: "user",
    content: [
      {
        type: "file",
        file: { filename: "document.pdf", file_data: "data:application/pdf;base64,JVBE" },
      },
      { type: "text", text: "plain words" },
    ],
  }]);
  assertEquals(encoded.stream, false);
  assertEquals(encoded.stream_options, undefined);
});

Deno.test("openai-chat request encode: Chat reasoning goes back, others' does not", () => {
  const decoded = codec.decodeRequest({
    model: "deepseek-reasoner",
    messages: [
      { role: "user", content: "x" },
      { role: "assistant", content: "a", reasoning_content: "r" },
      { role: "user", content: "y" },
    ],
  }, {});
  const encoded = codec.encodeRequest(decoded, context());
  assertEquals((encoded.messages as unknown[])[1], {
    role: "assistant",
    content: "a",
    reasoning_content: "r",
  });
});

// ---------------------------------------------------------------- errors

Deno.test("openai-chat error decode: the captured error bodies", () => {
  const legacy = codec.decodeError(
    400,
    JSON.stringify(readJsonFixture(DIALECT, "reasoning-model-legacy-parameter-error.json")),
    new Headers(),
  );
  assertEquals(legacy, {
    kind: "invalid_request",
    status: 400,
    code: "unsupported_parameter",
    message:
      "Unsupported parameter: 'max_tokens' is not supported with this model. Use 'max_completion_tokens' instead.",
  });
  const [developer] = readCassette(DIALECT, "test_openai_o1_mini_system_role[developer].yaml");
  const headers = new Headers();
  for (const [name, values] of Object.entries(developer.response.headers)) {
    for (const value of values) headers.append(name, value);
  }
  const error = codec.decodeError(developer.response.status, developer.response.text, headers);
  assertEquals(error.kind, "invalid_request");
  assertMatch(error.message, /does not support 'developer'/);
});

Deno.test("openai-chat error decode: statuses, codes and retry hints", () => {
  const body = (type: string, code: string | null = null) =>
    JSON.stringify({ error: { message: "m", type, param: null, code } });
  const cases: Array<[number, string, Record<string, string>, string, number, number?]> = [
    [401, body("invalid_request_error", "invalid_api_key"), {}, "authentication", 401],
    [403, body("permission_error"), {}, "permission", 403],
    [403, body("insufficient_quota", "insufficient_quota"), {}, "rate_limit", 429],
    [404, body("invalid_request_error", "model_not_found"), {}, "not_found", 404],
    [413, body("invalid_request_error"), {}, "request_too_large", 413],
    [422, body("invalid_request_error"), {}, "invalid_request", 422],
    [429, body("requests", "rate_limit_exceeded"), { "retry-after": "7" }, "rate_limit", 429, 7],
    [429, body("tokens"), { "retry-after-ms": "1500", "retry-after": "2" }, "rate_limit", 429, 1.5],
    [500, body("server_error"), {}, "api_error", 500],
    [502, "<html>Bad gateway</html>", {}, "api_error", 502],
    [503, "", { "retry-after": "3" }, "overloaded", 503, 3],
    [529, body("overloaded_error"), {}, "overloaded", 503],
  ];
  for (const [status, text, headers, kind, clientStatus, retry] of cases) {
    const error = codec.decodeError(status, text, new Headers(headers));
    assertEquals(error.kind, kind, `${status} ${text}`);
    assertEquals(error.status, clientStatus, `${status} ${text}`);
    assertEquals(error.retryAfterSeconds, retry, `${status} ${text}`);
  }
  assertEquals(
    codec.decodeError(502, "<html>Bad gateway</html>", new Headers()).message,
    "<html>Bad gateway</html>",
  );
  assertEquals(codec.decodeError(503, "", new Headers()).message, "upstream returned HTTP 503");
});
