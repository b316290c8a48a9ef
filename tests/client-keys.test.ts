/**
 * Named client keys as a client meets them: plain and object entries, a key given only by its
 * SHA-256, the key's name in the request log, a model outside the key's allowlist (403), each
 * limit's 429 with `retry-after` in each client's error shape, an expired key, keys created
 * through the functions the management API calls (stored hashed, live at once, refused once
 * revoked), and the config's problems with key entries.
 */
import { createHash } from "node:crypto";
import { Anthropic, GoogleGenAI, OpenAI } from "./helpers/npm.ts";
import { assert, assertEquals, assertMatch } from "./helpers/assert.ts";
import { type ModelUpstream, startModelUpstream } from "./helpers/model-upstream.ts";
import {
  eventually,
  type RunningSubgate,
  runSubgate,
  startSubgate,
  withTempHome,
} from "./helpers/subgate-process.ts";
import { createClientKeys } from "../src/keys/client-keys.ts";
import { defaultConfig } from "../src/config/defaults.ts";
import { parseConfigText } from "../src/config/load-config.ts";
import { createLogger } from "../src/log/logger.ts";

const sha256 = (text: string) => createHash("sha256").update(text).digest("hex");

const KEYS = {
  plain: "plain-client-key-0123456789",
  ci: "sg-ci-key-0123456789abcdef",
  hashed: "sg-hashed-key-0123456789abcdef",
  minute: "sg-minute-key-0123456789abcdef",
  daily: "sg-daily-key-0123456789abcdef",
  tokens: "sg-tokens-key-0123456789abcdef",
  old: "sg-old-key-0123456789abcdef",
  future: "sg-future-key-0123456789abcdef",
};

const CONFIG = [
  "api-keys:",
  `  - ${KEYS.plain}`,
  "  - name: ci",
  `    key: ${KEYS.ci}`,
  '    models: ["claude-sonnet-*", "claude-haiku-4-5"]',
  "  - name: hashed",
  `    key-sha256: ${sha256(KEYS.hashed).toUpperCase()}`,
  "  - name: minute",
  `    key: ${KEYS.minute}`,
  "    limits: {requests-per-minute: 2}",
  "  - name: daily",
  `    key: ${KEYS.daily}`,
  "    limits: {requests-per-day: 1}",
  "  - name: tokens",
  `    key: ${KEYS.tokens}`,
  "    limits: {tokens-per-day: 1}",
  "  - name: old",
  `    key: ${KEYS.old}`,
  "    expires: 2020-01-01",
  "  - name: future",
  `    key: ${KEYS.future}`,
  "    expires: 2999-01-01T00:00:00+02:00",
].join("\n");

type Shape = "openai" | "anthropic" | "gemini";
const SHAPES: Shape[] = ["openai", "anthropic", "gemini"];

/** One generation request in `shape`'s dialect, with the key where its clients put it. */
async function generate(server: RunningSubgate, shape: Shape, key: string, model: string) {
  const request: { path: string; headers: Record<string, string>; body: unknown } =
    shape === "openai"
      ? {
        path: "/v1/chat/completions",
        headers: { authorization: `Bearer ${key}` },
        body: { model, messages: [{ role: "user", content: "hi" }] },
      }
      : shape === "anthropic"
      ? {
        path: "/v1/messages",
        headers: { "x-api-key": key, "anthropic-version": "2023-06-01" },
        body: { model, max_tokens: 16, messages: [{ role: "user", content: "hi" }] },
      }
      : {
        path: `/v1beta/models/${model}:generateContent`,
        headers: { "x-goog-api-key": key },
        body: { contents: [{ role: "user", parts: [{ text: "hi" }] }] },
      };
  const response = await fetch(`${server.url}${request.path}`, {
    method: "POST",
    headers: { "content-type": "application/json", ...request.headers },
    body: JSON.stringify(request.body),
  });
  const text = await response.text();
  return {
    status: response.status,
    headers: response.headers,
    body: text ? JSON.parse(text) : null,
  };
}

