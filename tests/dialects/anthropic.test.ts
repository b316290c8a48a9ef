/**
 * Unit tests of the Anthropic Messages codec against real captures
 * (tests/fixtures/anthropic-messages) and hand-made edge cases.
 *
 * Documented normalisations of decodeRequest → encodeRequest (a cassette
 * body comes back deep-equal after these):
 * - `system` as a string becomes one text block; message `content` as a
 *   string becomes one text block (Anthropic reads both forms the same).
 * - The legacy `output_format` becomes `output_config.format` (not in the
 *   cassettes; covered by its own test).
 * - A response without `stop_sequence` gets `stop_sequence: null`.
 * - Empty text blocks are left out; a tool_result whose content is "" loses
 *   the key; a missing `stream` becomes `stream: false`; a missing
 *   `max_tokens` becomes 8192.
 *
 * Stream round trips compare canonical events after renumbering block
 * indexes by first appearance: server blocks (server_tool_use,
 * web_search_tool_result, …) produce no canonical events, so the blocks after
 * them are renumbered by the encoder.
 */
import { Anthropic } from "../helpers/npm.ts";
import { encodeRequest } from "../../src/dialects/anthropic/encode-request.ts";
import { encodeResponse } from "../../src/dialects/anthropic/encode-response.ts";
import { codec } from "../../src/dialects/anthropic/index.ts";
import { CODECS } from "../../src/dialects/registry.ts";
import type { EncodeContext } from "../../src/dialects/codec.ts";
import type { CanonicalRequest } from "../../src/ir/request.ts";
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

type Json = Record<string, unknown>;

const DIR = "anthropic-messages";

function decodeSse(text: string): StreamEvent[] {
  const parser = createSseParser();
  const decoder = codec.createStreamDecoder();
  const events: StreamEvent[] = [];
  for (const sse of [...parser.push(text), ...parser.end()]) events.push(...decoder.decode(sse));
  events.push(...decoder.end());
  return events;
}

function encodeEvents(events: StreamEvent[], request: CanonicalRequest): string {
  const encoder = codec.createStreamEncoder(request);
  let text = "";
  for (const event of events) text += encoder.encode(event);
  return text + encoder.end();
}

function requestFor(model: string, stream = true): CanonicalRequest {
  return { model, system: [], messages: [], tools: [], stream };
}

/**
 * Events with block indexes renumbered 0, 1, … by first appearance, and cache
 * counts an upstream left out as 0 (the encoder always writes them).
 */
function renumber(events: StreamEvent[]): StreamEvent[] {
  const map = new Map<number, number>();
  return events.map((event) => {
    if ((event.type === "start" || event.type === "finish") && event.usage) {
      return {
        ...event,
        usage: { cachedInputTokens: 0, cacheCreationInputTokens: 0, ...event.usage },
      };
    }
    if (!("index" in event)) return event;
    let index = map.get(event.index);
    if (index === undefined) map.set(event.index, index = map.size);
    return { ...event, index };
  });
}

/** Every block starts before its deltas and ends once; the answer starts once and finishes. */
function assertWellFormed(events: StreamEvent[], name: string): void {
  const open = new Map<number, string>();
  const ended = new Set<number>();
  assertEquals(events[0]?.type, "start", `${name}: starts with start`);
  assertEquals(events.filter((e) => e.type === "start").length, 1, `${name}: one start`);
  for (const event of events) {
    const family = event.type.replace(/-(start|delta|end|signature)$/, "");
    if (!("index" in event)) continue;
    if (event.type.endsWith("-start")) {
      assert(!open.has(event.index) && !ended.has(event.index), `${name}: ${event.index} reopened`);
      open.set(event.index, family);
    } else if (event.type.endsWith("-end")) {
      assertEquals(open.get(event.index), family, `${name}: end of an open ${family}`);
      open.delete(event.index);
      ended.add(event.index);
    } else {
      assertEquals(open.get(event.index), family, `${name}: ${event.type} inside its block`);
    }
  }
  assertEquals([...open.keys()], [], `${name}: every block ends`);
  assertEquals(events.at(-1)?.type, "finish", `${name}: ends with finish`);
}

/** Every SSE stream among the captures: the chunk files and the streamed cassette answers. */
function captureStreams(): Array<{ name: string; sse: string }> {
  const streams = listFixtures(DIR, ".chunks.txt").map((name) => ({
    name,
    sse: chunksAsSse(DIR, name),
  }));
  for (const name of listFixtures(DIR, ".yaml")) {
    readCassette(DIR, name).forEach((interaction, i) => {
      if (interaction.response.text.includes("event: message_start")) {
        streams.push({ name: `${name}#${i}`, sse: interaction.response.text });
      }
    });
  }
  return streams;
}

/** Every whole-message response body among the captures. */
function captureResponses(): Array<{ name: string; body: Json }> {
  const bodies = listFixtures(DIR, ".json")
    .map((name) => ({ name, body: readJsonFixture(DIR, name) }))
    .filter(({ body }) => body.type === "message");
  for (const name of listFixtures(DIR, ".yaml")) {
    readCassette(DIR, name).forEach((interaction, i) => {
      const json = interaction.response.json as Json | undefined;
      if (json?.type === "message") bodies.push({ name: `${name}#${i}`, body: json });
    });
  }
  return bodies;
}

function recordingContext(model: string): EncodeContext & { warnings: string[] } {
  const warnings: string[] = [];
  return { model, warnings, warn: (field, detail) => warnings.push(`${field}: ${detail}`) };
}

