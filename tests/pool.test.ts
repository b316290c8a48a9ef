import { assert, assertEquals, assertMatch } from "./helpers/assert.ts";
import { type FaultUpstream, startFaultUpstream } from "./helpers/fault-upstream.ts";
import {
  eventually,
  type RunningSubgate,
  runSubgate,
  startSubgate,
  withTempHome,
} from "./helpers/subgate-process.ts";

const KEY = "sg-pool-key";
const KEYS = ["key-one", "key-two", "key-three"];
const RATE_LIMIT =
  `{"type":"error","error":{"type":"rate_limit_error","message":"Too many requests"}}`;

/** Three Anthropic API-key accounts serving one model, all at one fault upstream. */
function withPool(
  fn: (server: RunningSubgate, upstream: FaultUpstream, home: string) => Promise<void>,
  extra = "",
  baseUrls?: string[],
) {
  return withTempHome(async (home) => {
    const upstream = startFaultUpstream();
    await Deno.mkdir(`${home}/.subgate`, { recursive: true });
    await Deno.writeTextFile(
      `${home}/.subgate/config.yaml`,
      [
        `api-keys: [${KEY}]`,
        "claude-api-key:",
        ...KEYS.map((key, i) =>
          `  - api-key: ${key}\n    base-url: ${baseUrls?.[i] ?? upstream.url}\n` +
          `    models: [{name: claude-sonnet-4-6, alias: pool-model}]`
        ),
        extra,
      ].join("\n"),
    );
    const server = await startSubgate([], { home });
    try {
      await fn(server, upstream, home);
    } finally {
      await server.stop();
      await upstream.close();
    }
  });
}

async function ask(server: RunningSubgate) {
  const response = await fetch(`${server.url}/v1/messages`, {
    method: "POST",
    headers: { "x-api-key": KEY, "anthropic-version": "2023-06-01" },
    body: `{"model":"pool-model","max_tokens":16,"messages":[{"role":"user","content":"hi"}]}`,
  });
  return { status: response.status, headers: response.headers, body: await response.json() };
}

const count = (served: string[], key: string) => served.filter((k) => k === key).length;

Deno.test("round-robin spreads 200 concurrent requests evenly over three accounts", () =>
  withPool(async (server, upstream) => {
    const answers = await Promise.all(Array.from({ length: 200 }, () => ask(server)));
    assert(answers.every((a) => a.status === 200));
    for (const key of KEYS) {
      const n = count(upstream.served, key);
      assert(n >= 60 && n <= 74, `${key} served ${n} of 200`);
    }
  }));

Deno.test("fill-first keeps every request on the first account", () =>
  withPool(async (server, upstream) => {
    await Promise.all(Array.from({ length: 200 }, () => ask(server)));
    assertEquals(count(upstream.served, "key-one"), 200);
  }, "routing:\n  strategy: fill-first"));

