/**
 * The OpenAI Responses codec against real captures (tests/fixtures/openai-responses):
 * streams decode into well-formed canonical lifecycles and survive
 * decode → encode → decode; response bodies and request bodies round trip;
 * malformed requests and upstream errors come out as the right `ApiError`s.
 * The openai SDK's own stream helper reads what the encoder writes.
 */
import { OpenAI } from "../helpers/npm.ts";
import { codec } from "../../src/dialects/openai-responses/index.ts";
import { CODECS } from "../../src/dialects/registry.ts";
import type { EncodeContext } from "../../src/dialects/codec.ts";
import type { AssistantPart } from "../../src/ir/message.ts";
import type { CanonicalRequest } from "../../src/ir/request.ts";
import type { CanonicalResponse } from "../../src/ir/response.ts";
import type { StreamEvent } from "../../src/ir/stream-event.ts";
import { ApiErrorException } from "../../src/errors/api-error.ts";
import { createSseParser } from "../../src/sse/parse-sse.ts";
import { assert, assertEquals, assertMatch } from "../helpers/assert.ts";
import {
  type CassetteInteraction,
  chunksAsSse,
  listFixtures,
  readCassette,
  readChunks,
  readJsonFixture,
} from "../helpers/provider-fixtures.ts";

const DIALECT = "openai-responses";
type Json = Record<string, unknown>;

// ---------------------------------------------------------------- helpers

function decodeSse(text: string): StreamEvent[] {
  const parser = createSseParser();
  const decoder = codec.createStreamDecoder();
  const events = [...parser.push(text), ...parser.end()].flatMap((event) => decoder.decode(event));
  return [...events, ...decoder.end()];
}

function encodeEvents(events: StreamEvent[], request: CanonicalRequest): string {
  const encoder = codec.createStreamEncoder(request);
  return events.map((event) => encoder.encode(event)).join("") + encoder.end();
}

interface WireEvent {
  event: string | undefined;
  data: Json;
}

function parseWire(text: string): WireEvent[] {
  const parser = createSseParser();
  return [...parser.push(text), ...parser.end()].map((event) => ({
    event: event.event,
    data: JSON.parse(event.data) as Json,
  }));
}

function context(model: string, warnings: string[] = []): EncodeContext {
  return { model, warn: (field, detail) => warnings.push(`${field}: ${detail}`) };
}

function simpleRequest(tools: unknown[] = []): CanonicalRequest {
  return codec.decodeRequest({ model: "gpt-test", input: "hi", tools }, {});
}

/** Every block starts once, gets deltas only while open, ends once, all before `finish`. */
function assertLifecycle(events: StreamEvent[], label: string): void {
  const open = new Map<number, string>();
  const seen = new Set<number>();
  let finished = false;
  assert(events[0]?.type === "start", `${label}: first event is start`);
  for (const event of events) {
    assert(!finished, `${label}: nothing after the terminal event`);
    if (!("index" in event)) {
      if (event.type === "finish" || event.type === "error") finished = true;
      if (event.type === "finish") assertEquals(open.size, 0, `${label}: all blocks ended`);
      continue;
    }
    const [kind, phase] = event.type.split(/-(?=start|delta|end|signature$)/);
    if (phase === "start") {
      assert(!seen.has(event.index), `${label}: block ${event.index} started twice`);
      seen.add(event.index);
      open.set(event.index, kind);
    } else {
      assertEquals(open.get(event.index), kind, `${label}: ${event.type} on an open ${kind} block`);
      if (phase === "end") open.delete(event.index);
    }
  }
  assert(finished, `${label}: stream has a terminal event`);
}

interface Aggregate {
  start?: StreamEvent & { type: "start" };
  parts: Json[];
  finish?: StreamEvent & { type: "finish" };
  errors: Array<StreamEvent & { type: "error" }>;
}

/** A stream's content as simple parts (type, text/arguments, ids), in block order. */
function aggregate(events: StreamEvent[]): Aggregate {
  const result: Aggregate = { parts: [], errors: [] };
  const parts = new Map<number, Json>();
  for (const event of events) {
    switch (event.type) {
      case "start":
        result.start = event;
        break;
      case "text-start":
        parts.set(event.index, { type: "text", text: "" });
        break;
      case "text-delta":
        (parts.get(event.index) as Json).text += event.text;
        break;
      case "reasoning-start":
        parts.set(event.index, { type: "reasoning", text: "", id: event.id });
        break;
      case "reasoning-delta":
        (parts.get(event.index) as Json).text += event.text;
        break;
      case "reasoning-signature":
        (parts.get(event.index) as Json).encrypted = event.encrypted;
        break;
      case "tool-call-start":
        parts.set(event.index, {
          type: "tool-call",
          id: event.id,
          name: event.name,
          arguments: "",
        });
        break;
      case "tool-call-delta":
        (parts.get(event.index) as Json).arguments += event.argumentsDelta;
        break;
      case "finish":
        result.finish = event;
        break;
      case "error":
        result.errors.push(event);
        break;
    }
  }
  result.parts = [...parts.entries()].sort(([a], [b]) => a - b).map(([, part]) => part);
  return result;
}

/** Canonical parts in the same simple shape. */
function simpleParts(content: AssistantPart[]): Json[] {
  return content.flatMap((part): Json[] => {
    switch (part.type) {
      case "text":
        return [{ type: "text", text: part.text }];
      case "reasoning": {
        const simple: Json = { type: "reasoning", text: part.text, id: part.id };
        if (part.encrypted !== undefined) simple.encrypted = part.encrypted;
        return [simple];
      }
      case "tool-call":
        return [{ type: "tool-call", id: part.id, name: part.name, arguments: part.arguments }];
      case "file":
        return [];
    }
  });
}

/** Consecutive deltas of one block joined (the encoder may re-chunk them). */
function coalesce(events: StreamEvent[]): StreamEvent[] {
  const result: StreamEvent[] = [];
  for (const event of events) {
    const last = result[result.length - 1];
    if (
      last && last.type === event.type && "index" in last && "index" in event &&
      last.index === event.index
    ) {
      if (event.type === "text-delta" || event.type === "reasoning-delta") {
        result[result.length - 1] = { ...event, text: (last as typeof event).text + event.text };
        continue;
      }
      if (event.type === "tool-call-delta") {
        result[result.length - 1] = {
          ...event,
          argumentsDelta: (last as typeof event).argumentsDelta + event.argumentsDelta,
        };
        continue;
      }
    }
    result.push(event);
  }
  return result;
}

/** Usage as the encoder reports it (cached and reasoning counts always present). */
function fullUsage(events: StreamEvent[]): StreamEvent[] {
  return events.map((event) =>
    event.type === "finish"
      ? {
        ...event,
        usage: { cachedInputTokens: 0, reasoningTokens: 0, ...event.usage },
      }
      : event
  );
}

/** The request a captured stream answered, rebuilt from its `response.created` echo. */
function requestFromEcho(events: Json[]): CanonicalRequest {
  const created = events.find((event) => event.type === "response.created")?.response as
    | Json
    | undefined;
  return simpleRequest((created?.tools as unknown[] | undefined) ?? []);
}

function assertWireStream(text: string, label: string): WireEvent[] {
  const events = parseWire(text);
  events.forEach((event, index) => {
    assertEquals(event.event, event.data.type, `${label}: event name is the type`);
    assertEquals(event.data.sequence_number, index, `${label}: sequence numbers count up`);
  });
  return events;
}

/** What an SSE stream says, read by the openai SDK's `responses.stream()` helper. */
function sdkFor(body: string): OpenAI {
  return new OpenAI({
    apiKey: "test",
    baseURL: "http://subgate.test/v1",
    maxRetries: 0,
    fetch: () =>
      Promise.resolve(
        new Response(body, { headers: { "content-type": "text/event-stream" } }),
      ),
  });
}

// ---------------------------------------------------------------- streams

const CHUNK_FIXTURES = listFixtures(DIALECT, ".chunks.txt");

function sseCassettes(): Array<{ label: string; interaction: CassetteInteraction }> {
  return listFixtures(DIALECT, ".yaml").flatMap((name) =>
    readCassette(DIALECT, name).map((interaction, index) => ({
      label: `${name}#${index}`,
      interaction,
    }))
  ).filter(({ interaction }) =>
    interaction.response.status === 200 && interaction.response.text.includes("event: ")
  );
}