function throwsInvalid(fn: () => unknown, pattern: RegExp): void {
  try {
    fn();
  } catch (error) {
    assert(error instanceof ApiErrorException, `an ApiErrorException, got ${error}`);
    assertEquals(error.error.kind, "invalid_request");
    assertEquals(error.error.status, 400);
    assertMatch(error.error.message, pattern);
    return;
  }
  throw new Error(`expected an invalid_request matching ${pattern}`);
}

// ---- Streams -----------------------------------------------------------------------------------

Deno.test("every captured stream decodes into well-formed canonical events", () => {
  const streams = captureStreams();
  assert(streams.length >= 20, `found ${streams.length} streams`);
  for (const { name, sse } of streams) {
    const events = decodeSse(sse);
    assertEquals(events.filter((e) => e.type === "error"), [], `${name}: no error events`);
    assertWellFormed(events, name);
    const finish = events.at(-1) as StreamEvent & { type: "finish" };
    assert((finish.usage?.outputTokens ?? 0) > 0, `${name}: finish carries usage`);
  }
});

Deno.test("streamed text, thinking and usage match the raw events", () => {
  for (const name of listFixtures(DIR, ".chunks.txt")) {
    const raw = readChunks(DIR, name);
    const events = decodeSse(chunksAsSse(DIR, name));
    const rawDeltas = raw.map((e) => e.delta as Json | undefined);
    const rawText = rawDeltas.filter((d) => d?.type === "text_delta").map((d) => d!.text).join("");
    const text = events.map((e) => e.type === "text-delta" ? e.text : "").join("");
    assertEquals(text, rawText, `${name}: text`);
    const rawThinking = rawDeltas.filter((d) => d?.type === "thinking_delta")
      .map((d) => d!.thinking).join("");
    assertEquals(
      events.map((e) => e.type === "reasoning-delta" ? e.text : "").join(""),
      rawThinking,
      `${name}: thinking`,
    );
    const signatures = rawDeltas.filter((d) => d?.type === "signature_delta").map((d) =>
      d!.signature
    );
    assertEquals(
      events.flatMap((e) => e.type === "reasoning-signature" ? [e.signature] : []),
      signatures,
      `${name}: signatures`,
    );
    const start = raw[0].message as Json;
    const last = raw.findLast((e) => e.type === "message_delta")!;
    const finish = events.at(-1) as StreamEvent & { type: "finish" };
    const prompt = (usage: Json) =>
      Number(usage.input_tokens) + Number(usage.cache_read_input_tokens ?? 0) +
      Number(usage.cache_creation_input_tokens ?? 0);
    const startUsage = start.usage as Json;
    const finalUsage = { ...startUsage, ...(last.usage as Json) };
    assertEquals(finish.usage?.outputTokens, finalUsage.output_tokens, `${name}: output tokens`);
    assertEquals(
      finish.usage?.inputTokens,
      prompt(finalUsage),
      `${name}: input includes the cache`,
    );
    assertEquals(finish.usage?.cachedInputTokens, finalUsage.cache_read_input_tokens);
    const first = events[0] as StreamEvent & { type: "start" };
    assertEquals([first.id, first.model], [start.id, start.model]);
    assertEquals(first.usage?.inputTokens, prompt(startUsage), `${name}: start usage`);
    assertEquals(first.usage?.cacheCreationInputTokens, startUsage.cache_creation_input_tokens);
  }
});

Deno.test("tool-call argument deltas join into the streamed input, and match the whole answer's", () => {
  let compared = 0;
  for (const name of listFixtures(DIR, ".chunks.txt")) {
    const raw = readChunks(DIR, name);
    const events = decodeSse(chunksAsSse(DIR, name));
    // The raw input of each client tool_use block, by index.
    const rawInputs = new Map<number, string>();
    for (const event of raw) {
      const block = event.content_block as Json | undefined;
      if (event.type === "content_block_start" && block?.type === "tool_use") {
        rawInputs.set(event.index as number, "");
      }
      const delta = event.delta as Json | undefined;
      if (delta?.type === "input_json_delta" && rawInputs.has(event.index as number)) {
        rawInputs.set(
          event.index as number,
          rawInputs.get(event.index as number)! + delta.partial_json,
        );
      }
    }
    const calls = new Map<number, { name: string; args: string }>();
    for (const event of events) {
      if (event.type === "tool-call-start") calls.set(event.index, { name: event.name, args: "" });
      if (event.type === "tool-call-delta") calls.get(event.index)!.args += event.argumentsDelta;
    }
    assertEquals([...calls.keys()], [...rawInputs.keys()], `${name}: one call per tool_use`);
    for (const [index, call] of calls) {
      const args = call.args === "" ? {} : JSON.parse(call.args);
      const raw = rawInputs.get(index)!;
      assertEquals(args, raw === "" ? {} : JSON.parse(raw), `${name}: block ${index} input`);
    }
    const whole = name.replace(/\.chunks\.txt$/, ".json");
    if (calls.size > 0 && listFixtures(DIR, ".json").includes(whole)) {
      const answer = codec.decodeResponse(readJsonFixture(DIR, whole));
      const wholeCalls = answer.content.filter((p) => p.type === "tool-call");
      assertEquals(
        wholeCalls.map((c) => c.name),
        [...calls.values()].map((c) => c.name),
        `${name}: the same tools as ${whole}`,
      );
      // The same recording in both forms: the arguments agree too.
      if (name === "anthropic-json-other-tool.1.chunks.txt") {
        assertEquals(
          wholeCalls.map((c) => JSON.parse(c.arguments)),
          [...calls.values()].map((c) => JSON.parse(c.args)),
        );
      }
      compared++;
    }
  }
  assert(compared >= 2, "some streams have a whole-answer twin");
});