/** The error's type in its shape, and its message. */
function errorOf(shape: Shape, body: Record<string, Record<string, string>>) {
  return shape === "gemini"
    ? { type: body.error.status, message: body.error.message }
    : { type: body.error.type, message: body.error.message };
}

const MODEL = "claude-sonnet-4-6";

async function withKeysServer(
  fn: (server: RunningSubgate, upstream: ModelUpstream, home: string) => Promise<void>,
  options: { config?: string; args?: string[]; prepare?: (authDir: string) => Promise<void> } = {},
) {
  const upstream = startModelUpstream({ knows: (m) => m.startsWith("claude-"), list: [MODEL] });
  try {
    await withTempHome(async (home) => {
      const authDir = `${home}/.subgate`;
      await Deno.mkdir(authDir, { mode: 0o700 });
      await options.prepare?.(authDir);
      await Deno.writeTextFile(
        `${authDir}/config.yaml`,
        `${options.config ?? CONFIG}\nclaude-api-key:\n  - api-key: ant-key\n` +
          `    base-url: ${upstream.url}\n`,
      );
      const server = await startSubgate(options.args ?? [], { home });
      try {
        await fn(server, upstream, home);
      } finally {
        await server.stop();
      }
    });
  } finally {
    await upstream.close();
  }
}

/** Waits until at least `marginMs` are left before the minute (and so the UTC day) turns. */
async function clearOfTheMinuteTurn(marginMs = 10_000) {
  const left = 60_000 - Date.now() % 60_000;
  if (left < marginMs) await new Promise((resolve) => setTimeout(resolve, left + 200));
}

Deno.test("plain and object keys, and a key given by its SHA-256, all work; the log names each", () =>
  withKeysServer(async (server) => {
    for (const [key, name] of [[KEYS.plain, "key-1"], [KEYS.ci, "ci"], [KEYS.hashed, "hashed"]]) {
      const answer = await generate(server, "anthropic", key, MODEL);
      assertEquals(answer.status, 200, JSON.stringify(answer.body));
      // The pipeline knows the key by its name: the request's log line says it.
      await server.waitForLog(new RegExp(`INFO  request .*model=${MODEL} key=${name} `));
    }
    const future = await generate(server, "openai", KEYS.future, MODEL);
    assertEquals(future.status, 200);
    const log = server.log();
    for (const key of Object.values(KEYS)) assert(!log.includes(key), "no key is logged");
    assert(!log.includes(sha256(KEYS.hashed)), "no key hash is logged");
  }));

Deno.test("a model outside the key's allowlist gets 403 in each shape, naming the key and its patterns", () =>
  withKeysServer(async (server, upstream) => {
    const expected = {
      openai: "permission_error",
      anthropic: "permission_error",
      gemini: "PERMISSION_DENIED",
    };
    for (const shape of SHAPES) {
      const refused = await generate(server, shape, KEYS.ci, "claude-opus-4-6");
      assertEquals(refused.status, 403, shape);
      const error = errorOf(shape, refused.body);
      assertEquals(error.type, expected[shape]);
      assertEquals(
        error.message,
        "The client key 'ci' may not use the model 'claude-opus-4-6'; its models: " +
          "claude-sonnet-*, claude-haiku-4-5.",
      );
    }
    assertEquals(upstream.calls.length, 0, "a refused request never reaches an upstream");
    await server.waitForLog(
      /request refused .*dialect=gemini key=ci model=claude-opus-4-6 status=403/,
    );
    // Allowed: by pattern, by name, and behind a provider pin.
    for (const model of [MODEL, "claude-haiku-4-5", `claude/${MODEL}`]) {
      assertEquals((await generate(server, "openai", KEYS.ci, model)).status, 200, model);
    }
  }));