Deno.test("stream fixtures decode into well-formed lifecycles", () => {
  for (const name of CHUNK_FIXTURES) {
    const events = decodeSse(chunksAsSse(DIALECT, name));
    assertLifecycle(events, name);
    const result = aggregate(events);
    if (name === "openai-error.1.chunks.txt") {
      assertEquals(result.errors.length, 1, `${name}: one error`);
      assertEquals(result.errors[0].error.kind, "rate_limit");
      assertMatch(result.errors[0].error.message, /exceeded your current quota/);
      continue;
    }
    assertEquals(result.errors, [], `${name}: no error`);
    for (const part of result.parts) {
      if (part.type === "tool-call") JSON.parse(part.arguments as string);
    }
    // What the deltas (and *.done catch-ups) built is what the final response holds.
    const completed = readChunks(DIALECT, name).find((event) =>
      event.type === "response.completed" || event.type === "response.incomplete"
    );
    const final = codec.decodeResponse(completed?.response);
    assertEquals(result.parts, simpleParts(final.content), `${name}: content`);
    assertEquals(result.finish?.stopReason, final.stopReason, `${name}: stop reason`);
    assertEquals(result.finish?.usage, final.usage, `${name}: usage`);
  }
});

Deno.test("custom tool input streams as {input} JSON arguments", () => {
  const events = decodeSse(chunksAsSse(DIALECT, "openai-custom-text-tool.1.chunks.txt"));
  const call = aggregate(events).parts[0];
  assertEquals(call.name, "setHtml");
  assertEquals(JSON.parse(call.arguments as string), {
    input:
      "<main><h1>Streaming custom tool input</h1><p>This must arrive progressively.</p></main>",
  });
  assert(events.filter((event) => event.type === "tool-call-delta").length > 10, "progressive");
});

Deno.test("Codex phase and item ids ride on text-start", () => {
  const events = decodeSse(chunksAsSse(DIALECT, "openai-phase.1.chunks.txt"));
  const starts = events.filter((event) => event.type === "text-start");
  assertEquals(starts.map((event) => event.providerData?.[DIALECT]?.item), [
    { phase: "commentary" },
    { phase: "final_answer" },
  ]);
});

Deno.test("SSE cassettes decode without errors and match their final response", () => {
  const cassettes = sseCassettes();
  assert(cassettes.length >= 5, "found the SSE cassettes");
  for (const { label, interaction } of cassettes) {
    const events = decodeSse(interaction.response.text);
    assertLifecycle(events, label);
    const result = aggregate(events);
    assertEquals(result.errors, [], `${label}: no error`);
    for (const part of result.parts) {
      if (part.type === "tool-call") JSON.parse(part.arguments as string);
    }
    const terminal = parseWire(interaction.response.text).find((event) =>
      event.data.type === "response.completed"
    );
    const final = codec.decodeResponse(terminal?.data.response);
    // OpenAI encrypts reasoning afresh for the final object: only its presence compares.
    const encrypted = (parts: Json[]) =>
      parts.map((part) => "encrypted" in part ? { ...part, encrypted: true } : part);
    assertEquals(
      encrypted(result.parts),
      encrypted(simpleParts(final.content)),
      `${label}: content`,
    );
    assertEquals(result.finish?.usage, final.usage, `${label}: usage`);
  }
});

Deno.test("reasoning summaries stream as one block with encrypted content at the end", () => {
  const [interaction] = readCassette(DIALECT, "test_openai_responses_thinking_part_iter.yaml");
  const events = decodeSse(interaction.response.text);
  const reasoning = aggregate(events).parts[0];
  assertEquals(reasoning.type, "reasoning");
  assertEquals((reasoning.text as string).split("\n\n**").length, 4, "four summary parts");
  assertMatch(reasoning.encrypted as string, /^gAAAAA/);
  const signature = events.findIndex((event) => event.type === "reasoning-signature");
  assertEquals(events[signature + 1]?.type, "reasoning-end");
});

function roundTripStream(label: string, upstream: string, request: CanonicalRequest): void {
  const first = decodeSse(upstream);
  const encoded = encodeEvents(first, request);
  const wire = assertWireStream(encoded, label);
  const second = decodeSse(encoded);
  assertLifecycle(second, `${label} (re-decoded)`);
  assertEquals(coalesce(second), coalesce(fullUsage(first)), `${label}: same canonical events`);

  const terminal = wire[wire.length - 1];
  if (aggregate(first).errors.length > 0) {
    assertEquals(wire.slice(-2).map((event) => event.event), ["error", "response.failed"]);
    return;
  }
  assertMatch(terminal.event ?? "", /^response\.(completed|incomplete)$/);
  const response = terminal.data.response as Json;
  const done = wire.filter((event) => event.event === "response.output_item.done")
    .map((event) => event.data.item);
  assertEquals(response.output, done, `${label}: final output = the items sent`);
  const final = codec.decodeResponse(response);
  assertEquals(simpleParts(final.content), aggregate(first).parts, `${label}: final content`);
  assertEquals(final.usage, fullUsage(first).find((e) => e.type === "finish")?.usage as object);
}

Deno.test("streams survive decode → encode → decode", () => {
  for (const name of CHUNK_FIXTURES) {
    roundTripStream(name, chunksAsSse(DIALECT, name), requestFromEcho(readChunks(DIALECT, name)));
  }
  for (const { label, interaction } of sseCassettes()) {
    const request = codec.decodeRequest(interaction.request.body, {});
    roundTripStream(label, interaction.response.text, request);
  }
});

Deno.test("a custom tool call goes back to a Responses client as custom_tool_call", () => {
  const name = "openai-custom-text-tool.1.chunks.txt";
  const encoded = encodeEvents(
    decodeSse(chunksAsSse(DIALECT, name)),
    requestFromEcho(readChunks(DIALECT, name)),
  );
  const wire = parseWire(encoded);
  const item = wire.find((event) => event.event === "response.output_item.done")?.data.item as Json;
  const upstream = readChunks(DIALECT, name).find((event) =>
    event.type === "response.output_item.done"
  )?.item as Json;
  assertEquals(item.type, "custom_tool_call");
  assertEquals(item.call_id, upstream.call_id);
  assertEquals(item.input, upstream.input);
  assert(wire.some((event) => event.event === "response.custom_tool_call_input.delta"));
});

Deno.test("the openai SDK's stream helper accepts the encoded streams", async () => {
  for (const name of CHUNK_FIXTURES.filter((name) => name !== "openai-error.1.chunks.txt")) {
    const events = decodeSse(chunksAsSse(DIALECT, name));
    const body = encodeEvents(events, requestFromEcho(readChunks(DIALECT, name)));
    const stream = sdkFor(body).responses.stream({ model: "gpt-test", input: "hi" });
    const response = await stream.finalResponse();
    const text = aggregate(events).parts.filter((part) => part.type === "text")
      .map((part) => part.text).join("");
    assertEquals(response.output_text, text, `${name}: output_text`);
  }
});

Deno.test("the openai SDK raises the encoded stream error", async () => {
  const body = encodeEvents(
    decodeSse(chunksAsSse(DIALECT, "openai-error.1.chunks.txt")),
    simpleRequest(),
  );
  const stream = sdkFor(body).responses.stream({ model: "gpt-test", input: "hi" });
  let caught: unknown;
  try {
    await stream.finalResponse();
  } catch (error) {
    caught = error;
  }
  assert(caught instanceof OpenAI.APIError, "an APIError");
  assertMatch(String((caught as Error).message), /exceeded your current quota/);
});