Deno.test("encoding a decoded stream and decoding it again gives the same canonical events", () => {
  for (const { name, sse } of captureStreams()) {
    const events = decodeSse(sse);
    const start = events[0] as StreamEvent & { type: "start" };
    const again = decodeSse(encodeEvents(events, requestFor(start.model)));
    assertEquals(renumber(again), renumber(events), name);
  }
});

/** What the Anthropic SDK makes of an SSE body: its accumulated final message. */
async function sdkMessage(sse: string): Promise<Json> {
  const client = new Anthropic({
    apiKey: "test",
    baseURL: "http://upstream.invalid",
    fetch: () =>
      Promise.resolve(new Response(sse, { headers: { "content-type": "text/event-stream" } })),
  });
  const stream = client.messages.stream({
    model: "m",
    max_tokens: 10,
    messages: [{ role: "user", content: "hi" }],
  });
  return await stream.finalMessage() as unknown as Json;
}

/** The parts of an SDK message a translated stream must reproduce. */
function sdkEssentials(message: Json): Json {
  const usage = message.usage as Json;
  const canonical = new Set(["text", "thinking", "redacted_thinking", "tool_use"]);
  return {
    id: message.id,
    model: message.model,
    stop_reason: message.stop_reason,
    stop_sequence: message.stop_sequence,
    content: (message.content as Json[]).filter((block) => canonical.has(String(block.type)))
      .map(({ caller: _caller, ...block }) => block),
    usage: {
      input_tokens: usage.input_tokens,
      output_tokens: usage.output_tokens,
      cache_read_input_tokens: usage.cache_read_input_tokens ?? 0,
      cache_creation_input_tokens: usage.cache_creation_input_tokens ?? 0,
    },
  };
}

Deno.test("the Anthropic SDK reads a re-encoded stream as it reads the original", async () => {
  for (const { name, sse } of captureStreams()) {
    const original = sdkEssentials(await sdkMessage(sse));
    const events = decodeSse(sse);
    const encoded = encodeEvents(events, requestFor(String(original.model)));
    assertEquals(sdkEssentials(await sdkMessage(encoded)), original, name);
  }
});

Deno.test("the encoder writes Anthropic's block indexes, event names and a proper end", () => {
  const text = encodeEvents([
    {
      type: "start",
      id: "abc",
      model: "upstream-model",
      usage: { inputTokens: 30, cachedInputTokens: 10 },
    },
    { type: "reasoning-start", index: 7 },
    { type: "reasoning-delta", index: 7, text: "hmm" },
    { type: "text-start", index: 3 },
    { type: "text-delta", index: 3, text: "Hi" },
    { type: "reasoning-delta", index: 7, text: " late" },
    { type: "tool-call-start", index: 12, id: "call_1", name: "weather" },
    { type: "tool-call-delta", index: 12, argumentsDelta: '{"city":"Paris"}' },
    { type: "usage", usage: { outputTokens: 42 } },
  ], requestFor("client-model"));
  const parser = createSseParser();
  const sse = parser.push(text);
  for (const event of sse) assertEquals(event.event, JSON.parse(event.data).type);
  const data = sse.map((event) => JSON.parse(event.data));
  assertEquals(data.map((d) => `${d.type}${d.index ?? ""}`), [
    "message_start",
    "content_block_start0",
    "content_block_delta0",
    "content_block_stop0",
    "content_block_start1",
    "content_block_delta1",
    "content_block_stop1",
    "content_block_start2", // the late thinking opens a new block
    "content_block_delta2",
    "content_block_stop2",
    "content_block_start3",
    "content_block_delta3",
    "content_block_stop3",
    "message_delta",
    "message_stop",
  ]);
  assertEquals(data[0].message.id, "msg_abc");
  assertEquals(data[0].message.model, "client-model");
  assertEquals(data[0].message.usage.input_tokens, 20);
  assertEquals(data[0].message.usage.cache_read_input_tokens, 10);
  assertEquals(data[10].content_block, {
    type: "tool_use",
    id: "call_1",
    name: "weather",
    input: {},
  });
  assertEquals(data[11].delta, { type: "input_json_delta", partial_json: '{"city":"Paris"}' });
  assertEquals(data[13].delta, { stop_reason: "tool_use", stop_sequence: null });
  assertEquals(data[13].usage.output_tokens, 42);
});

Deno.test("an error event ends the stream in Anthropic's error shape", () => {
  const encoder = codec.createStreamEncoder(requestFor("m"));
  let text = encoder.encode({ type: "start", id: "msg_1", model: "m" });
  text += encoder.encode({ type: "text-start", index: 0 });
  text += encoder.encode({ type: "text-delta", index: 0, text: "par" });
  text += encoder.encode({
    type: "error",
    error: { kind: "overloaded", status: 529, message: "Overloaded" },
  });
  text += encoder.encode({ type: "text-delta", index: 0, text: "tial" });
  text += encoder.end();
  const events = createSseParser().push(text);
  const last = events.at(-1)!;
  assertEquals(last.event, "error");
  assertEquals(JSON.parse(last.data), {
    type: "error",
    error: { type: "overloaded_error", message: "Overloaded" },
  });
  assertEquals(events.filter((e) => e.event === "content_block_delta").length, 1);
});

