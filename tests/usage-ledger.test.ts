/**
 * The usage ledger through the public surface: a started subgate, clients
 * speaking each dialect over fetch, local upstreams replaying real captures
 * whose token counts are known, and the ledger read as `subgate usage`
 * prints it and as its rows.
 */
import { assert, assertEquals, assertMatch } from "./helpers/assert.ts";
import { CAPTURES } from "./helpers/fixture-expectations.ts";
import { KEY, MODELS, upstreamConfig } from "./helpers/matrix-world.ts";
import { chunksAsSse, readChunks } from "./helpers/provider-fixtures.ts";
import { type FaultUpstream, startFaultUpstream } from "./helpers/fault-upstream.ts";
import {
  type ReplayUpstream,
  startReplayUpstream,
  type UpstreamDialect,
} from "./helpers/replay-upstream.ts";
import {
  eventually,
  type RunningSubgate,
  runSubgate,
  startSubgate,
  withTempHome,
} from "./helpers/subgate-process.ts";
import { openSqliteStore } from "../src/usage/sqlite-store.ts";
import { createLedger } from "../src/usage/ledger.ts";
import { createLogger } from "../src/log/logger.ts";
import {
  addTokens,
  ledgerPath,
  ledgerRows,
  NO_TOKENS,
  parseUsageTable,
  reportedTokens,
  rowTokens,
  type Tokens,
} from "./helpers/usage-ledger.ts";

const DIALECTS: UpstreamDialect[] = ["anthropic", "openai-chat", "openai-responses", "gemini"];
const FAULT_MODEL = "via-fault";

interface World {
  home: string;
  server: RunningSubgate;
  upstream: ReplayUpstream;
  fault: FaultUpstream;
}

async function writeConfig(home: string, upstream: ReplayUpstream, fault: FaultUpstream) {
  await Deno.mkdir(`${home}/.subgate`, { recursive: true });
  await Deno.writeTextFile(
    `${home}/.subgate/config.yaml`,
    [
      `api-keys: [${KEY}]`,
      "sse-event-limit: 1MB",
      "usage:",
      "  retention: 2d",
      ...upstreamConfig(upstream.url, [
        "  - api-key: sk-fault",
        `    base-url: ${fault.url}`,
        "    models:",
        "      - name: claude-fault",
        `        alias: ${FAULT_MODEL}`,
      ]),
    ].join("\n"),
  );
}

function withWorld(fn: (world: World) => Promise<void>) {
  return withTempHome(async (home) => {
    const upstream = startReplayUpstream();
    const fault = startFaultUpstream();
    await writeConfig(home, upstream, fault);
    const server = await startSubgate([], { home });
    try {
      await fn({ home, server, upstream, fault });
    } finally {
      await server.stop();
      await upstream.close();
      await fault.close();
    }
  });
}

/** A generation request in `client`'s dialect, as its SDK sends it. */
function request(url: string, client: UpstreamDialect, model: string, stream: boolean): Request {
  const json = (path: string, body: unknown, headers: Record<string, string>) =>
    new Request(`${url}${path}`, {
      method: "POST",
      headers: { "content-type": "application/json", ...headers },
      body: JSON.stringify(body),
    });
  const bearer = { authorization: `Bearer ${KEY}` };
  switch (client) {
    case "openai-chat":
      return json("/v1/chat/completions", {
        model,
        messages: [{ role: "user", content: "hi" }],
        ...(stream ? { stream: true, stream_options: { include_usage: true } } : {}),
      }, bearer);
    case "openai-responses":
      return json("/v1/responses", { model, input: "hi", stream }, bearer);
    case "anthropic":
      return json("/v1/messages", {
        model,
        max_tokens: 64,
        messages: [{ role: "user", content: "hi" }],
        stream,
      }, { "x-api-key": KEY, "anthropic-version": "2023-06-01" });
    case "gemini":
      return json(
        `/v1beta/models/${model}:${stream ? "streamGenerateContent?alt=sse" : "generateContent"}`,
        { contents: [{ role: "user", parts: [{ text: "hi" }] }] },
        { "x-goog-api-key": KEY },
      );
  }
}

const sumOf = (list: Tokens[]) => list.reduce(addTokens, NO_TOKENS);