Deno.test("encoder: events from another dialect become a complete Responses stream", async () => {
  const request = codec.decodeRequest({
    model: "gpt-test",
    input: "hi",
    tools: [{ type: "function", name: "get_weather", parameters: { type: "object" } }],
  }, {});
  const events: StreamEvent[] = [
    { type: "start", id: "msg_01ABC", model: "claude-sonnet-4", usage: { inputTokens: 10 } },
    { type: "reasoning-start", index: 0 },
    { type: "reasoning-delta", index: 0, text: "Thinking" },
    { type: "reasoning-signature", index: 0, signature: "anthropic-signature" },
    { type: "reasoning-end", index: 0 },
    { type: "text-start", index: 1 },
    { type: "text-delta", index: 1, text: "Checking." },
    { type: "text-end", index: 1 },
    { type: "tool-call-start", index: 2, id: "toolu_1", name: "get_weather" },
    { type: "tool-call-delta", index: 2, argumentsDelta: '{"city":' },
    { type: "tool-call-delta", index: 2, argumentsDelta: '"Paris"}' },
    { type: "tool-call-end", index: 2 },
    { type: "finish", stopReason: "tool-calls", usage: { outputTokens: 20 } },
  ];
  const body = encodeEvents(events, request);
  const wire = assertWireStream(body, "foreign");
  assertEquals(wire.map((event) => event.event), [
    "response.created",
    "response.in_progress",
    "response.output_item.added",
    "response.reasoning_summary_part.added",
    "response.reasoning_summary_text.delta",
    "response.reasoning_summary_text.done",
    "response.reasoning_summary_part.done",
    "response.output_item.done",
    "response.output_item.added",
    "response.content_part.added",
    "response.output_text.delta",
    "response.output_text.done",
    "response.content_part.done",
    "response.output_item.done",
    "response.output_item.added",
    "response.function_call_arguments.delta",
    "response.function_call_arguments.delta",
    "response.function_call_arguments.done",
    "response.output_item.done",
    "response.completed",
  ]);
  const response = wire[wire.length - 1].data.response as Json;
  assertEquals(response.id, "resp_msg_01ABC");
  assertEquals(response.model, "claude-sonnet-4");
  assertEquals(response.usage, {
    input_tokens: 10,
    input_tokens_details: { cached_tokens: 0 },
    output_tokens: 20,
    output_tokens_details: { reasoning_tokens: 0 },
    total_tokens: 30,
  });
  const output = response.output as Json[];
  assertEquals(output.map((item) => item.type), ["reasoning", "message", "function_call"]);
  assert(!("encrypted_content" in output[0]), "an Anthropic signature is not encrypted_content");
  assertEquals(output[2].call_id, "toolu_1");
  assertEquals(new Set(output.map((item) => item.id)).size, 3, "distinct item ids");

  const final = await sdkFor(body).responses.stream({ model: "gpt-test", input: "hi" })
    .finalResponse();
  assertEquals(final.output_text, "Checking.");
});

Deno.test("encoder: max tokens, errors, early ends and late events", () => {
  const request = simpleRequest();
  const incomplete = parseWire(encodeEvents([
    { type: "start", id: "resp_1", model: "m" },
    { type: "text-start", index: 0 },
    { type: "text-delta", index: 0, text: "Hel" },
    { type: "finish", stopReason: "max-tokens" },
    { type: "text-delta", index: 0, text: "ignored" },
  ], request));
  const last = incomplete[incomplete.length - 1];
  assertEquals(last.event, "response.incomplete");
  assertEquals((last.data.response as Json).incomplete_details, { reason: "max_output_tokens" });
  assertEquals(
    incomplete.filter((event) => event.event === "response.output_item.done").length,
    1,
    "the open text block was closed",
  );

  const failed = parseWire(encodeEvents([
    { type: "start", id: "resp_2", model: "m" },
    { type: "text-start", index: 0 },
    {
      type: "error",
      error: { kind: "rate_limit", status: 429, message: "slow down", retryAfterSeconds: 3 },
    },
  ], request));
  assertEquals(failed.slice(-2).map((event) => event.event), ["error", "response.failed"]);
  assertEquals((failed[failed.length - 2].data.error as Json).code, "rate_limit_exceeded");
  assertEquals((failed[failed.length - 1].data.response as Json).error, {
    code: "rate_limit_exceeded",
    message: "slow down",
  });

  const empty = parseWire(encodeEvents([], request));
  assertEquals(empty.map((event) => event.event), [
    "response.created",
    "response.in_progress",
    "response.completed",
  ]);
  assertMatch((empty[0].data.response as Json).id as string, /^resp_/);

  const cut = parseWire(encodeEvents([
    { type: "start", id: "resp_3", model: "m" },
    { type: "tool-call-start", index: 0, id: "call_1", name: "f" },
    { type: "tool-call-delta", index: 0, argumentsDelta: "{}" },
  ], request));
  assertEquals(cut.slice(-3).map((event) => event.event), [
    "response.function_call_arguments.done",
    "response.output_item.done",
    "response.completed",
  ]);
});

Deno.test("encoder: redacted reasoning keeps no encrypted content; Responses reasoning does", () => {
  const request = simpleRequest();
  const wire = parseWire(encodeEvents([
    { type: "start", id: "resp_4", model: "m" },
    { type: "reasoning-start", index: 0, redacted: true, encrypted: "anthropic-redacted" },
    { type: "reasoning-end", index: 0 },
    { type: "reasoning-start", index: 1, id: "rs_1" },
    { type: "reasoning-signature", index: 1, encrypted: "gAAAA-openai" },
    { type: "reasoning-end", index: 1 },
    { type: "finish", stopReason: "end" },
  ], request));
  const output = (wire[wire.length - 1].data.response as Json).output as Json[];
  assert(!("encrypted_content" in output[0]));
  assertEquals(output[1], {
    id: "rs_1",
    type: "reasoning",
    summary: [],
    encrypted_content: "gAAAA-openai",
  });
});

Deno.test("decoder: bad JSON, missing terminal event and text only in *.done", () => {
  const bad = codec.createStreamDecoder();
  const events = bad.decode({ event: "response.created", data: "{not json" });
  assertEquals(events.length, 1);
  assertEquals(events[0].type, "error");
  assertEquals(bad.decode({ data: '{"type":"response.created","response":{}}' }), []);

  const cut = codec.createStreamDecoder();
  cut.decode({ data: '{"type":"response.created","response":{"id":"resp_x","model":"m"}}' });
  const end = cut.end();
  assertEquals(end.length, 1);
  assertEquals(end[0].type, "error");

  // Non-streaming servers may send only the terminal event.
  const whole = decodeSse(
    `data: ${
      JSON.stringify({
        type: "response.completed",
        response: readJsonFixture(DIALECT, "openai-reasoning-encrypted-content.1.json"),
      })
    }\n\n`,
  );
  assertLifecycle(whole, "terminal only");
  assertEquals(
    aggregate(whole).parts,
    simpleParts(
      codec.decodeResponse(readJsonFixture(DIALECT, "openai-reasoning-encrypted-content.1.json"))
        .content,
    ),
  );
});

Deno.test("decoder: in-band rate limits carry the retry time from the message", () => {
  const events = decodeSse(
    `event: response.failed\ndata: ${
      JSON.stringify({
        type: "response.failed",
        response: {
          id: "resp_1",
          status: "failed",
          error: {
            code: "rate_limit_exceeded",
            message: "Rate limit reached for gpt-5. Please try again in 1.898s.",
          },
        },
      })
    }\n\n`,
  );
  const error = events.find((event) => event.type === "error");
  assertEquals(error?.type === "error" ? error.error : undefined, {
    kind: "rate_limit",
    status: 429,
    message: "Rate limit reached for gpt-5. Please try again in 1.898s.",
    retryAfterSeconds: 1.898,
  });
});

// ---------------------------------------------------------------- response bodies

const RESPONSE_FIXTURES = listFixtures(DIALECT, ".json").filter((name) =>
  readJsonFixture(DIALECT, name).object === "response"
);

function cassetteResponses(): Array<{ label: string; interaction: CassetteInteraction }> {
  return listFixtures(DIALECT, ".yaml").flatMap((name) =>
    readCassette(DIALECT, name).map((interaction, index) => ({
      label: `${name}#${index}`,
      interaction,
    }))
  ).filter(({ interaction }) =>
    interaction.response.status === 200 &&
    (interaction.response.json as Json | undefined)?.object === "response"
  );
}