Deno.test("the decoder turns error events, bad JSON and a cut-off stream into error events", () => {
  const overloaded = decodeSse(
    chunksAsSse(DIR, "anthropic-text.chunks.txt").split("event: content_block_stop")[0] +
      'event: error\ndata: {"type":"error","error":{"type":"overloaded_error","message":"Overloaded"}}\n\n',
  );
  const error = overloaded.at(-1) as StreamEvent & { type: "error" };
  assertEquals(error.error.kind, "overloaded");
  assertEquals(error.error.message, "Overloaded");

  const malformed = decodeSse('event: message_start\ndata: {"type":"message_start",\n\n');
  assertEquals(malformed.length, 1);
  assertEquals(malformed[0].type, "error");

  const cut = decodeSse(
    chunksAsSse(DIR, "anthropic-json-tool.1.chunks.txt").split("event: message_delta")[0]
      .replace(/event: content_block_stop[^]*$/, ""),
  );
  assertEquals(cut.slice(-2).map((e) => e.type), ["tool-call-end", "error"]);
  assertEquals(decodeSse("").map((e) => e.type), ["error"]);
});

Deno.test("web search citations ride on text-start and survive the round trip", () => {
  const events = decodeSse(chunksAsSse(DIR, "anthropic-web-search-tool.1.chunks.txt"));
  const cited = events.filter((e) => e.type === "text-start" && e.providerData);
  assert(cited.length >= 4, "cited text blocks");
  const raw = readChunks(DIR, "anthropic-web-search-tool.1.chunks.txt");
  const rawCitations = raw.filter((e) => (e.delta as Json | undefined)?.type === "citations_delta")
    .map((e) => (e.delta as Json).citation);
  assertEquals(
    cited.flatMap((e) =>
      (e as { providerData?: { anthropic?: { citations?: unknown[] } } }).providerData?.anthropic
        ?.citations ?? []
    ),
    rawCitations,
  );
});

// ---- Whole responses ---------------------------------------------------------------------------

Deno.test("every captured response decodes and encodes back to the same body", () => {
  const responses = captureResponses();
  assert(responses.length >= 15, `found ${responses.length} responses`);
  for (const { name, body } of responses) {
    const decoded = codec.decodeResponse(body);
    const encoded = codec.encodeResponse(decoded, requestFor(String(body.model), false));
    // Normalisation: a body without stop_sequence (one capture) gets `stop_sequence: null`.
    assertEquals(encoded, { stop_sequence: null, ...body }, name);
  }
});

Deno.test("a decoded response holds text, signed thinking, tool calls, usage and the stop reason", () => {
  const thinking = codec.decodeResponse(
    readJsonFixture(DIR, "anthropic-claude-opus-5-reasoning-high.1.json"),
  );
  const reasoning = thinking.content[0];
  assert(reasoning.type === "reasoning" && reasoning.origin === "anthropic");
  assert(reasoning.signature && reasoning.signature.length > 20);
  assertEquals(thinking.content[1].type, "text");
  assertEquals(thinking.usage.reasoningTokens, 139);

  const [redacted] = readCassette(DIR, "test_anthropic_model_thinking_part_redacted.yaml");
  const redactedAnswer = codec.decodeResponse(redacted.response.json);
  const part = redactedAnswer.content[0];
  assert(part.type === "reasoning" && part.redacted === true && part.encrypted!.length > 20);

  const tool = codec.decodeResponse(readJsonFixture(DIR, "anthropic-json-tool.1.json"));
  assertEquals(tool.stopReason, "tool-calls");
  const call = tool.content.find((p) => p.type === "tool-call");
  assert(call?.type === "tool-call");
  assertEquals(
    JSON.parse(call.arguments),
    (readJsonFixture(DIR, "anthropic-json-tool.1.json").content as Json[])[0].input,
  );

  const [cached] = readCassette(DIR, "test_anthropic_cache_real_api.yaml").slice(1);
  const usage = (cached.response.json as Json).usage as Record<string, number>;
  const decoded = codec.decodeResponse(cached.response.json);
  assertEquals(
    decoded.usage.inputTokens,
    usage.input_tokens + usage.cache_read_input_tokens + usage.cache_creation_input_tokens,
  );
  assertEquals(decoded.usage.cachedInputTokens, usage.cache_read_input_tokens);
  assertEquals(decoded.usage.cacheCreationInputTokens, usage.cache_creation_input_tokens);

  const search = codec.decodeResponse(readJsonFixture(DIR, "anthropic-web-search-tool.1.json"));
  const opaque = search.providerData?.anthropic?.opaque as Array<{ at: number; block: Json }>;
  assertEquals(opaque.map((o) => o.block.type), [
    "server_tool_use",
    "web_search_tool_result",
    "server_tool_use",
    "web_search_tool_result",
  ]);
  assert(search.content.every((p) => p.type === "text"), "server blocks are no parts");
});

Deno.test("another provider's reasoning goes to the client wrapped and comes back with its origin", () => {
  const body = encodeResponse({
    id: "resp_1",
    model: "m",
    content: [
      {
        type: "reasoning",
        text: "summary",
        encrypted: "gAAAA",
        id: "rs_1",
        origin: "openai-responses",
      },
      { type: "text", text: "Answer" },
    ],
    stopReason: "end",
    usage: { inputTokens: 5, outputTokens: 3 },
  }, requestFor("m", false));
  const block = body.content[0] as Json;
  assertEquals(block.type, "thinking");
  assertEquals(body.id, "msg_resp_1");
  const back = codec.decodeRequest({
    model: "m",
    max_tokens: 10,
    messages: [{ role: "user", content: "hi" }, { role: "assistant", content: body.content }],
  }, {});
  assertEquals(back.messages[1].content[0], {
    type: "reasoning",
    text: "summary",
    origin: "openai-responses",
    encrypted: "gAAAA",
    id: "rs_1",
  });
  // Sent to Anthropic, it is left out with a warning.
  const context = recordingContext("claude-sonnet-4-5");
  const encoded = codec.encodeRequest(back, context);
  assertEquals((encoded.messages as AnthropicMessages)[1].content, [{
    type: "text",
    text: "Answer",
  }]);
  assertMatch(context.warnings.join("\n"), /reasoning/);
});