/** A table row's token cells as counts. */
function tableTokens(row: Record<string, string>): Tokens {
  return {
    input: Number(row.INPUT),
    output: Number(row.OUTPUT),
    cacheRead: Number(row["CACHE READ"]),
    cacheWrite: Number(row["CACHE WRITE"]),
    reasoning: Number(row.REASONING),
  };
}

Deno.test("every client and upstream dialect, plain and streamed: one exact row each, summed by `subgate usage`, kept across a restart", () =>
  withWorld(async ({ home, server, upstream }) => {
    const expected: {
      client: UpstreamDialect;
      upstream: UpstreamDialect;
      stream: boolean;
      tokens: Tokens;
    }[] = [];
    for (const client of DIALECTS) {
      for (const target of DIALECTS) {
        for (const stream of [false, true]) {
          // Plain answers and streams of each upstream, one with cache reads in its usage.
          const body = stream
            ? target === "anthropic" && client !== "anthropic"
              ? chunksAsSse("anthropic-messages", "anthropic-issue-5942-cache-read.chunks.txt")
              : CAPTURES.textStream[target]().body
            : CAPTURES.text[target]().body;
          upstream.answer(target, { body });
          const response = await fetch(request(server.url, client, MODELS[target].alias, stream));
          assertEquals(response.status, 200, `${client} → ${target}`);
          await response.text();
          expected.push({ client, upstream: target, stream, tokens: reportedTokens(target, body) });
        }
      }
    }
    assertEquals(upstream.violations, []);
    // Refused before routing: no rows.
    const refused = await fetch(`${server.url}/v1/chat/completions`, {
      method: "POST",
      headers: { authorization: `Bearer ${KEY}` },
      body: "{not json",
    });
    assertEquals(refused.status, 400);
    await refused.body?.cancel();
    const wrongKey = await fetch(`${server.url}/v1/messages`, {
      method: "POST",
      headers: { "x-api-key": "not-the-key", "anthropic-version": "2023-06-01" },
      body: JSON.stringify({ model: MODELS.anthropic.alias, max_tokens: 8, messages: [] }),
    });
    assertEquals(wrongKey.status, 401);
    await wrongKey.body?.cancel();

    // Written in the background within a few seconds, readable while the server runs.
    await eventually(
      async () => (await ledgerRows(home).catch(() => [])).length >= expected.length,
      6000,
      "the ledger's rows",
    );
    const rows = await ledgerRows(home);
    assertEquals(rows.length, expected.length, "one row per routed request, none refused");
    for (const want of expected) {
      const what = `${want.client} → ${want.upstream}${want.stream ? " (stream)" : ""}`;
      const row = rows.find((r) =>
        r.clientDialect === want.client && r.upstreamDialect === want.upstream &&
        r.stream === want.stream
      );
      assert(row, `a row for ${what}`);
      assertEquals(rowTokens(row), want.tokens, what);
      assertEquals(row.status, 200, what);
      assertEquals(row.action, "generate");
      assertEquals(row.requestedModel, MODELS[want.upstream].alias);
      assertEquals(row.servedModel, MODELS[want.upstream].upstream);
      assert(row.accountId && row.accountLabel && row.provider, `${what}: the account`);
      assert(row.latencyMs >= (row.firstByteMs ?? 0) && (row.firstByteMs ?? 0) >= 0, what);
      // A plain-string key is named by its place in api-keys, never by the key itself.
      assertEquals(row.clientKey, "key-1");
    }
    assert(!JSON.stringify(rows).includes(KEY), "the client key is never stored");
    if (Deno.build.os !== "windows") {
      for (const file of ["usage.db", "usage.db-wal", "usage.db-shm"]) {
        const mode = (await Deno.stat(`${home}/.subgate/${file}`)).mode! & 0o777;
        assertEquals(mode.toString(8), "600", `${file} is the user's alone`);
      }
    }

    // The table sums the same numbers, per model and in total.
    const byModel = await runSubgate(["usage", "--since", "1h", "--by", "model"], { home });
    assertEquals(byModel.code, 0, byModel.stderr);
    const table = parseUsageTable(byModel.stdout);
    for (const target of DIALECTS) {
      const wanted = expected.filter((e) => e.upstream === target);
      const row = table.find((r) => r.MODEL === MODELS[target].upstream);
      assert(row, `${MODELS[target].upstream} in:\n${byModel.stdout}`);
      assertEquals(Number(row.REQUESTS), wanted.length);
      assertEquals(Number(row.ERRORS), 0);
      assertEquals(tableTokens(row), sumOf(wanted.map((e) => e.tokens)), target);
    }
    const total = table.find((r) => r.MODEL === "TOTAL")!;
    assertEquals(tableTokens(total), sumOf(expected.map((e) => e.tokens)));
    assertEquals(Number(total.REQUESTS), expected.length);

    // A restart: the figures are still there, and new requests add to them.
    await server.stop();
    const again = await startSubgate([], { home });
    try {
      upstream.answer("openai-chat", { body: CAPTURES.text["openai-chat"]().body });
      const one = await fetch(
        request(again.url, "openai-chat", MODELS["openai-chat"].alias, false),
      );
      await one.text();
      await eventually(
        async () => (await ledgerRows(home)).length === expected.length + 1,
        6000,
        "the new row",
      );
      const byProvider = await runSubgate(["usage", "--by", "provider"], { home });
      assertEquals(byProvider.code, 0, byProvider.stderr);
      const after = parseUsageTable(byProvider.stdout).find((r) => r.PROVIDER === "TOTAL")!;
      assertEquals(Number(after.REQUESTS), expected.length + 1);
      assertEquals(
        tableTokens(after),
        addTokens(
          sumOf(expected.map((e) => e.tokens)),
          reportedTokens("openai-chat", CAPTURES.text["openai-chat"]().body),
        ),
      );
    } finally {
      await again.stop();
    }
  }));