function roundTripResponse(label: string, body: Json, request: CanonicalRequest): void {
  const first = codec.decodeResponse(body);
  const encoded = codec.encodeResponse(first, request) as Json;
  assertEquals(encoded.object, "response");
  assertMatch(encoded.id as string, /^resp_/);
  assertEquals(encoded.status, body.status, `${label}: status`);
  assertEquals(encoded.output, body.output, `${label}: output items`);
  const second = codec.decodeResponse(encoded);
  assertEquals(second, first, `${label}: canonical response`);
}

Deno.test("response bodies round trip", () => {
  assert(RESPONSE_FIXTURES.length >= 8, "found the response fixtures");
  for (const name of RESPONSE_FIXTURES) {
    roundTripResponse(name, readJsonFixture(DIALECT, name), simpleRequest());
  }
  const cassettes = cassetteResponses();
  assert(cassettes.length >= 5, "found the JSON cassettes");
  for (const { label, interaction } of cassettes) {
    const request = codec.decodeRequest(interaction.request.body, {});
    roundTripResponse(label, interaction.response.json as Json, request);
  }
});

Deno.test("a reasoning response decodes to reasoning, text and usage", () => {
  const response = codec.decodeResponse(
    readJsonFixture(DIALECT, "openai-reasoning-encrypted-content.1.json"),
  );
  assertEquals(response.stopReason, "end");
  assertEquals(response.usage, {
    inputTokens: 865,
    outputTokens: 163,
    cachedInputTokens: 0,
    reasoningTokens: 128,
  });
  const [reasoning, text] = response.content;
  assert(reasoning.type === "reasoning");
  assertEquals(reasoning.origin, DIALECT);
  assertEquals(reasoning.id, "rs_0f35ed53160b395301693cc95817ac8190b978637daea4987e");
  assertMatch(reasoning.encrypted ?? "", /^gAAAAABpPMlc/);
  assertMatch(reasoning.text, /^\*\*Reporting final result\*\*/);
  assert(text.type === "text");
  assertMatch(text.text, /Final result: 570$/);
});

Deno.test("tool calls, built-in items and failures decode", () => {
  const calls = codec.decodeResponse(readJsonFixture(DIALECT, "azure-tool-call.1.json"));
  assertEquals(calls.stopReason, "tool-calls");
  const call = calls.content.find((part) => part.type === "tool-call");
  assert(call?.type === "tool-call");
  assertMatch(call.id, /^call_/);
  JSON.parse(call.arguments);

  const shell = codec.decodeResponse(readJsonFixture(DIALECT, "openai-local-shell-tool.1.json"));
  const kept = shell.providerData?.[DIALECT]?.items as Array<{ part: number; item: Json }>;
  assertEquals(kept.map((entry) => entry.item.type), ["local_shell_call"]);
  assertEquals(kept[0].part, 1, "after the reasoning part");

  const failed: CanonicalResponse = codec.decodeResponse({
    id: "resp_f",
    object: "response",
    status: "failed",
    model: "m",
    output: [],
    error: { code: "server_error", message: "boom" },
    usage: null,
  });
  assertEquals(failed.stopReason, "error");
  assertEquals(failed.providerData?.[DIALECT]?.error, {
    kind: "api_error",
    status: 500,
    message: "boom",
  });
  const encoded = codec.encodeResponse(failed, simpleRequest()) as Json;
  assertEquals(encoded.status, "failed");
  assertEquals(encoded.error, { code: "server_error", message: "boom" });

  const incomplete = codec.decodeResponse({
    ...readJsonFixture(DIALECT, "azure-text.1.json"),
    status: "incomplete",
    incomplete_details: { reason: "max_output_tokens" },
  });
  assertEquals(incomplete.stopReason, "max-tokens");
});

Deno.test("a response from another dialect encodes with echo fields the SDK expects", () => {
  const request = codec.decodeRequest({
    model: "gpt-test",
    instructions: "Be brief.",
    input: "hi",
    tools: [
      { type: "function", name: "f", parameters: { type: "object" }, strict: false },
      { type: "custom", name: "apply_patch", format: { type: "text" } },
    ],
    reasoning: { effort: "low", summary: "auto" },
    max_output_tokens: 50,
    metadata: { a: "b" },
  }, {});
  const response: CanonicalResponse = {
    id: "msg_01XYZ",
    model: "claude-sonnet-4",
    content: [
      { type: "reasoning", text: "Hmm", signature: "sig", origin: "anthropic" },
      { type: "text", text: "No.", providerData: { "openai-chat": { refusal: true } } },
      { type: "tool-call", id: "toolu_1", name: "apply_patch", arguments: '{"input":"*** Begin"}' },
    ],
    stopReason: "tool-calls",
    usage: { inputTokens: 5, outputTokens: 7, cacheCreationInputTokens: 3 },
  };
  const encoded = codec.encodeResponse(response, request) as Json;
  assertEquals(encoded.id, "resp_msg_01XYZ");
  assertEquals(encoded.status, "completed");
  assertEquals(encoded.instructions, "Be brief.");
  assertEquals(encoded.max_output_tokens, 50);
  assertEquals(encoded.reasoning, { effort: "low", summary: "auto" });
  assertEquals(encoded.metadata, { a: "b" });
  assertEquals((encoded.tools as Json[]).map((tool) => tool.type), ["function", "custom"]);
  assertEquals(encoded.usage, {
    input_tokens: 5,
    input_tokens_details: { cached_tokens: 0, cache_write_tokens: 3 },
    output_tokens: 7,
    output_tokens_details: { reasoning_tokens: 0 },
    total_tokens: 12,
  });
  const output = encoded.output as Json[];
  assertEquals(output[0].summary, [{ type: "summary_text", text: "Hmm" }]);
  assert(!("encrypted_content" in output[0]));
  assertEquals(output[1].content, [{ type: "refusal", refusal: "No." }]);
  assertEquals(output[2].type, "custom_tool_call");
  assertEquals(output[2].input, "*** Begin");
});

// ---------------------------------------------------------------- request bodies

/**
 * The documented normalisations of a request body after decode → encode:
 * - `instructions` is always present ("" when absent or null): the Codex
 *   backend requires it.
 * - `stream` is always present (false when absent).
 * - Message items get `type: "message"`; string content becomes one
 *   `input_text` (`output_text` for the assistant) part.
 * - Item ids are dropped, except a reasoning item's.
 * - An empty `tools` array is left out.
 */
function normalised(body: Json): Json {
  const result = structuredClone(body);
  result.instructions = typeof body.instructions === "string" ? body.instructions : "";
  result.stream = body.stream === true;
  const input = typeof body.input === "string"
    ? [{ role: "user", content: body.input }]
    : body.input as Json[];
  result.input = input.map((raw) => {
    const item = { ...raw };
    if (item.type === undefined && item.role !== undefined) item.type = "message";
    if (item.type === "message" && typeof item.content === "string") {
      item.content = [{
        type: item.role === "assistant" ? "output_text" : "input_text",
        text: item.content,
      }];
    }
    if (item.type !== "reasoning") delete item.id;
    return item;
  });
  if (Array.isArray(body.tools) && body.tools.length === 0) delete result.tools;
  return result;
}

