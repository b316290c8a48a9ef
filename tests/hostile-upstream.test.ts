/**
 * Upstreams that misbehave: endless or huge bodies, a 50 MB stream event, garbage or truncated
 * JSON, a connection reset mid-answer, a stream that breaks off. subgate's memory stays bounded by
 * its limits, the client gets a clear 502 (or its stream's error event), and the account that
 * misbehaved is marked, so the next request goes elsewhere when there is an elsewhere.
 */
import { assert, assertEquals, assertMatch } from "./helpers/assert.ts";
import { readJsonFixture } from "./helpers/provider-fixtures.ts";
import { type RunningSubgate, startSubgate, withTempHome } from "./helpers/subgate-process.ts";

const OK = JSON.stringify(readJsonFixture("anthropic-messages", "anthropic-text.json"));
const encoder = new TextEncoder();

/** Bytes forever, until the reader goes away. */
function endless(piece: string): ReadableStream<Uint8Array> {
  const chunk = encoder.encode(piece.repeat(Math.ceil(65536 / piece.length)));
  return new ReadableStream({ pull: (controller) => controller.enqueue(chunk) });
}

const START = 'event: message_start\ndata: {"type":"message_start","message":{"id":"msg_1",' +
  '"type":"message","role":"assistant","model":"claude-sonnet-4-6","content":[],' +
  '"stop_reason":null,"stop_sequence":null,"usage":{"input_tokens":3,"output_tokens":1}}}\n\n';

/** One behaviour per API key. */
function hostile(key: string): Response {
  const json = { "content-type": "application/json" };
  switch (key) {
    case "endless-json":
      return new Response(endless('{"a":1},'), { headers: json });
    case "endless-error":
      return new Response(endless("error "), { status: 500, headers: json });
    case "huge-event":
      return new Response(
        new ReadableStream({
          start(controller) {
            controller.enqueue(encoder.encode(START + "event: content_block_delta\ndata: "));
          },
          pull: (controller) => controller.enqueue(encoder.encode("x".repeat(65536))),
        }),
        { headers: { "content-type": "text/event-stream" } },
      );
    case "garbage":
      return new Response('{"id": "msg_1", "content": [tru', { headers: json });
    case "reset":
      return new Response(
        new ReadableStream({
          start(controller) {
            controller.enqueue(encoder.encode(OK.slice(0, 40)));
            setTimeout(() => controller.error(new Error("reset")), 20);
          },
        }),
        { headers: json },
      );
    case "break":
      return new Response(
        new ReadableStream({
          start(controller) {
            controller.enqueue(encoder.encode(START));
            setTimeout(() => controller.error(new Error("reset")), 20);
          },
        }),
        { headers: { "content-type": "text/event-stream" } },
      );
    default:
      return new Response(OK, { headers: json });
  }
}

function startHostile() {
  const served: string[] = [];
  const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen: () => {} }, async (req) => {
    await req.body?.cancel();
    const key = req.headers.get("x-api-key") ?? "";
    served.push(key);
    return hostile(key);
  });
  return { url: `http://127.0.0.1:${server.addr.port}`, served, close: () => server.shutdown() };
}

async function rssMb(pid: number): Promise<number> {
  const status = await Deno.readTextFile(`/proc/${pid}/status`);
  return Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? 0) / 1024;
}

async function withHostile(
  keys: Record<string, string>,
  fn: (server: RunningSubgate, served: string[]) => Promise<void>,
) {
  const upstream = startHostile();
  try {
    await withTempHome(async (home) => {
      await Deno.mkdir(`${home}/.subgate`, { mode: 0o700 });
      const entries = Object.entries(keys).map(([key, model]) =>
        `  - api-key: ${key}\n    base-url: ${upstream.url}\n    models: [${model}]`
      );
      await Deno.writeTextFile(
        `${home}/.subgate/config.yaml`,
        "upstream-body-limit: 4MB\nsse-event-limit: 1MB\nrouting:\n  strategy: fill-first\n" +
          `claude-api-key:\n${entries.join("\n")}\n`,
      );
      const server = await startSubgate([], { home });
      try {
        await fn(server, upstream.served);
      } finally {
        await server.stop();
      }
    });
  } finally {
    await upstream.close();
  }
}

const messages = (server: RunningSubgate, model: string, stream = false) =>
  fetch(`${server.url}/v1/messages`, {
    method: "POST",
    headers: { "anthropic-version": "2023-06-01" },
    body: JSON.stringify({
      model,
      max_tokens: 8,
      stream,
      messages: [{ role: "user", content: "hi" }],
    }),
  });

const chat = (server: RunningSubgate, model: string, stream = false) =>
  fetch(`${server.url}/v1/chat/completions`, {
    method: "POST",
    body: JSON.stringify({ model, stream, messages: [{ role: "user", content: "hi" }] }),
  });

Deno.test({
  name: "endless and huge upstream answers end in a 502 with memory bounded by the limits",
  ignore: Deno.build.os !== "linux",
  fn: () =>
    withHostile({
      "endless-json": "m-json",
      "endless-error": "m-error",
      "huge-event": "m-event",
    }, async (server) => {
      for (const ask of [messages, chat]) {
        for (const model of ["m-json", "m-error"]) {
          const answer = await ask(server, model);
          assertEquals(answer.status, 502, `${ask.name} ${model}`);
          assertMatch((await answer.json()).error.message, /larger than 4 MB/);
        }
      }
      // One 50 MB event (and more) in a translated stream: the stream ends with an error event.
      const stream = await chat(server, "m-event", true);
      assertEquals(stream.status, 200);
      const text = await stream.text();
      assertMatch(text, /stream event larger than 1 MB/);
      assertMatch(text, /data: \[DONE\]/);
      const rss = await rssMb(server.pid);
      assert(rss < 400, `subgate's memory stayed bounded (${Math.round(rss)} MB)`);
      await server.waitForLog(/upstream stream broke off .*larger than 1 MB/);
    }),
});

Deno.test("garbage, truncated or reset answers fail over to the next account and mark the one that sent them", () =>
  withHostile({ garbage: "m", reset: "m", good: "m" }, async (server, served) => {
    for (const ask of [chat, messages]) {
      const answer = await ask(server, "m");
      assertEquals(answer.status, 200, ask.name);
      await answer.body?.cancel();
    }
    // The first request found both broken accounts; the second went straight to the good one.
    assertEquals(served, ["garbage", "reset", "good", "good"]);
    const log = server.log();
    assertMatch(log, /upstream failed .*garbage|upstream failed .*account="claude-api-key\[0\]/);
    assertMatch(log, /status=502 reason="The upstream's answer is not valid JSON/);
    assertMatch(log, /status=502 reason="The upstream's answer broke off/);
  }));

Deno.test("a passthrough stream that breaks off ends with the dialect's error event and marks the account", () =>
  withHostile({ break: "m", good: "m" }, async (server, served) => {
    const broken = await messages(server, "m", true);
    assertEquals(broken.status, 200);
    const text = await broken.text();
    assert(text.startsWith(START), "the upstream's bytes came through as sent");
    assertMatch(text, /event: error\ndata: \{"type":"error","error":\{"type":"api_error"/);
    await server.waitForLog(/upstream stream broke off .*account="claude-api-key\[0\]/);
    const next = await messages(server, "m");
    assertEquals(next.status, 200);
    await next.body?.cancel();
    assertEquals(served, ["break", "good"], "the broken account rests");
  }));