/** SSE text of `events` as `dialect` sends them (as `chunksAsSse` writes a capture). */
function asSse(dialect: UpstreamDialect, events: Record<string, unknown>[]): string {
  const named = dialect === "anthropic" || dialect === "openai-responses";
  let text = "";
  for (const event of events) {
    text += (named ? `event: ${event.type}\n` : "") + `data: ${JSON.stringify(event)}\n\n`;
  }
  return dialect === "openai-chat" ? text + "data: [DONE]\n\n" : text;
}

type Json = Record<string, unknown>;

/**
 * A real capture made long: its first content event repeated until the stream is 300 KB, so
 * the usage at its start and end lies far apart; the Responses API's closing event (which
 * repeats the answer) made 200 KB long itself.
 */
function longStream(dialect: UpstreamDialect, closing = 210_000): string {
  const files: Record<UpstreamDialect, [Parameters<typeof readChunks>[0], string]> = {
    anthropic: ["anthropic-messages", "anthropic-text.chunks.txt"],
    "openai-chat": ["openai-chat", "openai-text.chunks.txt"],
    "openai-responses": ["openai-responses", "openai-pdf-input-file.1.chunks.txt"],
    gemini: ["gemini", "google-text.chunks.txt"],
  };
  const events = readChunks(...files[dialect]);
  const isContent = (event: Json) => {
    switch (dialect) {
      case "anthropic":
        return event.type === "content_block_delta";
      case "openai-chat":
        return typeof ((event.choices as Json[])?.[0]?.delta as Json | undefined)?.content ===
          "string";
      case "openai-responses":
        return event.type === "response.output_text.delta";
      case "gemini":
        return event !== events.at(-1);
    }
  };
  // The first content event, repeated to about 300 KB.
  const first = events.findIndex(isContent);
  const copies = Math.ceil(300_000 / JSON.stringify(events[first]).length);
  const long = [
    ...events.slice(0, first),
    ...Array.from({ length: copies }, () => events[first]),
    ...events.slice(first + 1),
  ];
  if (dialect === "openai-responses") {
    const completed = long.at(-1)!;
    const output = (completed.response as Json).output as Json[];
    (output[0].content as Json[])[0].text = "A long answer. ".repeat(closing / 15);
    (completed.response as Json).usage = {
      input_tokens: 1234,
      input_tokens_details: { cached_tokens: 1000 },
      output_tokens: 5678,
      output_tokens_details: { reasoning_tokens: 90 },
      total_tokens: 6912,
    };
  }
  return asSse(dialect, long);
}