/** A Codex CLI turn, shaped like what codex-rs sends to chatgpt.com/backend-api/codex/responses. */
const CODEX_BODY: Json = {
  model: "gpt-5-codex",
  instructions: "You are Codex, based on GPT-5. You are running as a coding agent.",
  input: [
    {
      type: "message",
      role: "developer",
      content: [{
        type: "input_text",
        text: "<permissions instructions>workspace-write</permissions instructions>",
      }],
    },
    {
      type: "message",
      role: "user",
      content: [{
        type: "input_text",
        text: "<environment_context>cwd=/repo</environment_context>",
      }],
    },
    {
      type: "message",
      role: "user",
      content: [{ type: "input_text", text: "Fix the failing test." }],
    },
    {
      type: "reasoning",
      summary: [{ type: "summary_text", text: "**Looking around**" }],
      content: null,
      encrypted_content: "gAAAAABo-encrypted-1",
    },
    {
      type: "message",
      role: "assistant",
      content: [{ type: "output_text", text: "Let me look." }],
      phase: "commentary",
    },
    {
      type: "function_call",
      name: "shell",
      arguments: '{"command":["ls"],"workdir":"/repo"}',
      call_id: "call_1",
    },
    { type: "function_call_output", call_id: "call_1", output: "src\ntests" },
    {
      type: "custom_tool_call",
      status: "completed",
      call_id: "call_2",
      name: "apply_patch",
      input: '*** Begin Patch\n*** Update File: a.ts\n@@\n-"old"\n+"new"\n*** End Patch',
    },
    { type: "custom_tool_call_output", call_id: "call_2", output: "Success." },
    {
      type: "web_search_call",
      status: "completed",
      action: { type: "search", query: "deno test" },
    },
    {
      type: "local_shell_call",
      call_id: "call_3",
      status: "completed",
      action: { type: "exec", command: ["ls"] },
    },
    { type: "local_shell_call_output", call_id: "call_3", output: "a.ts" },
    {
      type: "message",
      role: "user",
      content: [
        { type: "input_text", text: "And this screenshot?" },
        { type: "input_image", image_url: "data:image/png;base64,iVBORw0KGgo=" },
      ],
    },
  ],
  tools: [
    {
      type: "function",
      name: "shell",
      description: "Runs a shell command and returns its output.",
      strict: false,
      parameters: {
        type: "object",
        properties: { command: { type: "array", items: { type: "string" } } },
        required: ["command"],
        additionalProperties: false,
      },
    },
    {
      type: "custom",
      name: "apply_patch",
      description: "Use the `apply_patch` tool to edit files.",
      format: { type: "grammar", syntax: "lark", definition: "start: begin_patch hunk+ end_patch" },
    },
    { type: "web_search" },
    { type: "local_shell" },
  ],
  tool_choice: "auto",
  parallel_tool_calls: false,
  reasoning: { effort: "medium", summary: "auto" },
  store: false,
  stream: true,
  include: ["reasoning.encrypted_content"],
  prompt_cache_key: "0199a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b",
  text: { verbosity: "low" },
};

Deno.test("cassette request bodies round trip (apart from the documented normalisations)", () => {
  let count = 0;
  for (const name of listFixtures(DIALECT, ".yaml")) {
    for (const interaction of readCassette(DIALECT, name)) {
      const body = interaction.request.body as Json;
      const warnings: string[] = [];
      const encoded = codec.encodeRequest(
        codec.decodeRequest(body, {}),
        context(body.model as string, warnings),
      );
      assertEquals(encoded, normalised(body), name);
      assertEquals(warnings, [], `${name}: no warnings`);
      count++;
    }
  }
  assert(count >= 14, "all cassette requests");
});

Deno.test("a Codex CLI request round trips and reads right", () => {
  const request = codec.decodeRequest(CODEX_BODY, {});
  const warnings: string[] = [];
  assertEquals(codec.encodeRequest(request, context("gpt-5-codex", warnings)), CODEX_BODY);
  assertEquals(warnings, []);

  assertEquals(request.system, [{ type: "text", text: CODEX_BODY.instructions as string }]);
  assertEquals(request.stream, true);
  assertEquals(request.user, CODEX_BODY.prompt_cache_key);
  assertEquals(request.parallelToolCalls, false);
  assertEquals(request.reasoning, { effort: "medium", enabled: true, includeThoughts: true });
  assertEquals(request.messages.map((message) => message.role), [
    "system",
    "user",
    "user",
    "assistant",
    "tool",
    "assistant",
    "tool",
    "user",
  ]);
  const [reasoning, text, shell] = request.messages[3].content as AssistantPart[];
  assert(reasoning.type === "reasoning" && text.type === "text" && shell.type === "tool-call");
  assertEquals(reasoning.origin, DIALECT);
  assertEquals(reasoning.encrypted, "gAAAAABo-encrypted-1");
  assertEquals(reasoning.text, "**Looking around**");
  assertEquals(shell.name, "shell");
  const result = request.messages[4].content[0];
  assert(result.type === "tool-result");
  assertEquals(result.toolName, "shell");
  const patch = request.messages[5].content[0];
  assert(patch.type === "tool-call");
  assertEquals(JSON.parse(patch.arguments).input, (CODEX_BODY.input as Json[])[7].input);
  assertEquals(request.tools.map((tool) => tool.name), ["shell", "apply_patch"]);
  assertEquals(request.tools[1].parameters.required, ["input"]);
  const image = request.messages[7].content[1];
  assertEquals(image, { type: "file", mediaType: "image/png", data: "iVBORw0KGgo=" });
  const memo = request.providerData?.[DIALECT] as Json;
  assertEquals((memo.items as Json[]).map((entry) => (entry.item as Json).type), [
    "web_search_call",
    "local_shell_call",
    "local_shell_call_output",
  ]);
  assertEquals((memo.tools as Json[]).map((entry) => entry.index), [2, 3]);
  assertEquals(memo.fields, {
    store: false,
    include: ["reasoning.encrypted_content"],
    prompt_cache_key: CODEX_BODY.prompt_cache_key,
  });
});

Deno.test("encodeRequest: a request from another dialect", () => {
  const request: CanonicalRequest = {
    model: "claude-sonnet-4",
    system: [{ type: "text", text: "You are Claude Code." }, { type: "text", text: "Be terse." }],
    messages: [
      {
        role: "user",
        content: [
          { type: "text", text: "Read these." },
          { type: "file", mediaType: "image/jpeg", data: "/9j/4AAQ" },
          { type: "file", mediaType: "application/pdf", data: "JVBERi0x", filename: "a.pdf" },
        ],
      },
      {
        role: "assistant",
        content: [
          { type: "reasoning", text: "Let me see", signature: "sig", origin: "anthropic" },
          { type: "text", text: "Reading." },
          { type: "tool-call", id: "toolu_1", name: "Read", arguments: '{"path":"a"}' },
        ],
      },
      {
        role: "user",
        content: [
          {
            type: "tool-result",
            toolCallId: "toolu_1",
            content: [{ type: "text", text: "contents" }, {
              type: "file",
              mediaType: "image/png",
              data: "iVBOR",
            }],
            isError: true,
          },
          { type: "text", text: "Go on." },
        ],
      },
      { role: "system", content: [{ type: "text", text: "Reminder." }] },
    ],
    tools: [{ name: "Read", description: "Reads a file", parameters: { type: "object" } }],
    toolChoice: { type: "tool", name: "Read" },
    reasoning: { enabled: true, budgetTokens: 4000, includeThoughts: true },
    stopSequences: ["STOP"],
    topK: 5,
    maxOutputTokens: 1000,
    temperature: 0.5,
    stream: true,
    user: "user_abc",
  };
  const warnings: string[] = [];
  const body = codec.encodeRequest(request, context("gpt-5", warnings));
  assertEquals(body, {
    model: "gpt-5",
    instructions: "You are Claude Code.\n\nBe terse.",
    input: [
      {
        type: "message",
        role: "user",
        content: [
          { type: "input_text", text: "Read these." },
          { type: "input_image", image_url: "data:image/jpeg;base64,/9j/4AAQ" },
          {
            type: "input_file",
            file_data: "data:application/pdf;base64,JVBERi0x",
            filename: "a.pdf",
          },
        ],
      },
      { type: "message", role: "assistant", content: [{ type: "output_text", text: "Reading." }] },
      { type: "function_call", call_id: "toolu_1", name: "Read", arguments: '{"path":"a"}' },
      {
        type: "function_call_output",
        call_id: "toolu_1",
        output: [
          { type: "input_text", text: "contents" },
          { type: "input_image", image_url: "data:image/png;base64,iVBOR" },
        ],
      },
      { type: "message", role: "user", content: [{ type: "input_text", text: "Go on." }] },
      { type: "message", role: "developer", content: [{ type: "input_text", text: "Reminder." }] },
    ],
    tools: [{
      type: "function",
      name: "Read",
      description: "Reads a file",
      parameters: { type: "object" },
      strict: false,
    }],
    tool_choice: { type: "function", name: "Read" },
    max_output_tokens: 1000,
    temperature: 0.5,
    reasoning: { effort: "medium", summary: "auto" },
    stream: true,
  });
  assertEquals(warnings.map((warning) => warning.split(":")[0]), [
    "reasoning",
    "tool-result.isError",
    "top_k",
    "stop_sequences",
  ]);
});