type AnthropicMessages = Array<{ role: string; content: Json[] }>;

// ---- Requests ----------------------------------------------------------------------------------

/** A cassette body as the encoder writes it back (the normalisations listed at the top). */
function normalised(body: Json): Json {
  const out: Json = { ...body };
  if (typeof out.system === "string") out.system = [{ type: "text", text: out.system }];
  out.messages = (body.messages as Json[]).map((message) =>
    typeof message.content === "string"
      ? { ...message, content: [{ type: "text", text: message.content }] }
      : message
  );
  return out;
}

Deno.test("every cassette request body decodes and encodes back to itself", () => {
  let count = 0;
  for (const name of listFixtures(DIR, ".yaml")) {
    readCassette(DIR, name).forEach(({ request }, i) => {
      if (!request.body) return;
      const canonical = codec.decodeRequest(request.body, {});
      const context = recordingContext(String(request.body.model));
      const encoded = codec.encodeRequest(canonical, context);
      assertEquals(encoded, normalised(request.body), `${name}#${i}`);
      assertEquals(context.warnings, [], `${name}#${i}: nothing lost`);
      count++;
    });
  }
  assert(count >= 15, `${count} request bodies`);
});

Deno.test("a Claude Code style request keeps system items, cache_control, server tools and unknown blocks", () => {
  const body = {
    model: "claude-sonnet-4-5",
    max_tokens: 32000,
    system: [{ type: "text", text: "You are Claude Code.", cache_control: { type: "ephemeral" } }],
    messages: [
      {
        role: "user",
        content: [{
          type: "text",
          text: "Find it",
          cache_control: { type: "ephemeral", ttl: "1h" },
        }],
      },
      {
        role: "assistant",
        content: [
          { type: "thinking", thinking: "Let me search", signature: "sig-1" },
          { type: "server_tool_use", id: "srvtoolu_1", name: "web_search", input: { query: "x" } },
          { type: "web_search_tool_result", tool_use_id: "srvtoolu_1", content: [] },
          {
            type: "text",
            text: "Found",
            citations: [{ type: "web_search_result_location", url: "u" }],
          },
          { type: "tool_use", id: "toolu_1", name: "Read", input: { path: "/a" } },
        ],
      },
      {
        role: "user",
        content: [
          {
            type: "tool_result",
            tool_use_id: "toolu_1",
            content: [
              { type: "text", text: "file body" },
              { type: "image", source: { type: "base64", media_type: "image/png", data: "iVBOR" } },
              { type: "search_result", source: "s", title: "t", content: [] },
            ],
            is_error: false,
          },
          {
            type: "document",
            source: { type: "text", media_type: "text/plain", data: "héllo" },
            title: "notes",
            context: "c",
          },
          { type: "image", source: { type: "url", url: "https://example.com/a.png" } },
        ],
      },
      { role: "system", content: "Remember the rules." },
      {
        role: "user",
        content: [{ type: "redacted_thinking_like_future_block", x: 1 }, {
          type: "text",
          text: "go",
        }],
      },
    ],
    tools: [
      {
        name: "Read",
        description: "Read a file",
        input_schema: { type: "object", properties: {} },
        cache_control: { type: "ephemeral" },
      },
      { type: "web_search_20250305", name: "web_search", max_uses: 5 },
      { name: "Write", input_schema: { type: "object" }, strict: true },
    ],
    tool_choice: { type: "auto", disable_parallel_tool_use: true },
    thinking: { type: "enabled", budget_tokens: 4096 },
    metadata: { user_id: "user_abc_session_1", extra: 1 },
    stop_sequences: ["END"],
    temperature: 1,
    stream: true,
    context_management: { edits: [] },
    output_config: { effort: "max" },
  };
  const canonical = codec.decodeRequest(body, {});
  assertEquals(canonical.system[0].providerData, {
    anthropic: { cache_control: { type: "ephemeral" } },
  });
  assertEquals(canonical.messages.map((m) => m.role), [
    "user",
    "assistant",
    "user",
    "system",
    "user",
  ]);
  assertEquals(canonical.messages[3].providerData, { anthropic: { inMessages: true } });
  assertEquals(canonical.tools.map((t) => t.name), ["Read", "Write"]);
  assertEquals(canonical.toolChoice, { type: "auto" });
  assertEquals(canonical.parallelToolCalls, false);
  assertEquals(canonical.reasoning, { enabled: true, budgetTokens: 4096, effort: "xhigh" });
  assertEquals(canonical.user, "user_abc_session_1");
  const assistant = canonical.messages[1];
  assertEquals(assistant.content.map((p) => p.type), ["reasoning", "text", "tool-call"]);
  assertEquals(assistant.content[0], {
    type: "reasoning",
    text: "Let me search",
    signature: "sig-1",
    origin: "anthropic",
  });
  const results = canonical.messages[2].content;
  assertEquals(results.map((p) => p.type), ["tool-result", "file", "file"]);
  assertEquals(results[1], {
    type: "file",
    mediaType: "text/plain",
    data: btoa("h\u00c3\u00a9llo"),
    filename: "notes",
    providerData: { anthropic: { context: "c" } },
  });
  assertEquals(
    codec.encodeRequest(canonical, recordingContext("claude-sonnet-4-5")),
    normalised(body),
  );
});