const ANTHROPIC_START = asSse("anthropic", [
  {
    type: "message_start",
    message: {
      id: "msg_cut",
      type: "message",
      role: "assistant",
      model: "claude-fault",
      content: [],
      stop_reason: null,
      usage: { input_tokens: 25, cache_read_input_tokens: 100, output_tokens: 1 },
    },
  },
  { type: "content_block_start", index: 0, content_block: { type: "text", text: "" } },
  { type: "content_block_delta", index: 0, delta: { type: "text_delta", text: "Hel" } },
]);
const CUT_TOKENS: Tokens = { input: 125, output: 1, cacheRead: 100, cacheWrite: 0, reasoning: 0 };
const DELTA = asSse("anthropic", [
  { type: "content_block_delta", index: 0, delta: { type: "text_delta", text: "lo" } },
]);

Deno.test("long passthrough streams, cut streams, clients that leave and token counts: each row says what happened", () =>
  withWorld(async ({ home, server, upstream, fault }) => {
    const before = (await ledgerRows(home).catch(() => [])).length;
    // Passthrough streams hundreds of KB long: usage read from their first and last events only.
    const long = new Map<UpstreamDialect, Tokens>();
    for (const dialect of DIALECTS) {
      const body = longStream(dialect);
      assert(body.length > 200_000, `${dialect}: ${body.length} bytes`);
      upstream.answer(dialect, { body });
      const response = await fetch(request(server.url, dialect, MODELS[dialect].alias, true));
      assertEquals(await response.text(), body, `${dialect}: passed through untouched`);
      long.set(dialect, reportedTokens(dialect, body));
    }
    assertEquals(long.get("openai-responses")!.input, 1234);
    // A closing event past sse-event-limit is passed on, but not kept to be read.
    const huge = longStream("openai-responses", 3_000_000);
    upstream.answer("openai-responses", { body: huge });
    const hugeAnswer = await fetch(request(server.url, "openai-responses", "via-responses", true));
    assertEquals((await hugeAnswer.text()).length, huge.length);

    // The upstream breaks off mid-stream: passed through (Anthropic) and translated (Chat).
    fault.fail("sk-fault", { status: 200, dropAfter: ANTHROPIC_START }, 2);
    const cut = await fetch(request(server.url, "anthropic", FAULT_MODEL, true));
    assertEquals(cut.status, 200);
    await cut.text().catch(() => "");
    const cutChat = await fetch(request(server.url, "openai-chat", FAULT_MODEL, true));
    assertMatch(await cutChat.text(), /error/);

    // The client leaves after the first bytes, passed through and translated.
    for (const client of ["anthropic", "openai-responses"] as const) {
      fault.fail("sk-fault", { status: 200, trickle: { first: ANTHROPIC_START, then: DELTA } });
      const left = await fetch(request(server.url, client, FAULT_MODEL, true));
      const reader = left.body!.getReader();
      await reader.read();
      await reader.cancel();
      const gone = client === "anthropic" ? 1 : 2;
      await eventually(() => Promise.resolve(fault.cancelled.length === gone));
    }

    // A token count: recorded as such, with no usage.
    upstream.answer("anthropic", { body: `{"input_tokens":42}` });
    const counted = await fetch(`${server.url}/v1/messages/count_tokens`, {
      method: "POST",
      headers: { "x-api-key": KEY, "anthropic-version": "2023-06-01" },
      body: JSON.stringify({
        model: MODELS.anthropic.alias,
        messages: [{ role: "user", content: "hi" }],
      }),
    });
    assertEquals(await counted.json(), { input_tokens: 42 });

    // A rate limit: the upstream's 429 on its account, then the pool's own for a resting model.
    fault.fail("sk-fault", { status: 429, headers: { "retry-after": "60" } });
    for (let i = 0; i < 2; i++) {
      const limited = await fetch(request(server.url, "openai-chat", FAULT_MODEL, false));
      assertEquals(limited.status, 429);
      await limited.body?.cancel();
    }

    await eventually(
      async () => (await ledgerRows(home).catch(() => [])).length >= before + 12,
      6000,
      "the rows",
    );
    const rows = (await ledgerRows(home)).slice(before);
    assertEquals(rows.length, 12);
    for (const [index, dialect] of DIALECTS.entries()) {
      assertEquals(rows[index].status, 200, dialect);
      assertEquals(rowTokens(rows[index]), long.get(dialect), `${dialect}: long stream`);
    }
    const [
      cutPassthrough,
      cutTranslated,
      leftPassthrough,
      leftTranslated,
      count,
      upstream429,
      own429,
    ] = rows.slice(5);
    assertEquals([rows[4].status, rows[4].inputTokens], [200, undefined], "a huge event unread");
    for (const [row, what] of [[cutPassthrough, "passthrough"], [cutTranslated, "translated"]]) {
      const ledger = row as (typeof rows)[number];
      assertEquals(ledger.status, 502, `a cut ${what} stream`);
      assertMatch(ledger.error ?? "", /broke off|failed/);
      assertEquals(rowTokens(ledger), CUT_TOKENS, `a cut ${what} stream keeps what it had`);
    }
    assertEquals([cutPassthrough.upstreamDialect, cutTranslated.clientDialect], [
      "anthropic",
      "openai-chat",
    ]);
    for (const row of [leftPassthrough, leftTranslated]) {
      assertEquals(row.status, 499, `${row.clientDialect}: the client left`);
      assertEquals(rowTokens(row), CUT_TOKENS, `${row.clientDialect}: what it had`);
      assert(row.firstByteMs !== undefined, "its first byte went out");
    }
    assertEquals(count.action, "count-tokens");
    assertEquals(count.status, 200);
    assertEquals(count.inputTokens, undefined, "a count is no usage");
    assertEquals([upstream429.status, upstream429.accountLabel !== undefined], [429, true]);
    assertEquals([own429.status, own429.accountId], [429, undefined], "no account was tried");
    assertMatch(own429.error ?? "", /resting/);

    // Errors in the table: the cut streams and the 429s (a client that left is no error).
    const table = parseUsageTable(
      (await runSubgate(["usage", "--since", "30m", "--by", "model"], { home })).stdout,
    );
    const faulty = table.find((row) => row.MODEL === "claude-fault")!;
    assertEquals([faulty.REQUESTS, faulty.ERRORS], ["5", "3"]);
    // The pool's own 429 had no account, so no served model: it counts under the name asked for.
    const asked = table.find((row) => row.MODEL === FAULT_MODEL)!;
    assertEquals([asked.REQUESTS, asked.ERRORS], ["1", "1"]);
  }));