Deno.test("requests-per-minute: 429 with retry-after until the minute turns, in each shape and SDK", () =>
  withKeysServer(async (server) => {
    await clearOfTheMinuteTurn();
    assertEquals((await generate(server, "openai", KEYS.minute, MODEL)).status, 200);
    assertEquals((await generate(server, "anthropic", KEYS.minute, MODEL)).status, 200);
    const expected = {
      openai: "rate_limit_error",
      anthropic: "rate_limit_error",
      gemini: "RESOURCE_EXHAUSTED",
    };
    for (const shape of SHAPES) {
      const refused = await generate(server, shape, KEYS.minute, MODEL);
      assertEquals(refused.status, 429, shape);
      const retryAfter = Number(refused.headers.get("retry-after"));
      const untilTurn = Math.ceil((60_000 - Date.now() % 60_000) / 1000);
      assert(retryAfter >= 1 && Math.abs(retryAfter - untilTurn) <= 2, `retry-after ${retryAfter}`);
      const error = errorOf(shape, refused.body);
      assertEquals(error.type, expected[shape]);
      assertMatch(
        error.message,
        /^The client key 'minute' reached its requests-per-minute limit of 2; it resets when the minute turns, in \d+ s\.$/,
      );
    }
    // The SDKs see their own rate-limit errors.
    const openai = new OpenAI({ apiKey: KEYS.minute, baseURL: `${server.url}/v1`, maxRetries: 0 });
    const openaiError = await openai.chat.completions.create({
      model: MODEL,
      messages: [{ role: "user", content: "hi" }],
    }).then(() => undefined, (e) => e);
    assert(openaiError instanceof OpenAI.RateLimitError, String(openaiError));
    const anthropic = new Anthropic({ apiKey: KEYS.minute, baseURL: server.url, maxRetries: 0 });
    const anthropicError = await anthropic.messages.create({
      model: MODEL,
      max_tokens: 16,
      messages: [{ role: "user", content: "hi" }],
    }).then(() => undefined, (e) => e);
    assert(anthropicError instanceof Anthropic.RateLimitError, String(anthropicError));
    const google = new GoogleGenAI({ apiKey: KEYS.minute, httpOptions: { baseUrl: server.url } });
    const googleError = await google.models.generateContent({ model: MODEL, contents: "hi" })
      .then(() => undefined, (e) => e);
    assertEquals(googleError?.status, 429, String(googleError));
    assertMatch(googleError.message, /requests-per-minute limit of 2/);
    // Other keys are not held back; token counts are not generation, so they pass.
    assertEquals((await generate(server, "openai", KEYS.plain, MODEL)).status, 200);
    const count = await fetch(`${server.url}/v1/messages/count_tokens`, {
      method: "POST",
      headers: { "x-api-key": KEYS.minute, "anthropic-version": "2023-06-01" },
      body: JSON.stringify({ model: MODEL, messages: [{ role: "user", content: "hi" }] }),
    });
    await count.body?.cancel();
    assert(count.status !== 429, "a token count is not held back by the limit");
    for (const key of Object.values(KEYS)) assert(!server.log().includes(key), "no key is logged");
  }));

Deno.test("requests-per-day: 429 with retry-after until the UTC day turns, in each shape", () =>
  withKeysServer(async (server) => {
    await clearOfTheMinuteTurn();
    assertEquals((await generate(server, "gemini", KEYS.daily, MODEL)).status, 200);
    for (const shape of SHAPES) {
      const refused = await generate(server, shape, KEYS.daily, MODEL);
      assertEquals(refused.status, 429, shape);
      const untilMidnight = Math.ceil((86_400_000 - Date.now() % 86_400_000) / 1000);
      const retryAfter = Number(refused.headers.get("retry-after"));
      assert(Math.abs(retryAfter - untilMidnight) <= 2, `retry-after ${retryAfter}`);
      assertMatch(
        errorOf(shape, refused.body).message,
        /^The client key 'daily' reached its requests-per-day limit of 1; it resets when the day turns \(UTC\), in \d+ s\.$/,
      );
    }
  }));