Deno.test("encodeRequest: reasoning budgets map to efforts", () => {
  const effort = (budgetTokens: number) =>
    (codec.encodeRequest(
      { ...simpleRequest(), reasoning: { budgetTokens } },
      context("m"),
    ).reasoning as Json).effort;
  assertEquals([effort(1024), effort(1025), effort(8192), effort(32000)], [
    "low",
    "medium",
    "medium",
    "high",
  ]);
});

Deno.test("malformed requests throw invalid_request naming the problem", () => {
  const cases: Array<[unknown, RegExp]> = [
    [null, /^body: must be a JSON object/],
    [{ input: "hi" }, /^model: /],
    [{ model: "", input: "hi" }, /^model: /],
    [{ model: "m" }, /^input: must be a string or an array/],
    [{ model: "m", input: "" }, /^input: must not be empty/],
    [{ model: "m", input: [] }, /^input: must not be empty/],
    [{ model: "m", input: [5] }, /^input\[0\]: must be an object/],
    // Items, content parts and text formats of types subgate does not know are no longer
    // refused here (the upstream judges them): see "what subgate does not know …" below.
    [{ model: "m", input: [{ id: "x" }] }, /^input\[0\]\.type: must be a string/],
    [{ model: "m", input: [{ role: "wizard", content: "x" }] }, /^input\[0\]\.role: unknown role/],
    [{ model: "m", input: [{ role: "user", content: 5 }] }, /^input\[0\]\.content: must be/],
    [
      { model: "m", input: [{ role: "user", content: [{ text: "no type" }] }] },
      /^input\[0\]\.content\[0\]\.type: must be a string/,
    ],
    [
      {
        model: "m",
        input: [{ role: "user", content: [{ type: "input_image", file_id: "file_1" }] }],
      },
      /^input\[0\]\.content\[0\]\.file_id: uploaded file references are not supported/,
    ],
    [
      {
        model: "m",
        input: [{ role: "user", content: [{ type: "input_image", image_url: "ftp://x/y.png" }] }],
      },
      /^input\[0\]\.content\[0\]\.image_url: must be a data: URL or an http\(s\) URL/,
    ],
    [
      {
        model: "m",
        input: [{ role: "user", content: [{ type: "input_file", file_id: "file_1" }] }],
      },
      /^input\[0\]\.content\[0\]\.file_id: /,
    ],
    [
      {
        model: "m",
        input: [{
          role: "system",
          content: [{ type: "input_image", image_url: "https://x/y.png" }],
        }],
      },
      /^input\[0\]\.content\[0\]\.type: a system message cannot hold an image/,
    ],
    [
      { model: "m", input: [{ role: "user", content: [{ type: "refusal", refusal: "no" }] }] },
      /^input\[0\]\.content\[0\]\.type: only assistant messages hold a refusal/,
    ],
    [
      { model: "m", input: [{ type: "function_call", call_id: "c", name: "f" }] },
      /^input\[0\]\.arguments: must be a string/,
    ],
    [
      { model: "m", input: [{ type: "function_call_output", call_id: "c", output: 5 }] },
      /^input\[0\]\.output: must be a string or an array/,
    ],
    [
      { model: "m", input: [{ type: "reasoning", summary: "x" }] },
      /^input\[0\]\.summary: must be an array/,
    ],
    [{ model: "m", input: "hi", instructions: 5 }, /^instructions: must be a string/],
    [{ model: "m", input: "hi", tools: {} }, /^tools: must be an array/],
    [
      { model: "m", input: "hi", tools: [{ type: "function" }] },
      /^tools\[0\]\.name: must be a string/,
    ],
    [
      { model: "m", input: "hi", tools: [{ type: "function", name: "f", parameters: "x" }] },
      /^tools\[0\]\.parameters: must be a JSON Schema object/,
    ],
    [{ model: "m", input: "hi", tool_choice: "sometimes" }, /^tool_choice: must be/],
    [{ model: "m", input: "hi", temperature: "hot" }, /^temperature: must be a number/],
    [{ model: "m", input: "hi", max_output_tokens: "10" }, /^max_output_tokens: must be a number/],
    [{ model: "m", input: "hi", reasoning: { effort: "extreme" } }, /^reasoning\.effort: must be/],
    [{ model: "m", input: "hi", text: { format: { name: "x" } } }, /^text\.format\.type: must be/],
    [
      { model: "m", input: "hi", text: { format: { type: "json_schema", name: "x" } } },
      /^text\.format\.schema: must be a JSON Schema object/,
    ],
    [{ model: "m", input: "hi", stream: "yes" }, /^stream: must be a boolean/],
    [
      { model: "m", input: "hi", parallel_tool_calls: 1 },
      /^parallel_tool_calls: must be a boolean/,
    ],
  ];
  for (const [body, pattern] of cases) {
    let caught: unknown;
    try {
      codec.decodeRequest(body, {});
    } catch (error) {
      caught = error;
    }
    assert(caught instanceof ApiErrorException, `${JSON.stringify(body)} throws an ApiError`);
    assertEquals(caught.error.kind, "invalid_request");
    assertEquals(caught.error.status, 400);
    assertMatch(caught.error.message, pattern);
  }
});

Deno.test("request fields map to the canonical request", () => {
  const request = codec.decodeRequest({
    model: "gpt-5",
    input: [{ role: "user", content: "hi" }],
    tool_choice: { type: "function", name: "f" },
    tools: [{ type: "function", name: "f", parameters: { type: "object" } }],
    text: {
      format: { type: "json_schema", name: "out", schema: { type: "object" }, strict: true },
      verbosity: "high",
    },
    max_output_tokens: 99,
    top_p: 0.9,
    reasoning: { effort: "high", summary: "detailed" },
    previous_response_id: "resp_prev",
    user: "u1",
  }, {});
  assertEquals(request.toolChoice, { type: "tool", name: "f" });
  assertEquals(request.responseFormat, {
    type: "json-schema",
    name: "out",
    schema: { type: "object" },
    strict: true,
  });
  assertEquals(request.maxOutputTokens, 99);
  assertEquals(request.topP, 0.9);
  assertEquals(request.reasoning, { effort: "high", enabled: true, includeThoughts: true });
  assertEquals(request.user, "u1");
  assertEquals(request.stream, false);
  assertEquals(
    (request.providerData?.[DIALECT]?.fields as Json).previous_response_id,
    "resp_prev",
  );
  const body = codec.encodeRequest(request, context("gpt-5"));
  assertEquals(body.reasoning, { effort: "high", summary: "detailed" });
  assertEquals(body.text, {
    verbosity: "high",
    format: { type: "json_schema", name: "out", schema: { type: "object" }, strict: true },
  });
  assertEquals(body.previous_response_id, "resp_prev");
});

// ---------------------------------------------------------------- Codex CLI code mode

/** Codex CLI 0.171's second request in code mode: our own capture (tests/fixtures/README.md). */
const CODE_MODE = JSON.parse(
  Deno.readTextFileSync(new URL("../fixtures/codex-cli/code-mode.2.request.json", import.meta.url)),
) as Json;
const CODE_MODE_ITEMS = CODE_MODE.input as Json[];
const EXEC_INPUT = CODE_MODE_ITEMS[7].input as string;

/** The namespace tools of the captured `additional_tools` item, by name. */
function namespaces(): Map<string, Json[]> {
  const tools = CODE_MODE_ITEMS[0].tools as Json[];
  return new Map(tools.map((tool) => [tool.name as string, tool.tools as Json[]]));
}

/** The captured request with `items` appended (later turns Codex would send). */
function codeModeTurn(items: Json[] = []): CanonicalRequest {
  return codec.decodeRequest({
    ...structuredClone(CODE_MODE),
    input: [...CODE_MODE_ITEMS, ...items],
  }, {});
}