Deno.test("`subgate usage` refuses bad flags with exit 2, and says so when nothing is recorded", () =>
  withTempHome(async (home) => {
    for (
      const args of [
        ["usage", "--since", "7"],
        ["usage", "--since", "yesterday"],
        ["usage", "--since", "0d"],
        ["usage", "--by", "colour"],
        ["usage", "extra"],
        ["accounts", "--since", "7d"],
      ]
    ) {
      const result = await runSubgate(args, { home });
      assertEquals(result.code, 2, args.join(" "));
      assertMatch(result.stderr, /^subgate: /);
    }
    const empty = await runSubgate(["usage", "--since", "24h", "--by", "key"], { home });
    assertEquals(empty.code, 0, empty.stderr);
    assertMatch(empty.stdout, /No usage recorded yet/);
    // A file the server could create but not fill (a full disk) reads as an empty ledger.
    await Deno.mkdir(`${home}/.subgate`, { recursive: true });
    await Deno.writeFile(ledgerPath(home), new Uint8Array());
    const blank = await runSubgate(["usage"], { home });
    assertEquals(blank.code, 0, blank.stderr);
    assertMatch(blank.stdout, /No requests\./);
    const help = await runSubgate(["--help"], { home });
    assertMatch(help.stdout, /subgate usage \[--since 7d\] \[--by account\|model\|key\|provider\]/);
  }));