Deno.test("malformed requests are refused as invalid_request naming the field", () => {
  const ok = { model: "m", max_tokens: 5, messages: [{ role: "user", content: "hi" }] };
  const cases: Array<[unknown, RegExp]> = [
    ["text", /JSON object/],
    [[1, 2], /JSON object/],
    [{ ...ok, model: undefined }, /^model: required/],
    [{ ...ok, model: "  " }, /^model: required/],
    [{ ...ok, messages: undefined }, /^messages: required/],
    [{ ...ok, messages: "hi" }, /^messages: required, an array of messages, found 'hi'/],
    [{ ...ok, messages: [] }, /^messages: must hold at least one message/],
    [
      { ...ok, messages: [ok.messages[0], ok.messages[0], { role: "robot", content: "x" }] },
      /^messages\[2\]\.role: must be user or assistant, found 'robot'/,
    ],
    [{ ...ok, messages: [{ role: "user" }] }, /^messages\[0\]\.content: required/],
    [
      { ...ok, messages: [{ role: "user", content: 5 }] },
      /^messages\[0\]\.content: must be a string or an array/,
    ],
    [
      { ...ok, messages: [{ role: "user", content: [{ type: "text", text: 5 }] }] },
      /^messages\[0\]\.content\[0\]\.text: must be a string, found 5/,
    ],
    [
      { ...ok, messages: [{ role: "user", content: [{ text: "x" }] }] },
      /^messages\[0\]\.content\[0\]: must be a content block/,
    ],
    [{
      ...ok,
      messages: [{ role: "user", content: [{ type: "tool_use", id: "a", name: "b", input: {} }] }],
    }, /content\[0\]: tool_use blocks belong in assistant messages/],
    [{
      ...ok,
      messages: [{
        role: "assistant",
        content: [{ type: "tool_use", id: "a", name: "b", input: [] }],
      }],
    }, /content\[0\]\.input: must be an object/],
    [{
      ...ok,
      messages: [{
        role: "user",
        content: [{ type: "tool_result", tool_use_id: "a", content: 3 }],
      }],
    }, /content\[0\]\.content: must be a string or an array/],
    [
      { ...ok, messages: [{ role: "user", content: [{ type: "image", source: "x" }] }] },
      /content\[0\]\.source: must be an object/,
    ],
    // Blocks a system message or `system` cannot hold as text, and tool choices of types
    // subgate does not know, are no longer refused here (the upstream judges them): see
    // "what subgate does not know …" below.
    [
      { ...ok, messages: [{ role: "system", content: [{ source: {} }] }] },
      /content\[0\]: must be a content block with a type/,
    ],
    [{ ...ok, max_tokens: "lots" }, /^max_tokens: must be a positive integer, found 'lots'/],
    [{ ...ok, max_tokens: 0 }, /^max_tokens: must be a positive integer/],
    [{ ...ok, max_tokens: 1.5 }, /^max_tokens: must be a positive integer/],
    [{ ...ok, temperature: "hot" }, /^temperature: must be a number/],
    [{ ...ok, top_k: 2.5 }, /^top_k: must be an integer/],
    [{ ...ok, stream: "yes" }, /^stream: must be true or false/],
    [{ ...ok, stop_sequences: "END" }, /^stop_sequences: must be an array/],
    [{ ...ok, system: 5 }, /^system: must be a string or an array/],
    [{ ...ok, system: ["text"] }, /^system\[0\]: must be a content block with a type/],
    [{ ...ok, tools: {} }, /^tools: must be an array/],
    [{ ...ok, tools: [{ name: "a" }] }, /^tools\[0\]\.input_schema: must be a JSON Schema object/],
    [
      { ...ok, tool_choice: { type: 3 } },
      /^tool_choice\.type: must be auto, any, tool or none/,
    ],
    [{ ...ok, tool_choice: { type: "tool" } }, /^tool_choice\.name: must be a string/],
    [
      { ...ok, thinking: { type: "enabled" } },
      /^thinking\.budget_tokens: must be a positive integer/,
    ],
    [{ ...ok, metadata: "u" }, /^metadata: must be an object/],
  ];
  for (const [body, pattern] of cases) throwsInvalid(() => codec.decodeRequest(body, {}), pattern);
});

Deno.test("what subgate does not know goes up as sent; across dialects it is dropped or refused", () => {
  const body = {
    model: "claude-sonnet-4-5",
    max_tokens: 1024,
    stream: false,
    system: [{ type: "text", text: "Be brief." }, { type: "system_hologram", data: "h" }],
    messages: [
      { role: "user", content: [{ type: "text", text: "hi" }] },
      {
        role: "system",
        content: [{ type: "text", text: "Rules." }, { type: "image", source: { type: "x" } }],
      },
      { role: "user", content: [{ type: "future_block", x: 1 }] },
    ],
  };
  const canonical = codec.decodeRequest(structuredClone(body), {});
  assertEquals(codec.encodeRequest(canonical, recordingContext("claude-sonnet-4-5")), body);
  assertEquals(canonical.system.map((part) => part.text), ["Be brief."]);
  const warnings = recordingContext("m");
  codec.leaveDialect!(canonical, warnings);
  assertEquals(warnings.warnings, [
    "content: 3 block(s) only Anthropic reads (server tools …) dropped",
  ]);
  // The message that held only an unknown block has nothing to say elsewhere.
  const chat = CODECS["openai-chat"].encodeRequest(canonical, recordingContext("m"));
  assertEquals((chat.messages as Json[]).map((message) => message.role), [
    "system",
    "user",
    "system",
  ]);

  const forced = { ...structuredClone(body), tool_choice: { type: "future_choice", x: 1 } };
  const request = codec.decodeRequest(structuredClone(forced), {});
  assertEquals(codec.encodeRequest(request, recordingContext("claude-sonnet-4-5")), forced);
  throwsInvalid(
    () => codec.leaveDialect!(request, recordingContext("m")),
    /^tool_choice: the type "future_choice"/,
  );
});

// ---- Requests from other dialects --------------------------------------------------------------