Deno.test({
  name:
    "tokens-per-day: the day's tokens come from what requests used; over them, 429 in each shape",
  // Tokens are counted from the requests the pipeline reports as ended (`hooks.ended`, with the
  // upstream's usage).
}, () =>
  withKeysServer(async (server) => {
    await clearOfTheMinuteTurn();
    // Admitted while under the limit; its tokens take the day over it.
    assertEquals((await generate(server, "anthropic", KEYS.tokens, MODEL)).status, 200);
    await eventually(
      async () => (await generate(server, "openai", KEYS.tokens, MODEL)).status === 429,
      3000,
      "the first request's tokens to count",
    );
    for (const shape of SHAPES) {
      const refused = await generate(server, shape, KEYS.tokens, MODEL);
      assertEquals(refused.status, 429, shape);
      assert(Number(refused.headers.get("retry-after")) > 0);
      assertMatch(
        errorOf(shape, refused.body).message,
        /^The client key 'tokens' reached its tokens-per-day limit of 1; it resets when the day turns \(UTC\)/,
      );
    }
  }));

Deno.test("an expired key gets 401 saying so, in each shape", () =>
  withKeysServer(async (server, upstream) => {
    const expected = {
      openai: "authentication_error",
      anthropic: "authentication_error",
      gemini: "UNAUTHENTICATED",
    };
    for (const shape of SHAPES) {
      const refused = await generate(server, shape, KEYS.old, MODEL);
      assertEquals(refused.status, 401, shape);
      const error = errorOf(shape, refused.body);
      assertEquals(error.type, expected[shape]);
      assertEquals(error.message, "The client key 'old' expired at 2020-01-01T00:00:00.000Z.");
    }
    const models = await fetch(`${server.url}/v1/models`, { headers: { "x-api-key": KEYS.old } });
    await models.body?.cancel();
    assertEquals(models.status, 401);
    assertEquals(upstream.calls.length, 0);
  }));

/**
 * The functions the management API calls, run in this process on the server's auth dir with the
 * server's config.
 */
async function keysIn(authDir: string, exposed = false) {
  const file = `${authDir}/config.yaml`;
  const text = await Deno.readTextFile(file).catch(() => undefined);
  const config = text === undefined
    ? { ...defaultConfig(), authDir }
    : parseConfigText(text, file, { authDir }).config;
  return await createClientKeys({
    config: () => config,
    log: createLogger("error"),
    exposed: () => exposed,
  });
}