Deno.test("rows past usage.retention are pruned when the server starts; their hourly sums still count", () =>
  withTempHome(async (home) => {
    await Deno.mkdir(`${home}/.subgate`, { recursive: true });
    await Deno.writeTextFile(`${home}/.subgate/config.yaml`, "usage:\n  retention: 2d\n");
    // A ledger with two rows from three days ago and one from twenty minutes ago.
    const now = Date.now();
    const row = (at: number, input: number) => ({
      at,
      accountId: "file:claude-ada.json",
      accountLabel: "ada@example.com",
      provider: "claude",
      requestedModel: "sonnet",
      servedModel: "claude-sonnet-4-6",
      clientDialect: "anthropic",
      upstreamDialect: "anthropic",
      action: "generate",
      status: 200,
      latencyMs: 900,
      stream: true,
      inputTokens: input,
      outputTokens: 10,
    });
    const old = Math.floor((now - 3 * 86400_000) / 3600_000) * 3600_000 + 600_000;
    const store = openSqliteStore(ledgerPath(home));
    await store.append([row(old, 100), row(old + 60_000, 200)]);
    await store.append([row(now - 20 * 60_000, 7)]);
    await store.close();

    const server = await startSubgate([], { home });
    try {
      await eventually(async () => (await ledgerRows(home)).length === 1, 5000, "the prune");
      const inputs = async (since: string) => {
        const result = await runSubgate(["usage", "--since", since], { home });
        assertEquals(result.code, 0, result.stderr);
        const table = parseUsageTable(result.stdout);
        const total = table.find((r) => r.ACCOUNT === "TOTAL");
        return total && [Number(total.REQUESTS), Number(total.INPUT)];
      };
      assertEquals(await inputs("7d"), [3, 307], "old rows counted from the hourly sums");
      assertEquals(await inputs("2d"), [1, 7]);
      assertEquals(await inputs("30m"), [1, 7]);
      assertEquals(await inputs("10m"), undefined, "nothing in the last 10 minutes");
      const table = parseUsageTable(
        (await runSubgate(["usage", "--since", "7d"], { home })).stdout,
      );
      assertEquals(table[0].ACCOUNT, "ada@example.com");
      assertEquals(table[0].PROVIDER, "claude");

      // The store's buckets (for a management API): per hour and per UTC day.
      const reader = openSqliteStore(ledgerPath(home), { readOnly: true });
      try {
        const range = { from: now - 7 * 86400_000, to: Date.now(), group: "model" as const };
        for (const bucket of ["hour", "day"] as const) {
          const sums = await reader.totals({ ...range, bucket });
          assertEquals(sums.map((s) => [s.group, s.requests, s.inputTokens]), [
            ["claude-sonnet-4-6", 2, 300],
            ["claude-sonnet-4-6", 1, 7],
          ], bucket);
          const size = bucket === "hour" ? 3600_000 : 86400_000;
          assertEquals(sums[0].bucket, Math.floor(old / size) * size);
        }
      } finally {
        await reader.close();
      }
    } finally {
      await server.stop();
    }
  }));

Deno.test("the ledger's own reads (for a management API) include what it has not written yet", () =>
  withTempHome(async (home) => {
    const lines: string[] = [];
    const ledger = createLedger({
      open: () => openSqliteStore(`${home}/usage.db`),
      log: createLogger("info", (line) => lines.push(line)),
      retentionSeconds: () => 86400,
      where: `${home}/usage.db`,
      flushMs: 60_000,
    });
    const at = Date.now();
    for (const [key, input] of [["ci", 10], ["ci", 20], ["laptop", 5]] as const) {
      ledger.record({
        at,
        clientKey: key,
        action: "generate",
        requestedModel: "gpt-5.4",
        clientDialect: "openai-responses",
        status: 200,
        stream: false,
        latencyMs: 5,
        usage: { inputTokens: input, outputTokens: 1 },
      });
    }
    const byKey = await ledger.totals({ from: at - 1000, to: at + 1000, group: "key" });
    assertEquals(byKey.map((t) => [t.group, t.requests, t.inputTokens]), [
      ["ci", 2, 30],
      ["laptop", 1, 5],
    ]);
    assertEquals((await ledger.recent(1))[0].clientKey, "laptop");
    await ledger.close();
    assertEquals(lines, [], "nothing to say");
    const closed = await ledger.totals({ from: 0, to: at }).then(() => "read", () => "refused");
    assertEquals(closed, "refused");
  }));

Deno.test("a database locked by another program: one warning, requests served, the rows written once it is free", () =>
  withWorld(async ({ home, server }) => {
    const ask = async () => {
      const response = await fetch(request(server.url, "anthropic", FAULT_MODEL, false));
      assertEquals(response.status, 200);
      await response.text();
    };
    await ask();
    await eventually(async () => (await ledgerRows(home)).length === 1, 5000, "the first row");
    const { DatabaseSync } = await import("node:sqlite");
    const other = new DatabaseSync(ledgerPath(home));
    other.exec("BEGIN EXCLUSIVE");
    try {
      for (let i = 0; i < 3; i++) await ask();
      await server.waitForLog(/usage ledger cannot write.*reason="database is locked"/, 5000);
    } finally {
      other.exec("ROLLBACK");
      other.close();
    }
    await server.waitForLog(/usage ledger writing again.* lost=0/, 5000);
    assertEquals((await ledgerRows(home)).length, 4);
  }));