Deno.test("code mode: the captured request decodes whole and goes back to a Responses upstream as sent", () => {
  const request = codeModeTurn();
  const warnings: string[] = [];
  const encoded = codec.encodeRequest(request, context("gpt-6.2-sol", warnings));
  assertEquals(warnings, []);
  // The documented normalisations, except that the additional_tools item is kept whole, id too.
  const expected = normalised(CODE_MODE);
  (expected.input as Json[])[0] = CODE_MODE_ITEMS[0];
  assertEquals(encoded, expected);
  assertEquals(encoded.tools, undefined, "the tools are not repeated in `tools`");

  const byNamespace = namespaces();
  assertEquals(request.tools.map((tool) => tool.name), [
    ...byNamespace.get("functions")!.map((tool) => tool.name),
    "clock__sleep",
    ...byNamespace.get("collaboration")!.map((tool) => `collaboration__${tool.name}`),
  ]);
  const [exec, wait] = request.tools;
  assertEquals(exec.parameters.required, ["input"]);
  assertEquals(exec.description, byNamespace.get("functions")![0].description);
  assertEquals(wait.parameters, byNamespace.get("functions")![1].parameters);
  const sleep = request.tools.find((tool) => tool.name === "clock__sleep")!;
  assertEquals(sleep.parameters, byNamespace.get("clock")![0].parameters);
  assertEquals(sleep.strict, false);

  assertEquals(request.system, []);
  assertEquals(request.messages.map((message) => message.role), [
    "system",
    "system",
    "system",
    "system",
    "user",
    "user",
    "assistant",
    "tool",
  ]);
  const [call] = request.messages[6].content as AssistantPart[];
  assert(call.type === "tool-call");
  assertEquals(call.name, "exec");
  assertEquals(JSON.parse(call.arguments), { input: EXEC_INPUT });
  const [result] = request.messages[7].content;
  assert(result.type === "tool-result" && typeof result.content !== "string");
  assertEquals(result.toolCallId, call.id);
  assertEquals(result.toolName, "exec");
  assertMatch(
    result.content.map((part) => part.type === "text" ? part.text : "").join(""),
    /tool-ran-ok/,
  );
});

type Target = "openai-chat" | "anthropic" | "gemini";

/** The tool names of a request body in `target`'s dialect. */
function targetToolNames(target: Target, body: Record<string, unknown>): string[] {
  if (target === "openai-chat") {
    return (body.tools as Array<{ function: { name: string } }>).map((tool) => tool.function.name);
  }
  if (target === "anthropic") {
    return (body.tools as Array<{ name: string }>).map((tool) => tool.name);
  }
  const [declarations] = body.tools as Array<{ functionDeclarations: Array<{ name: string }> }>;
  return declarations.functionDeclarations.map((declaration) => declaration.name);
}

/** The arguments of the (one) call of `name` in a request body in `target`'s dialect. */
function targetCallArguments(target: Target, body: Record<string, unknown>, name: string): unknown {
  const parts = target === "openai-chat"
    ? (body.messages as Json[]).flatMap((message) => (message.tool_calls ?? []) as Json[])
      .map((call) => call.function as Json)
      .map((fn) => ({ name: fn.name, args: JSON.parse(fn.arguments as string) }))
    : target === "anthropic"
    ? (body.messages as Json[]).flatMap((message) => message.content as Json[])
      .filter((block) => block.type === "tool_use").map((block) => ({
        name: block.name,
        args: block.input,
      }))
    : (body.contents as Json[]).flatMap((content) => content.parts as Json[])
      .map((part) => part.functionCall as Json | undefined).filter((call) => call !== undefined)
      .map((call) => ({ name: call.name, args: call.args }));
  return parts.find((call) => call.name === name)?.args;
}

Deno.test("code mode: other dialects' upstreams get the tools, the call and its result", () => {
  for (const target of ["openai-chat", "anthropic", "gemini"] as const) {
    const request = codeModeTurn();
    const warnings: string[] = [];
    codec.leaveDialect!(request, context("m", warnings));
    const body = CODECS[target].encodeRequest(request, context("m", warnings));
    assertEquals(targetToolNames(target, body), request.tools.map((tool) => tool.name), target);
    // Nothing of code mode is dropped on the way (other warnings are the target's own).
    assertEquals(warnings.filter((warning) => /^(tools|input|content):/.test(warning)), [], target);
    assertEquals(targetCallArguments(target, body, "exec"), { input: EXEC_INPUT }, target);
    assertMatch(JSON.stringify(body), /tool-ran-ok/, `${target}: the tool's output`);
  }
  const chat = CODECS["openai-chat"].encodeRequest(codeModeTurn(), context("m"));
  const [assistant, tool] = (chat.messages as Json[]).slice(-2);
  assertEquals(assistant.tool_calls, [{
    id: CODE_MODE_ITEMS[7].call_id,
    type: "function",
    function: { name: "exec", arguments: JSON.stringify({ input: EXEC_INPUT }) },
  }]);
  assertEquals(tool.tool_call_id, CODE_MODE_ITEMS[7].call_id);
});

/** The model's calls of exec (freeform) and clock's sleep, as an upstream of another dialect streams them. */
function codeModeCalls(): StreamEvent[] {
  const sleepArgs = JSON.stringify({ duration_ms: 1 });
  return [
    { type: "start", id: "chatcmpl-1", model: "gpt-6.2-sol" },
    { type: "tool-call-start", index: 0, id: "call_exec", name: "exec" },
    { type: "tool-call-delta", index: 0, argumentsDelta: JSON.stringify({ input: EXEC_INPUT }) },
    { type: "tool-call-end", index: 0 },
    { type: "tool-call-start", index: 1, id: "call_sleep", name: "clock__sleep" },
    { type: "tool-call-delta", index: 1, argumentsDelta: sleepArgs },
    { type: "tool-call-end", index: 1 },
    { type: "finish", stopReason: "tool-calls", usage: { inputTokens: 1, outputTokens: 1 } },
  ];
}

Deno.test("code mode: the model's calls go back to Codex as it named the tools, and round trip", () => {
  const request = codeModeTurn();
  const wire = parseWire(encodeEvents(codeModeCalls(), request));
  const done = wire.filter((event) => event.event === "response.output_item.done")
    .map((event) => event.data.item as Json);
  const wanted = [
    // The default namespace's tools are called by their bare names (Codex runs both forms).
    { type: "custom_tool_call", name: "exec", input: EXEC_INPUT },
    {
      type: "function_call",
      namespace: "clock",
      name: "sleep",
      arguments: JSON.stringify({ duration_ms: 1 }),
    },
  ];
  assertEquals(
    done.map(({ type, namespace, name, input, arguments: args }) =>
      JSON.parse(JSON.stringify({ type, namespace, name, input, arguments: args }))
    ),
    wanted,
  );
  const completed = wire.find((event) => event.event === "response.completed")!.data;
  assertEquals((completed.response as Json).output, done);
  // The whole answer: the same items.
  const whole = codec.encodeResponse({
    id: "r",
    model: "m",
    content: [
      {
        type: "tool-call",
        id: "call_exec",
        name: "exec",
        arguments: JSON.stringify({ input: EXEC_INPUT }),
      },
      { type: "tool-call", id: "call_sleep", name: "clock__sleep", arguments: "{}" },
    ],
    stopReason: "tool-calls",
    usage: { inputTokens: 1, outputTokens: 1 },
  }, request) as { output: Json[] };
  assertEquals(whole.output.map((item) => [item.type, item.namespace, item.name]), [
    ["custom_tool_call", undefined, "exec"],
    ["function_call", "clock", "sleep"],
  ]);

  // Codex sends the calls back as it got them (namespace included), with their outputs.
  const next = codeModeTurn([
    ...done,
    { type: "custom_tool_call_output", call_id: "call_exec", output: "tool-ran-ok" },
    { type: "function_call_output", call_id: "call_sleep", output: "Sleep completed." },
  ]);
  const [, , , , , , , , calls, results] = next.messages;
  assertEquals(calls.content.map((part) => part.type === "tool-call" && part.name), [
    "exec",
    "clock__sleep",
  ]);
  assertEquals(results.content.map((part) => part.type === "tool-result" && part.toolName), [
    "exec",
    "clock__sleep",
  ]);
  const again = codec.encodeRequest(next, context("gpt-6.2-sol"));
  const sent = (again.input as Json[]).slice(-4);
  assertEquals(sent.slice(0, 2).map(({ type, namespace, name }) => ({ type, namespace, name })), [
    { type: "custom_tool_call", namespace: undefined, name: "exec" },
    { type: "function_call", namespace: "clock", name: "sleep" },
  ]);
  assertEquals(sent[2].type, "custom_tool_call_output");
  // A call that named the default namespace keeps it on the way back up.
  const named = {
    type: "custom_tool_call",
    call_id: "c",
    namespace: "functions",
    name: "exec",
    input: "1",
  };
  const kept = codec.encodeRequest(codeModeTurn([named]), context("m")).input as Json[];
  assertEquals(kept.at(-1), named);
  const chat = CODECS["openai-chat"].encodeRequest(next, context("m"));
  const assistant = (chat.messages as Json[]).at(-3)!;
  assertEquals(
    (assistant.tool_calls as Array<{ function: Json }>).map((call) => call.function.name),
    ["exec", "clock__sleep"],
  );
});