Deno.test("keys created through the API work at once, are stored hashed, and a revoked one is refused", () =>
  withKeysServer(async (server, _upstream, home) => {
    const authDir = `${home}/.subgate`;
    const keys = await keysIn(authDir);
    try {
      const created = await keys.createKey({
        name: "laptop",
        models: ["claude-*"],
        limits: { requestsPerDay: 100 },
        expires: "2999-12-31",
      });
      assertMatch(created.key, /^sg-[A-Za-z0-9_-]{43}$/);
      assertEquals(created.record.prefix, `sg-…${created.key.slice(-4)}`);

      const file = await Deno.readTextFile(`${authDir}/keys.json`);
      assert(!file.includes(created.key), "keys.json holds no key");
      assert(!file.includes(created.key.slice(3, 40)), "nor any long part of it");
      assert(file.includes(sha256(created.key)), "only its SHA-256");
      if (Deno.build.os !== "windows") {
        assertEquals((await Deno.stat(`${authDir}/keys.json`)).mode! & 0o777, 0o600);
      }

      // The running server takes it up without a restart.
      await eventually(
        async () => (await generate(server, "anthropic", created.key, MODEL)).status === 200,
        3000,
        "the created key to work",
      );
      await server.waitForLog(new RegExp(`INFO  request .*key=laptop `));
      const forbidden = await generate(server, "openai", created.key, "gpt-5");
      assertEquals(forbidden.status, 403);
      assertMatch(forbidden.body.error.message, /'laptop' may not use the model 'gpt-5'/);

      // The same name twice, a reserved or unsafe name, a past expiry: refused with a reason.
      for (
        const [spec, message] of [
          [{ name: "laptop" }, /already exists/],
          [{ name: "key-2" }, /reserved for the config's plain keys/],
          [{ name: "ci" }, /already exists/],
          [{ name: "a b" }, /name: must be 1 to 64 letters/],
          [{ name: "x", expires: "2020-01-01" }, /expires: must be in the future/],
          [
            { name: "x", limits: { requestsPerMinute: 0 } },
            /limits\.requests-per-minute: must be a whole/,
          ],
        ] as const
      ) {
        const error = await keys.createKey(spec).then(() => undefined, (e) => e);
        assertMatch(String(error?.message), message, spec.name);
      }

      const listed = keys.listKeys();
      const laptop = listed.find((key) => key.name === "laptop");
      assertEquals(laptop?.source, "api");
      assertEquals(laptop?.limits, { requestsPerDay: 100 });
      assertEquals(laptop?.expires, "2999-12-31T00:00:00.000Z");
      assert(laptop?.created, "created is listed");
      assertEquals(listed.find((key) => key.name === "key-1")?.source, "config");
      assertEquals(listed.find((key) => key.name === "hashed")?.prefix, undefined);
      const shown = JSON.stringify(listed);
      assert(!shown.includes(created.key) && !shown.includes(sha256(created.key)), shown);

      await keys.revokeKey("laptop");
      assert(!(await Deno.readTextFile(`${authDir}/keys.json`)).includes(sha256(created.key)));
      await eventually(
        async () => (await generate(server, "anthropic", created.key, MODEL)).status === 401,
        3000,
        "the revoked key to be refused",
      );
      const configKey = await keys.revokeKey("ci").then(() => undefined, (e) => e);
      assertMatch(String(configKey?.message), /defined in the config; remove it from api-keys/);
      assert(!server.log().includes(created.key), "the key is never logged");
    } finally {
      await keys.close();
    }
  }));

Deno.test("stored keys count as keys for listening beyond loopback; the last one cannot be revoked there", () =>
  withTempHome(async (home) => {
    const authDir = `${home}/.subgate`;
    await Deno.mkdir(authDir, { mode: 0o700 });
    const keys = await keysIn(authDir, true);
    try {
      const { key } = await keys.createKey({ name: "only" });
      const server = await startSubgate(["--host", "0.0.0.0"], { home });
      try {
        const url = server.url.replace("0.0.0.0", "127.0.0.1");
        const models = await fetch(`${url}/v1/models`, { headers: { "x-api-key": key } });
        await models.body?.cancel();
        assertEquals(models.status, 200);
        const error = await keys.revokeKey("only").then(() => undefined, (e) => e);
        assertMatch(String(error?.message), /'only' is the last client key while subgate listens/);
        // Removed behind its back, the server refuses everyone rather than serve anyone.
        await Deno.remove(`${authDir}/keys.json`);
        await eventually(
          async () => {
            const response = await fetch(`${url}/v1/models`);
            const body = await response.json();
            return response.status === 401 && /no client keys left/.test(body.error.message);
          },
          3000,
          "keyless requests to be refused",
        );
      } finally {
        await server.stop();
      }
    } finally {
      await keys.close();
    }
  }));

Deno.test("bad api-keys entries are named by key and line, never quoting a key", () =>
  withTempHome(async (home) => {
    const file = `${home}/keys.yaml`;
    await Deno.writeTextFile(
      file,
      [
        "api-keys:", //                                          line 1
        "  - sk-first-SECRET-0001", //                           line 2
        "  - name: both", //                                     line 3
        "    key: sk-second-SECRET-0002", //                     line 4
        "    key-sha256: " + "a".repeat(64), //                  line 5
        "  - name: neither", //                                  line 6
        "  - name: bad hash", //                                 line 7
        "    key-sha256: sk-third-SECRET-0003", //               line 8
        "  - name: sk-fourth-SECRET-0004", //                    line 9
        "    key: sk-fourth-SECRET-0004", //                     line 10
        "  - key: sk-fifth-SECRET-0005", //                      line 11
        "    limits: {requests-per-minute: 0, tokens-per-hour: 5}", // line 12
        "    expires: 2027-02-30", //                            line 13
        "    models: []", //                                     line 14
        "  - {name: key-1, key: sk-sixth-SECRET-0006}", //       line 15
        "  - sk-first-SECRET-0001", //                           line 16
        "  - 12345", //                                          line 17
      ].join("\n"),
    );
    const result = await runSubgate(["serve", "--config", file, "--port", "0"], { home });
    assertEquals(result.code, 1);
    const err = result.stderr;
    assertMatch(err, /line 3: api-keys\[1\]: needs exactly one of key and key-sha256/);
    assertMatch(err, /line 6: api-keys\[2\]: needs exactly one of key and key-sha256/);
    assertMatch(err, /line 7: api-keys\[3\]\.name: must be 1 to 64 letters, digits/);
    assertMatch(err, /line 8: api-keys\[3\]\.key-sha256: must be the hex SHA-256 of the key/);
    assertMatch(err, /line 12: api-keys\[5\]\.limits\.requests-per-minute: must be between 1 and/);
    assertMatch(err, /line 12: api-keys\[5\]\.limits\.tokens-per-hour: unknown key/);
    assertMatch(err, /line 13: api-keys\[5\]\.expires: must be an RFC 3339 date or date-time/);
    assertMatch(err, /line 17: api-keys\[8\]: must be a mapping of keys to values, found a number/);
    assert(!err.includes("12345"), "a key of digits is not quoted either");
    for (let n = 1; n <= 6; n++) assert(!err.includes(`SECRET-000${n}`), `key ${n} is not printed`);
    assert(!/listening on/.test(err));

    // With every entry valid on its own, the whole list is checked: names, keys, the name itself.
    await Deno.writeTextFile(
      file,
      [
        "api-keys:", //                                          line 1
        "  - sk-first-SECRET-0001", //                           line 2
        "  - name: same-as-key", //                              line 3
        "    key: same-as-key", //                               line 4
        "  - {name: key-1, key: sk-sixth-SECRET-0006}", //       line 5
        "  - sk-first-SECRET-0001", //                           line 6
        "  - {name: empty, key: sk-seventh-SECRET-0007, models: []}", // line 7
      ].join("\n"),
    );
    const second = await runSubgate(["serve", "--config", file, "--port", "0"], { home });
    assertEquals(second.code, 1);
    assertMatch(second.stderr, /line 3: api-keys\[1\]: name: must be a label, not the key itself/);
    assertMatch(second.stderr, /line 7: api-keys\[4\]: models: an empty list allows no model/);
    assert(!second.stderr.includes("same-as-key"), "a name that is the key is not quoted");
    for (let n = 1; n <= 7; n++) assert(!second.stderr.includes(`SECRET-000${n}`), `key ${n}`);

    await Deno.writeTextFile(
      file,
      [
        "api-keys:", //                                          line 1
        "  - sk-first-SECRET-0001", //                           line 2
        "  - {name: key-1, key: sk-sixth-SECRET-0006}", //       line 3
        "  - sk-first-SECRET-0001", //                           line 4
      ].join("\n"),
    );
    const third = await runSubgate(["serve", "--config", file, "--port", "0"], { home });
    assertEquals(third.code, 1);
    assertMatch(third.stderr, /line 3: api-keys\[1\]: name "key-1" is already api-keys\[0\]'s/);
    assertMatch(third.stderr, /line 4: api-keys\[2\]: the same key as api-keys\[0\]/);
    for (let n = 1; n <= 7; n++) assert(!third.stderr.includes(`SECRET-000${n}`), `key ${n}`);
  }));