Deno.test("a canonical request from another dialect becomes a valid Anthropic body", () => {
  const request: CanonicalRequest = {
    model: "gpt-client-name",
    system: [{ type: "text", text: "Be brief." }],
    messages: [
      {
        role: "user",
        content: [{ type: "text", text: "Weather?" }, {
          type: "file",
          url: "data:image/png;base64,iVBOR",
        }],
      },
      {
        role: "assistant",
        content: [
          { type: "reasoning", text: "think", signature: "gemini-sig", origin: "gemini" },
          { type: "text", text: "" },
          { type: "tool-call", id: "call.1", name: "weather", arguments: '{"city":"Paris"}' },
          { type: "tool-call", id: "call_2", name: "weather", arguments: '{"city":' },
        ],
      },
      { role: "tool", content: [{ type: "tool-result", toolCallId: "call.1", content: "Sunny" }] },
      {
        role: "tool",
        content: [{ type: "tool-result", toolCallId: "call_2", content: "Rain", isError: true }],
      },
      { role: "system", content: [{ type: "text", text: "Now summarise." }] },
    ],
    tools: [{ name: "weather", description: "Weather", parameters: {} }],
    toolChoice: { type: "required" },
    parallelToolCalls: false,
    temperature: 0.2,
    topP: 0.9,
    responseFormat: { type: "json-schema", schema: { type: "object" } },
    reasoning: { effort: "high" },
    user: "u-1",
    stream: false,
  };
  const context = recordingContext("claude-sonnet-4-5-20250929");
  const body = codec.encodeRequest(request, context);
  assertEquals(body, {
    model: "claude-sonnet-4-5-20250929",
    max_tokens: 8192,
    stream: false,
    system: [{ type: "text", text: "Be brief." }, { type: "text", text: "Now summarise." }],
    messages: [
      {
        role: "user",
        content: [
          { type: "text", text: "Weather?" },
          { type: "image", source: { type: "base64", media_type: "image/png", data: "iVBOR" } },
        ],
      },
      {
        role: "assistant",
        content: [
          { type: "tool_use", id: "call_1", name: "weather", input: { city: "Paris" } },
          { type: "tool_use", id: "call_2", name: "weather", input: {} },
        ],
      },
      {
        role: "user",
        content: [
          { type: "tool_result", tool_use_id: "call_1", content: "Sunny" },
          { type: "tool_result", tool_use_id: "call_2", content: "Rain", is_error: true },
        ],
      },
    ],
    tools: [{ name: "weather", description: "Weather", input_schema: { type: "object" } }],
    tool_choice: { type: "any", disable_parallel_tool_use: true },
    temperature: 0.2,
    output_config: { format: { type: "json_schema", schema: { type: "object" } } },
    metadata: { user_id: "u-1" },
  });
  const warnings = context.warnings.join("\n");
  assertMatch(warnings, /reasoning: Anthropic cannot think while a tool call is forced/);
  assertMatch(warnings, /top_p: .*not both/);
  assertMatch(warnings, /reasoning: 1 reasoning part/);
  assertMatch(warnings, /not a JSON object/);
  assertMatch(warnings, /system messages from the middle/);
});

Deno.test("reasoning settings become thinking budgets, adaptive thinking and room in max_tokens", () => {
  const base: CanonicalRequest = {
    model: "x",
    system: [],
    messages: [{ role: "user", content: [{ type: "text", text: "hi" }] }],
    tools: [],
    stream: true,
  };
  const encode = (request: Partial<CanonicalRequest>, model = "claude-sonnet-4-5") =>
    encodeRequest({ ...base, ...request }, recordingContext(model));
  for (
    const [effort, budget] of [
      ["minimal", 1024],
      ["low", 2048],
      ["medium", 8192],
      ["high", 16384],
      ["xhigh", 32768],
    ] as const
  ) {
    const body = encode({ reasoning: { effort } });
    assertEquals(body.thinking, { type: "enabled", budget_tokens: budget });
    assert(body.max_tokens > budget, `${effort}: max_tokens above the budget`);
  }
  assertEquals(encode({ reasoning: { effort: "high" }, maxOutputTokens: 20000 }).max_tokens, 20000);
  assertEquals(encode({ reasoning: { effort: "high" }, maxOutputTokens: 1000 }).max_tokens, 17384);
  assertEquals(encode({ reasoning: { budgetTokens: 500 } }).thinking, {
    type: "enabled",
    budget_tokens: 1024,
  });
  assertEquals(encode({ reasoning: { effort: "none" } }).thinking, { type: "disabled" });
  assertEquals(encode({ reasoning: { enabled: false } }).thinking, { type: "disabled" });
  const adaptive = encode({ reasoning: { effort: "high" } }, "claude-opus-4-7");
  assertEquals(adaptive.thinking, { type: "adaptive" });
  assertEquals(adaptive.output_config, { effort: "high" });
  assertEquals(encode({ reasoning: { effort: "low" } }, "claude-opus-4-20250514").thinking, {
    type: "enabled",
    budget_tokens: 2048,
  });
  assertEquals(encode({ reasoning: { effort: "low" } }, "claude-sonnet-5").thinking, {
    type: "adaptive",
  });
  // Sampling that thinking forbids is dropped, not the thinking.
  const hot = encode({ reasoning: { effort: "low" }, temperature: 0.5, topK: 5 });
  assertEquals([hot.temperature, hot.top_k, hot.thinking?.type], [undefined, undefined, "enabled"]);
  // A tool loop whose assistant turn has no signed thinking turns thinking off.
  const loop = encode({
    reasoning: { effort: "low" },
    tools: [{ name: "t", parameters: { type: "object" } }],
    messages: [
      base.messages[0],
      { role: "assistant", content: [{ type: "tool-call", id: "c1", name: "t", arguments: "{}" }] },
      { role: "tool", content: [{ type: "tool-result", toolCallId: "c1", content: "ok" }] },
    ],
  });
  assertEquals(loop.thinking, undefined);
  assertEquals(loop.max_tokens, 8192);
  // Plain JSON mode is an instruction.
  const json = encode({ responseFormat: { type: "json" } });
  assertMatch(JSON.stringify(json.system), /single valid JSON object/);
});