Deno.test("a 429 with retry-after rests that account until then and the request moves on", () =>
  withPool(async (server, upstream) => {
    upstream.fail("key-one", { status: 429, body: RATE_LIMIT, headers: { "retry-after": "120" } });
    const first = await ask(server);
    assertEquals(first.status, 200, "the client never sees the limit");
    assertEquals(upstream.served, ["key-one", "key-two"]);
    for (let i = 0; i < 10; i++) assertEquals((await ask(server)).status, 200);
    assertEquals(count(upstream.served, "key-one"), 1, "key-one rests for its 120 s");
    await server.waitForLog(/upstream failed .*account="claude-api-key\[0\].*status=429/);
  }, "routing:\n  strategy: fill-first"));

Deno.test("server errors and refused connections move to the next account, up to request-retry", () =>
  withPool(
    async (server, upstream) => {
      upstream.fail("key-two", { status: 500 });
      const answer = await ask(server);
      assertEquals(answer.status, 200);
      // key-one's base URL refuses connections, key-two fails, key-three answers.
      assertEquals(upstream.served, ["key-two", "key-three"]);
    },
    "routing:\n  strategy: fill-first",
    ["http://127.0.0.1:9", undefined!, undefined!],
  ));

Deno.test("with request-retry 0 a server error is answered after one attempt", () =>
  withPool(async (server, upstream) => {
    upstream.fail("key-one", {
      status: 503,
      body: `{"type":"error","error":{"type":"overloaded_error","message":"busy"}}`,
    });
    const answer = await ask(server);
    assertEquals(answer.status, 503);
    assertEquals(answer.body.error.type, "overloaded_error");
    assertEquals(upstream.served, ["key-one"]);
  }, "request-retry: 0\nrouting:\n  strategy: fill-first"));

Deno.test("when every account is rate-limited the client gets one 429 naming who waits until when", () =>
  withPool(async (server, upstream, home) => {
    upstream.fail("key-one", { status: 429, body: RATE_LIMIT, headers: { "retry-after": "300" } });
    upstream.fail("key-two", { status: 429, body: RATE_LIMIT, headers: { "retry-after": "30" } });
    upstream.fail("key-three", {
      status: 429,
      body: RATE_LIMIT,
      headers: { "retry-after": "600" },
    });
    const answer = await ask(server);
    assertEquals(answer.status, 429);
    assertEquals(answer.body.error.type, "rate_limit_error");
    assertMatch(answer.body.error.message, /Every account serving 'pool-model' is resting/);
    assertMatch(answer.body.error.message, /claude-api-key\[1\].*until/);
    const wait = Number(answer.headers.get("retry-after"));
    assert(wait >= 29 && wait <= 31, `retry-after ${wait} is the earliest reset`);
    // A later request does not bother the upstream at all.
    const again = await ask(server);
    assertEquals(again.status, 429);
    assertEquals(upstream.served.length, 3);
    // `subgate accounts` shows who rests until when, and the counts since the server started.
    await new Promise((resolve) => setTimeout(resolve, 1500));
    const accounts = await runSubgate(["accounts"], { home });
    assertMatch(
      accounts.stdout,
      /claude\s+claude-api-key\[1\].*resting until \S+Z \(rate limited\)\s+-\s+-\s+1 \(1 failed\)/,
    );
  }));

Deno.test("an exhausted Claude window rests the account until the window's reset", () =>
  withPool(async (server, upstream) => {
    const now = Math.floor(Date.now() / 1000);
    KEYS.forEach((key, i) =>
      upstream.fail(key, {
        status: 429,
        body: RATE_LIMIT,
        headers: {
          "anthropic-ratelimit-unified-status": "rejected",
          "anthropic-ratelimit-unified-5h-status": "rejected",
          "anthropic-ratelimit-unified-5h-reset": String(now + 7200 + i * 3600),
        },
      })
    );
    const answer = await ask(server);
    assertEquals(answer.status, 429);
    assertMatch(answer.body.error.message, /\(quota spent\) until/);
    const wait = Number(answer.headers.get("retry-after"));
    assert(
      wait > 7100 && wait <= 7200,
      `resting until the earliest window reset, not a backoff: ${wait}`,
    );
  }));

Deno.test("session affinity keeps a conversation on one account while others spread", () =>
  withPool(async (server, upstream) => {
    const converse = (opening: string, turn: number, session?: string) =>
      fetch(`${server.url}/v1/messages`, {
        method: "POST",
        headers: {
          "x-api-key": KEY,
          "anthropic-version": "2023-06-01",
          ...(session ? { "x-claude-code-session-id": session } : {}),
        },
        body: JSON.stringify({
          model: "pool-model",
          max_tokens: 16,
          messages: [
            { role: "user", content: opening },
            ...Array.from({ length: turn }, (_, i) => [
              { role: "assistant", content: `answer ${i}` },
              { role: "user", content: `follow-up ${i}` },
            ]).flat(),
          ],
        }),
      }).then((r) => r.body?.cancel());
    // One conversation by its opening, another by its session header: each stays put.
    for (let turn = 0; turn < 6; turn++) await converse("Tell me about tides.", turn);
    const byOpening = new Set(upstream.served);
    assertEquals(byOpening.size, 1);
    const before = upstream.served.length;
    for (let turn = 0; turn < 6; turn++) await converse(`Question ${turn}`, 0, "session-42");
    assertEquals(new Set(upstream.served.slice(before)).size, 1);
    // Different conversations still spread over the accounts.
    const spread = upstream.served.length;
    for (let i = 0; i < 9; i++) await converse(`Unrelated conversation ${i}`, 0);
    assertEquals(new Set(upstream.served.slice(spread)).size, 3);
  }, "routing:\n  strategy: round-robin\n  session-affinity: true"));

Deno.test("an upstream that stalls past upstream-timeout counts as failed and the next account answers", () =>
  withPool(async (server, upstream) => {
    upstream.fail("key-one", { status: 200, delayMs: 2500 });
    const started = Date.now();
    const answer = await ask(server);
    assertEquals(answer.status, 200);
    assert(Date.now() - started < 2400, "the stalled account was abandoned at the timeout");
    assertEquals(upstream.served, ["key-one", "key-two"]);
    await server.waitForLog(/upstream failed .*status=504/);
  }, "upstream-timeout: 1s\nrouting:\n  strategy: fill-first"));

Deno.test("provider/model pins the provider", () =>
  withPool(async (server) => {
    const pinned = await fetch(`${server.url}/v1/messages`, {
      method: "POST",
      headers: { "x-api-key": KEY, "anthropic-version": "2023-06-01" },
      body:
        `{"model":"claude/pool-model","max_tokens":8,"messages":[{"role":"user","content":"hi"}]}`,
    });
    assertEquals(pinned.status, 200);
    await pinned.body?.cancel();
    const elsewhere = await fetch(`${server.url}/v1/messages`, {
      method: "POST",
      headers: { "x-api-key": KEY, "anthropic-version": "2023-06-01" },
      body:
        `{"model":"gemini/pool-model","max_tokens":8,"messages":[{"role":"user","content":"hi"}]}`,
    });
    assertEquals(elsewhere.status, 404);
    await elsewhere.body?.cancel();
  }));

Deno.test("SIGTERM lets a request in flight finish before the server exits", {
  ignore: Deno.build.os === "windows",
}, () =>
  withPool(async (server, upstream) => {
    upstream.fail("key-one", {
      status: 200,
      delayMs: 1200,
      body: `{"id":"msg_slow","type":"message","role":"assistant","model":"claude-sonnet-4-6",` +
        `"content":[{"type":"text","text":"slow but complete"}],"stop_reason":"end_turn",` +
        `"stop_sequence":null,"usage":{"input_tokens":1,"output_tokens":3}}`,
    });
    const inFlight = ask(server);
    await new Promise((resolve) => setTimeout(resolve, 300));
    const stopped = server.stop("SIGTERM");
    const answer = await inFlight;
    assertEquals(answer.status, 200);
    assertEquals(answer.body.content[0].text, "slow but complete");
    assertEquals((await stopped).code, 0);
    assertMatch(
      server.log(),
      /shutting down: finishing in-flight requests[\s\S]*request .*status=200[\s\S]*stopped/,
    );
  }, "routing:\n  strategy: fill-first"));

Deno.test("a stream the upstream drops midway ends in an error the client sees, in both paths", () =>
  withPool(async (server, upstream) => {
    const start = 'event: message_start\ndata: {"type":"message_start","message":{"id":"msg_1",' +
      '"type":"message","role":"assistant","model":"claude-sonnet-4-6","content":[],' +
      '"stop_reason":null,"stop_sequence":null,"usage":{"input_tokens":3,"output_tokens":1}}}\n\n' +
      'event: content_block_start\ndata: {"type":"content_block_start","index":0,' +
      '"content_block":{"type":"text","text":""}}\n\n' +
      'event: content_block_delta\ndata: {"type":"content_block_delta","index":0,' +
      '"delta":{"type":"text_delta","text":"Hel"}}\n\n';
    for (const key of KEYS) upstream.fail(key, { status: 200, dropAfter: start });
    // Passthrough (Anthropic in, Anthropic out): the client's stream breaks, it does not just end.
    const passthrough = await fetch(`${server.url}/v1/messages`, {
      method: "POST",
      headers: { "x-api-key": KEY, "anthropic-version": "2023-06-01" },
      body: `{"model":"pool-model","max_tokens":16,"stream":true,` +
        `"messages":[{"role":"user","content":"hi"}]}`,
    });
    assertEquals(passthrough.status, 200);
    let text = "";
    let broke = false;
    try {
      text = await passthrough.text();
    } catch {
      broke = true;
    }
    assert(broke || /event: error/.test(text), `the client learns the stream broke: ${text}`);
    assert(!text.includes("message_stop"), "no clean end is faked");
    // Translated (OpenAI chat in, Anthropic out): the dialect's own stream error.
    const translated = await fetch(`${server.url}/v1/chat/completions`, {
      method: "POST",
      headers: { authorization: `Bearer ${KEY}` },
      body: `{"model":"pool-model","stream":true,"messages":[{"role":"user","content":"hi"}]}`,
    });
    const events = await translated.text();
    assertMatch(events, /"content":"Hel"/);
    assertMatch(events, /"error":\{/);
    // No finish is faked; like vLLM, the error chunk is followed only by `[DONE]`.
    assert(!/"finish_reason":"[a-z]/.test(events), `no clean finish is faked: ${events}`);
    assertMatch(events, /"error":\{[^\n]*\n\n(data: \[DONE\]\n\n)?$/);
  }));

Deno.test("a client that goes away cancels its upstream call, waiting or streaming", () =>
  withPool(async (server, upstream) => {
    const gone = async (n: number) =>
      await eventually(
        () => Promise.resolve(upstream.cancelled.length === n),
        5000,
        `${n} cancelled`,
      );
    // Waiting for the upstream's answer: the client gives up, the upstream call is dropped.
    upstream.fail("key-one", { status: 200, delayMs: 30_000 });
    const waiting = new AbortController();
    const call = fetch(`${server.url}/v1/messages`, {
      method: "POST",
      headers: { "x-api-key": KEY, "anthropic-version": "2023-06-01" },
      body: `{"model":"pool-model","max_tokens":16,"messages":[{"role":"user","content":"hi"}]}`,
      signal: waiting.signal,
    }).then(() => "answered", () => "gave up");
    await eventually(
      () => Promise.resolve(upstream.served.length === 1),
      5000,
      "the upstream call",
    );
    waiting.abort();
    assertEquals(await call, "gave up");
    await gone(1);
    assertEquals(upstream.served, ["key-one"], "a client's leaving is no account's failure");

    // A token count asked in another dialect (Gemini's countTokens, counted by the account's API).
    upstream.fail("key-one", { status: 200, delayMs: 30_000 });
    const counting = new AbortController();
    const count = fetch(`${server.url}/v1beta/models/pool-model:countTokens`, {
      method: "POST",
      headers: { "x-goog-api-key": KEY },
      body: `{"contents":[{"role":"user","parts":[{"text":"hi"}]}]}`,
      signal: counting.signal,
    }).then(() => "answered", () => "gave up");
    await eventually(() => Promise.resolve(upstream.served.length === 2), 5000, "the count");
    counting.abort();
    assertEquals(await count, "gave up");
    await gone(2);

    // Mid-stream, passthrough and translated: the client stops reading, the upstream stream ends.
    const trickle = {
      first: 'event: message_start\ndata: {"type":"message_start","message":{"id":"msg_1",' +
        '"type":"message","role":"assistant","model":"claude-sonnet-4-6","content":[],' +
        '"stop_reason":null,"stop_sequence":null,"usage":{"input_tokens":3,"output_tokens":1}}}\n\n' +
        'event: content_block_start\ndata: {"type":"content_block_start","index":0,' +
        '"content_block":{"type":"text","text":""}}\n\n',
      then: 'event: content_block_delta\ndata: {"type":"content_block_delta","index":0,' +
        '"delta":{"type":"text_delta","text":"la"}}\n\n',
    };
    for (
      const [path, headers, body] of [
        ["/v1/messages", { "x-api-key": KEY, "anthropic-version": "2023-06-01" }, "max_tokens"],
        ["/v1/chat/completions", { authorization: `Bearer ${KEY}` }, "max_completion_tokens"],
      ] as const
    ) {
      upstream.fail("key-one", { status: 200, trickle });
      const response = await fetch(`${server.url}${path}`, {
        method: "POST",
        headers,
        body: `{"model":"pool-model","${body}":16,"stream":true,` +
          `"messages":[{"role":"user","content":"hi"}]}`,
      });
      assertEquals(response.status, 200);
      const reader = response.body!.getReader();
      await reader.read();
      await reader.cancel();
    }
    await gone(4);
    await server.waitForLog(/client went away.*model=pool-model/);
    await server.waitForLog(/client went away.*countTokens/);
    assert(!/ERROR|Error/.test(server.log()), `no error is logged for it:\n${server.log()}`);
  }, "routing:\n  strategy: fill-first"));

Deno.test("a long answer arriving in one buffer is translated whole and in order", () =>
  withPool(async (server, upstream) => {
    const event = (name: string, data: unknown) =>
      `event: ${name}\ndata: ${JSON.stringify({ type: name, ...data as object })}\n\n`;
    const words = Array.from({ length: 600 }, (_, i) => `w${i} `);
    const events = event("message_start", {
      message: {
        id: "msg_1",
        type: "message",
        role: "assistant",
        model: "claude-sonnet-4-6",
        content: [],
        stop_reason: null,
        stop_sequence: null,
        usage: { input_tokens: 3, output_tokens: 1 },
      },
    }) + event("content_block_start", { index: 0, content_block: { type: "text", text: "" } }) +
      words.map((text) =>
        event("content_block_delta", { index: 0, delta: { type: "text_delta", text } })
      ).join("") +
      event("content_block_stop", { index: 0 }) +
      event("message_delta", {
        delta: { stop_reason: "end_turn", stop_sequence: null },
        usage: { output_tokens: 600 },
      }) + event("message_stop", {});
    assert(events.length > 64 * 1024, "more than one read buffer's worth");
    upstream.fail("key-one", { status: 200, events });
    const response = await fetch(`${server.url}/v1/chat/completions`, {
      method: "POST",
      headers: { authorization: `Bearer ${KEY}` },
      body: `{"model":"pool-model","stream":true,"messages":[{"role":"user","content":"hi"}]}`,
    });
    const chunks = (await response.text()).split("\n\n").filter((line) =>
      line.startsWith("data: {")
    ).map((line) => JSON.parse(line.slice(6)));
    const text = chunks.map((chunk) => chunk.choices[0]?.delta?.content ?? "").join("");
    assertEquals(text, words.join(""));
    assertEquals(chunks.at(-1).choices[0].finish_reason, "stop");
  }, "routing:\n  strategy: fill-first"));

Deno.test("a token count goes through the pool like generation: a failing account hands over", () =>
  withPool(async (server, upstream) => {
    upstream.fail("key-one", { status: 503 });
    const counted = await fetch(`${server.url}/v1/messages/count_tokens`, {
      method: "POST",
      headers: { "x-api-key": KEY, "anthropic-version": "2023-06-01" },
      body: `{"model":"pool-model","messages":[{"role":"user","content":"hi"}]}`,
    });
    assertEquals(counted.status, 200);
    await counted.body?.cancel();
    assertEquals(upstream.served, ["key-one", "key-two"]);
    await server.waitForLog(/upstream failed .*account="claude-api-key\[0\].*status=503/);
    // Asked in Gemini's dialect, counted by the Anthropic accounts: the same failover.
    upstream.fail("key-two", { status: 500 });
    upstream.fail("key-three", { status: 200, body: `{"input_tokens":7}` });
    const translated = await fetch(`${server.url}/v1beta/models/pool-model:countTokens`, {
      method: "POST",
      headers: { "x-goog-api-key": KEY },
      body: `{"contents":[{"role":"user","parts":[{"text":"hi"}]}]}`,
    });
    assertEquals([translated.status, await translated.json()], [200, { totalTokens: 7 }]);
    assertEquals(upstream.served.slice(2), ["key-two", "key-three"], "key-one still rests");
  }, "routing:\n  strategy: fill-first"));