Deno.test("a Responses upstream's namespaced calls decode to the flat names", () => {
  const item = {
    type: "function_call",
    id: "fc_1",
    call_id: "call_1",
    namespace: "clock",
    name: "sleep",
    arguments: "{}",
    status: "completed",
  };
  const events = decodeSse(
    [
      { type: "response.created", response: { id: "resp_1", model: "m", output: [] } },
      { type: "response.output_item.added", output_index: 0, item: { ...item, arguments: "" } },
      { type: "response.function_call_arguments.delta", output_index: 0, delta: "{}" },
      { type: "response.output_item.done", output_index: 0, item },
      { type: "response.completed", response: { id: "resp_1", model: "m", status: "completed" } },
    ].map((event) => `event: ${event.type}\ndata: ${JSON.stringify(event)}\n\n`).join(""),
  );
  const start = events.find((event) => event.type === "tool-call-start");
  assertEquals(start?.type === "tool-call-start" && start.name, "clock__sleep");
  const response = codec.decodeResponse({
    id: "resp_1",
    object: "response",
    created_at: 1,
    status: "completed",
    error: null,
    incomplete_details: null,
    model: "m",
    output: [item],
    usage: null,
  });
  const [call] = response.content;
  assert(call.type === "tool-call");
  assertEquals(call.name, "clock__sleep");
  // Back to a Responses client, even one that did not offer the tool: as the upstream named it.
  const output = (codec.encodeResponse(response, simpleRequest()) as { output: Json[] }).output;
  assertEquals([output[0].namespace, output[0].name], ["clock", "sleep"]);
});

Deno.test("what subgate does not know goes up as sent; across dialects it is dropped with a warning", () => {
  const body: Json = {
    model: "m",
    input: [
      { type: "bogus_item", payload: { x: 1 } },
      {
        type: "message",
        role: "user",
        content: [
          { type: "input_audio", input_audio: { data: "AAA", format: "wav" } },
          { type: "input_text", text: "Listen." },
          { type: "input_video", url: "https://x/v.mp4" },
        ],
      },
      { type: "message", role: "assistant", content: [{ type: "output_hologram", data: "h" }] },
      { type: "function_call", call_id: "c1", name: "f", arguments: "{}" },
      {
        type: "function_call_output",
        call_id: "c1",
        output: [{ type: "input_text", text: "ok" }, { type: "output_chart", chart: {} }],
      },
      { type: "function_call", call_id: "c2", name: "f", arguments: "{}" },
      {
        type: "function_call_output",
        call_id: "c2",
        output: [{ type: "output_chart", chart: {} }],
      },
    ],
    tools: [
      {
        type: "function",
        name: "f",
        parameters: { type: "object", properties: {} },
        strict: false,
      },
      { type: "future_tool", setting: true },
      {
        type: "namespace",
        name: "crm",
        description: "CRM tools",
        tools: [{ type: "function", name: "lookup", parameters: { type: "object" }, strict: true }],
      },
    ],
  };
  const request = codec.decodeRequest(structuredClone(body), {});
  const warnings: string[] = [];
  assertEquals(codec.encodeRequest(request, context("m", warnings)), normalised(body));
  assertEquals(warnings, []);
  assertEquals(request.tools.map((tool) => tool.name), ["f", "crm__lookup"]);
  const [user] = request.messages;
  assertEquals(user.content.map((part) => part.type === "text" && part.text), ["Listen."]);

  codec.leaveDialect!(request, context("m", warnings));
  assertEquals(warnings, [
    'tools: tool type "future_tool" dropped',
    'input: 2 item(s) of type "bogus_item", "message" dropped',
    "content: 4 content part(s) of a type subgate does not know dropped",
  ]);
  const chat = CODECS["openai-chat"].encodeRequest(request, context("m"));
  assertEquals(
    (chat.tools as Array<{ function: Json }>).map((tool) => tool.function.name),
    ["f", "crm__lookup"],
  );
  const text = JSON.stringify(chat);
  for (const lost of ["bogus_item", "input_audio", "input_video", "hologram", "output_chart"]) {
    assert(!text.includes(lost), `${lost} does not reach a Chat upstream`);
  }
  const [, , , , lastResult] = chat.messages as Json[];
  assertEquals(lastResult, { role: "tool", tool_call_id: "c2", content: "" });
});

Deno.test("a text format subgate does not know goes up as sent, and translating it is refused", () => {
  const body: Json = { model: "m", input: "hi", text: { format: { type: "yaml", strict: true } } };
  const request = codec.decodeRequest(body, {});
  assertEquals(codec.encodeRequest(request, context("m")).text, body.text);
  let caught: unknown;
  try {
    codec.leaveDialect!(request, context("m"));
  } catch (error) {
    caught = error;
  }
  assert(caught instanceof ApiErrorException);
  assertEquals(caught.error.status, 400);
  assertMatch(caught.error.message, /^text\.format: the format type "yaml"/);
});

// ---------------------------------------------------------------- errors

Deno.test("upstream errors decode right", () => {
  const headers = new Headers();
  const missing = codec.decodeError(
    400,
    JSON.stringify(readJsonFixture(DIALECT, "openai-issue-17402-error.1.json")),
    headers,
  );
  assertEquals(missing, {
    kind: "invalid_request",
    status: 400,
    message: "Missing required parameter: 'input[1].arguments'.",
  });
  const temperature = codec.decodeError(
    400,
    JSON.stringify(readJsonFixture(DIALECT, "reasoning-model-temperature-error.json")),
    headers,
  );
  assertEquals(temperature.kind, "invalid_request");
  assertMatch(temperature.message, /temperature/);

  const [http] = readCassette(DIALECT, "test_openai_responses_model_http_error.yaml");
  const decoded = codec.decodeError(http.response.status, http.response.text, headers);
  assertEquals(decoded.kind, "invalid_request");
  assertMatch(decoded.message, /decimal below minimum value/);

  assertEquals(
    codec.decodeError(400, '{"detail":"Store must be set to false"}', headers),
    { kind: "invalid_request", status: 400, message: "Store must be set to false" },
  );
  assertEquals(
    codec.decodeError(
      429,
      JSON.stringify({
        error: {
          type: "usage_limit_reached",
          message: "The usage limit has been reached",
          plan_type: "plus",
          resets_in_seconds: 1800,
        },
      }),
      headers,
    ),
    {
      kind: "rate_limit",
      status: 429,
      message: "The usage limit has been reached",
      retryAfterSeconds: 1800,
    },
  );
  assertEquals(
    codec.decodeError(
      429,
      '{"error":{"message":"Slow down","type":"requests","code":"rate_limit_exceeded"}}',
      new Headers({ "retry-after-ms": "2500" }),
    ).retryAfterSeconds,
    2.5,
  );
  assertEquals(
    codec.decodeError(429, "busy", new Headers({ "retry-after": "7" })).retryAfterSeconds,
    7,
  );
  assertEquals(
    codec.decodeError(
      429,
      '{"error":{"type":"usage_not_included","message":"Upgrade your plan"}}',
      headers,
    ).kind,
    "permission",
  );
  assertEquals(codec.decodeError(401, '{"detail":"Unauthorized"}', headers).kind, "authentication");
  assertEquals(codec.decodeError(502, "<html>Bad gateway</html>", headers), {
    kind: "api_error",
    status: 502,
    message: "<html>Bad gateway</html>",
  });
  assertEquals(codec.decodeError(503, "", headers).kind, "overloaded");
});