Deno.test("what Anthropic cannot express is refused", () => {
  const base: CanonicalRequest = {
    model: "x",
    system: [],
    messages: [{ role: "user", content: [{ type: "text", text: "hi" }] }],
    tools: [],
    stream: false,
  };
  throwsInvalid(
    () => codec.encodeRequest({ ...base, toolChoice: { type: "required" } }, recordingContext("c")),
    /forces a tool call but the request has no tools/,
  );
  throwsInvalid(
    () =>
      codec.encodeRequest({
        ...base,
        messages: [{
          role: "user",
          content: [{ type: "file", mediaType: "audio/wav", data: "UklG" }],
        }],
      }, recordingContext("c")),
    /^messages\[0\]\.content\[0\]: Anthropic reads images, PDF and text files, not audio\/wav/,
  );
  // Tool choice "none" or "auto" without tools is simply left out.
  assertEquals(
    codec.encodeRequest({ ...base, toolChoice: { type: "none" } }, recordingContext("c"))
      .tool_choice,
    undefined,
  );
});

Deno.test("the legacy output_format becomes output_config.format", () => {
  const schema = { type: "object", properties: { a: { type: "string" } } };
  const canonical = codec.decodeRequest({
    model: "m",
    max_tokens: 100,
    messages: [{ role: "user", content: "x" }],
    output_format: { type: "json_schema", schema },
  }, {});
  assertEquals(canonical.responseFormat, { type: "json-schema", schema });
  const body = codec.encodeRequest(canonical, recordingContext("m"));
  assertEquals(body.output_config, { format: { type: "json_schema", schema } });
  assertEquals(body.output_format, undefined);
});

// ---- Errors ------------------------------------------------------------------------------------

Deno.test("upstream errors decode to the right kind, message and retry delay", () => {
  const issue = Deno.readTextFileSync(
    new URL(
      "../fixtures/anthropic-messages/anthropic-issue-17366-error.json",
      import.meta.url,
    ),
  );
  const invalid = codec.decodeError(400, issue, new Headers());
  assertEquals(invalid.kind, "invalid_request");
  assertEquals(invalid.status, 400);
  assertMatch(invalid.message, /unexpected `tool_use_id` found in `tool_result` blocks/);

  const [xhigh] = readCassette(
    DIR,
    "test_anthropic_explicit_effort_xhigh_unsupported_model_errors.yaml",
  );
  const unsupported = codec.decodeError(xhigh.response.status, xhigh.response.text, new Headers());
  assertEquals([unsupported.kind, unsupported.status], ["invalid_request", 400]);
  assertMatch(unsupported.message, /effort level 'xhigh'/);

  const body = (type: string) => JSON.stringify({ type: "error", error: { type, message: type } });
  const kinds: Array<[number, string, string]> = [
    [401, "authentication_error", "authentication"],
    [403, "permission_error", "permission"],
    [404, "not_found_error", "not_found"],
    [413, "request_too_large", "request_too_large"],
    [429, "rate_limit_error", "rate_limit"],
    [500, "api_error", "api_error"],
    [529, "overloaded_error", "overloaded"],
  ];
  for (const [status, type, kind] of kinds) {
    const error = codec.decodeError(status, body(type), new Headers());
    assertEquals([error.kind, error.status, error.message], [kind, status, type]);
  }
  const limited = codec.decodeError(
    429,
    body("rate_limit_error"),
    new Headers({ "retry-after": "17" }),
  );
  assertEquals(limited.retryAfterSeconds, 17);
  const dated = codec.decodeError(
    529,
    body("overloaded_error"),
    new Headers({ "retry-after": new Date(Date.now() + 60_000).toUTCString() }),
  );
  assert(dated.retryAfterSeconds! > 50 && dated.retryAfterSeconds! <= 60);

  const html = codec.decodeError(502, "<html><body>Bad gateway</body></html>", new Headers());
  assertEquals(html.kind, "api_error");
  assertMatch(html.message, /HTTP 502 with an HTML page/);
  const plain = codec.decodeError(503, "upstream connect error", new Headers());
  assertEquals(plain.kind, "overloaded");
  assertMatch(plain.message, /HTTP 503: upstream connect error/);
  assertMatch(codec.decodeError(500, "", new Headers()).message, /HTTP 500 with no body/);
});

Deno.test("a web_fetch tool error is part of a normal answer, kept verbatim", () => {
  const body = readJsonFixture(DIR, "anthropic-web-fetch-tool.error.json");
  const answer = codec.decodeResponse(body);
  assertEquals(answer.stopReason, "end");
  const opaque = answer.providerData?.anthropic?.opaque as Array<{ at: number; block: Json }>;
  assertEquals(opaque[1].block.content, {
    type: "web_fetch_tool_result_error",
    error_code: "unavailable",
  });
  assertEquals(codec.encodeResponse(answer, requestFor("m", false)), body);
});

Deno.test("an error body in a 200 answer throws its kind", () => {
  try {
    codec.decodeResponse({ type: "error", error: { type: "overloaded_error", message: "busy" } });
    throw new Error("no throw");
  } catch (error) {
    assert(error instanceof ApiErrorException);
    assertEquals(error.error.kind, "overloaded");
  }
});
