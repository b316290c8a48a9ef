/**
 * Requests subgate refuses itself: each answered with a 4xx in the client's
 * dialect (never a 500), and logged exactly once with method, path, dialect,
 * model when known, status and reason, and never the client's key. Also what
 * is not refused: compressed bodies, preflights and CORS.
 */
import { assert, assertEquals, assertMatch } from "./helpers/assert.ts";
import { readJsonFixture } from "./helpers/provider-fixtures.ts";
import { type ReplayUpstream, startReplayUpstream } from "./helpers/replay-upstream.ts";
import { type RunningSubgate, startSubgate, withTempHome } from "./helpers/subgate-process.ts";

const KEY = "sg-refusals-key-0123456789";
const WRONG_KEY = "sg-wrong-key-9876543210";
const ORIGIN = "http://localhost:3000";
const ANTHROPIC_OK = JSON.stringify(readJsonFixture("anthropic-messages", "anthropic-text.json"));

interface World {
  server: RunningSubgate;
  upstream: ReplayUpstream;
}

/** One subgate: an Anthropic API key on the replay upstream (model `via-anthropic`), a client key, a 1 MB body limit and CORS for one origin. */
function withWorld(fn: (world: World) => Promise<void>) {
  return withTempHome(async (home) => {
    const upstream = startReplayUpstream();
    await Deno.mkdir(`${home}/.subgate`, { recursive: true });
    await Deno.writeTextFile(
      `${home}/.subgate/config.yaml`,
      [
        `api-keys: ["${KEY}"]`,
        "body-limit: 1MB",
        "cors:",
        `  allow-origins: ["${ORIGIN}"]`,
        "claude-api-key:",
        "  - api-key: sk-ant-api03-upstream",
        `    base-url: ${upstream.url}`,
        "    models:",
        "      - name: claude-upstream",
        "        alias: via-anthropic",
      ].join("\n"),
    );
    const server = await startSubgate([], { home });
    try {
      await fn({ server, upstream });
      const log = server.log();
      assert(!log.includes(KEY) && !log.includes(WRONG_KEY), `a client key in the log:\n${log}`);
      assert(!/refusals-key|wrong-key/.test(log), "part of a client key in the log");
    } finally {
      await server.stop();
      await upstream.close();
    }
  });
}

const REFUSAL_LINE = / (INFO|WARN|ERROR) +request (refused|failed) /;

/** `key=value` fields of a log line, quoted values unquoted. */
function fieldsOf(line: string): Record<string, string> {
  const fields: Record<string, string> = {};
  const level = / (INFO|WARN|ERROR) /.exec(line);
  if (level) fields.level = level[1];
  for (const [, key, value] of line.matchAll(/ ([a-z]+)=("(?:[^"\\]|\\.)*"|\S+)/g)) {
    fields[key] = value.startsWith('"') ? JSON.parse(value) : value;
  }
  return fields;
}

interface Answer {
  status: number;
  headers: Headers;
  // deno-lint-ignore no-explicit-any -- three dialects' error shapes, asserted field by field
  body: any;
  /** The refusal lines logged for this request. */
  lines: Record<string, string>[];
}

/** Lines a request adds arrive with the next flush; a second one would be written with the first. */
async function linesAfter(server: RunningSubgate, from: number, expectOne: boolean) {
  const refusals = () =>
    server.log().slice(from).split("\n").filter((line) => REFUSAL_LINE.test(line));
  const deadline = Date.now() + 5000;
  while (expectOne && refusals().length === 0 && Date.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  await new Promise((resolve) => setTimeout(resolve, 60));
  return refusals().map(fieldsOf);
}

async function send(
  world: World,
  path: string,
  init: RequestInit = {},
  expectLine = true,
): Promise<Answer> {
  const from = world.server.log().length;
  const response = await fetch(`${world.server.url}${path}`, init);
  const text = await response.text();
  return {
    status: response.status,
    headers: response.headers,
    body: text ? JSON.parse(text) : null,
    lines: await linesAfter(world.server, from, expectLine),
  };
}

/** Exactly one refusal line, with these fields and a reason matching `reason`. */
function assertLogged(answer: Answer, fields: Record<string, string>, reason: RegExp) {
  assertEquals(answer.lines.length, 1, `one log line, got ${JSON.stringify(answer.lines)}`);
  const [line] = answer.lines;
  const { reason: logged, ...rest } = line;
  const expected = { level: answer.status >= 500 ? "WARN" : "INFO", ...fields };
  assertEquals(
    Object.fromEntries(Object.keys(expected).map((key) => [key, rest[key]])),
    expected,
  );
  if (!("model" in fields)) assertEquals(line.model, undefined, "no model");
  assertMatch(logged, reason);
}

const openai = { authorization: `Bearer ${KEY}` };
const anthropic = { "x-api-key": KEY, "anthropic-version": "2023-06-01" };
const gemini = { "x-goog-api-key": KEY };
const chat = (model: string) =>
  JSON.stringify({ model, messages: [{ role: "user", content: "hi" }] });
const message = (model: string) =>
  JSON.stringify({ model, max_tokens: 16, messages: [{ role: "user", content: "hi" }] });

async function compress(text: string | Uint8Array<ArrayBuffer>, format: CompressionFormat) {
  const stream = new Blob([text]).stream().pipeThrough(new CompressionStream(format));
  return new Uint8Array(await new Response(stream).arrayBuffer());
}

Deno.test("refused requests: a 4xx in the client's dialect and one log line each", async (t) => {
  await withWorld(async (world) => {
    await t.step("missing key (Gemini)", async () => {
      const answer = await send(world, "/v1beta/models/via-anthropic:generateContent", {
        method: "POST",
        body: "{}",
      });
      assertEquals([answer.status, answer.body.error.status], [401, "UNAUTHENTICATED"]);
      assertLogged(answer, {
        method: "POST",
        path: "/v1beta/models/via-anthropic:generateContent",
        dialect: "gemini",
        status: "401",
      }, /^Missing API key/);
    });

    await t.step("wrong key (OpenAI), in any of the places keys go", async () => {
      const answer = await send(world, "/v1/models", {
        headers: { authorization: `Bearer ${WRONG_KEY}` },
      });
      assertEquals([answer.status, answer.body.error.code], [401, "invalid_api_key"]);
      assertLogged(
        answer,
        { method: "GET", path: "/v1/models", dialect: "openai", status: "401" },
        /^Invalid API key: it is not one of subgate's api-keys\.$/,
      );
      const inQuery = await send(world, `/v1beta/models?key=${WRONG_KEY}`);
      assertEquals(inQuery.status, 401);
      assertLogged(
        inQuery,
        { method: "GET", path: "/v1beta/models", dialect: "gemini", status: "401" },
        /^Invalid API key/,
      );
    });

    await t.step("unknown model, for generation and for token counts", async () => {
      const answer = await send(world, "/v1/chat/completions", {
        method: "POST",
        headers: openai,
        body: chat("via-anthropc"),
      });
      assertEquals([answer.status, answer.body.error.code], [404, "not_found"]);
      assertLogged(answer, {
        method: "POST",
        path: "/v1/chat/completions",
        dialect: "openai",
        model: "via-anthropc",
        status: "404",
      }, /The model 'via-anthropc' is not served.*Closest available: via-anthropic/);
      const count = await send(world, "/v1/messages/count_tokens", {
        method: "POST",
        headers: anthropic,
        body: message("via-nothing"),
      });
      assertEquals([count.status, count.body.error.type], [404, "not_found_error"]);
      assertLogged(count, {
        path: "/v1/messages/count_tokens",
        dialect: "anthropic",
        model: "via-nothing",
        status: "404",
      }, /'via-nothing' is not served/);
    });

    await t.step("bad JSON, with its position, never quoting the body", async () => {
      const cases = [
        {
          body: `{"model":"via-anthropic","messages":[}`,
          at: "Unexpected token '}' in JSON at position 37 (line 1 column 38)",
        },
        {
          body: `{"model":"via-anthropic" "x":1}`,
          at: "Expected ',' or '}' after property value in JSON at position 25 (line 1 column 26)",
        },
        {
          body: `{\n  "model":`,
          at: "Unexpected end of JSON input at position 12 (line 2 column 11)",
        },
      ];
      for (const { body, at } of cases) {
        const answer = await send(world, "/v1/messages", {
          method: "POST",
          headers: anthropic,
          body,
        });
        assertEquals([answer.status, answer.body.type], [400, "error"]);
        assertEquals(answer.body.error.type, "invalid_request_error");
        assertEquals(answer.body.error.message, `The request body is not valid JSON (${at}).`);
        assertLogged(
          answer,
          { method: "POST", path: "/v1/messages", dialect: "anthropic", status: "400" },
          new RegExp(
            `^The request body is not valid JSON \\(${at.replace(/[()]/g, "\\$&")}\\)\\.$`,
          ),
        );
      }
      const empty = await send(world, "/v1/chat/completions", {
        method: "POST",
        headers: { ...openai, "content-type": "application/json" },
      });
      assertEquals(empty.status, 400);
      assertMatch(empty.body.error.message, /Unexpected end of JSON input at position 0/);
      assertLogged(empty, { dialect: "openai", status: "400" }, /not valid JSON/);
    });

    await t.step("a body that is not UTF-8", async () => {
      const bytes = new Uint8Array([...new TextEncoder().encode(`{"model":"`), 0xff, 0x22, 0x7d]);
      const answer = await send(world, "/v1/chat/completions", {
        method: "POST",
        headers: openai,
        body: bytes,
      });
      assertEquals([answer.status, answer.body.error.type], [400, "invalid_request_error"]);
      assertLogged(
        answer,
        { dialect: "openai", status: "400" },
        /^The request body is not valid UTF-8 text\.$/,
      );
    });

    await t.step("body too large", async () => {
      const answer = await send(world, "/v1/messages", {
        method: "POST",
        headers: anthropic,
        body: "x".repeat(1024 * 1024 + 1),
      });
      assertEquals([answer.status, answer.body.error.type], [413, "request_too_large"]);
      assertLogged(
        answer,
        { method: "POST", path: "/v1/messages", dialect: "anthropic", status: "413" },
        /body-limit of 1 MB/,
      );
    });

    await t.step("unknown endpoint", async () => {
      const answer = await send(world, "/v1/nothing", { headers: openai });
      assertEquals([answer.status, answer.body.error.type], [404, "invalid_request_error"]);
      assertLogged(
        answer,
        { method: "GET", path: "/v1/nothing", dialect: "openai", status: "404" },
        /^Unknown endpoint: GET \/v1\/nothing$/,
      );
    });

    await t.step(
      "malformed percent-escapes in path, Gemini target, model id and query",
      async () => {
        const target = await send(world, "/v1beta/models/%ZZ:generateContent", {
          method: "POST",
          headers: gemini,
          body: "{}",
        });
        assertEquals([target.status, target.body.error.status], [400, "INVALID_ARGUMENT"]);
        assertLogged(target, {
          method: "POST",
          path: "/v1beta/models/%ZZ:generateContent",
          dialect: "gemini",
          status: "400",
        }, /^The URL path has a malformed percent-escape \('%ZZ'\)/);

        const id = await send(world, "/v1/models/%E0%A4", { headers: openai });
        assertEquals([id.status, id.body.error.type], [400, "invalid_request_error"]);
        assertLogged(id, { dialect: "openai", status: "400" }, /'%E0%A4'/);

        // The query may carry the key: its text is not quoted back.
        const query = await send(world, `/v1/messages?key=${KEY}%G1`, {
          method: "POST",
          headers: anthropic,
          body: message("via-anthropic"),
        });
        assertEquals([query.status, query.body.error.type], [400, "invalid_request_error"]);
        assertLogged(
          query,
          { dialect: "anthropic", status: "400" },
          /^The URL query has a malformed/,
        );

        // A '%' escaped properly is decoded once: a model name, not an error.
        const percent = await send(world, "/v1beta/models/via%25anthropic:generateContent", {
          method: "POST",
          headers: gemini,
          body: `{"contents":[{"role":"user","parts":[{"text":"hi"}]}]}`,
        });
        assertEquals(percent.status, 404);
        assertLogged(
          percent,
          { dialect: "gemini", model: "via%anthropic", status: "404" },
          /'via%anthropic'/,
        );
      },
    );

    await t.step("a body nested deeper than translation can follow", async () => {
      const depth = 5000;
      const schema = `{"type":"object","properties":{"a":`.repeat(depth) + "{}" +
        "}}".repeat(depth);
      const body = `{"model":"via-anthropic","messages":[{"role":"user","content":"hi"}],` +
        `"tools":[{"type":"function","function":{"name":"f","parameters":${schema}}}]}`;
      const answer = await send(world, "/v1/chat/completions", {
        method: "POST",
        headers: openai,
        body,
      });
      assertEquals([answer.status, answer.body.error.type], [400, "invalid_request_error"]);
      assertLogged(
        answer,
        { dialect: "openai", model: "via-anthropic", status: "400" },
        /more than 100 levels deep/,
      );
    });

    await t.step("compressed bodies: unknown encodings, corrupt data, zip bombs", async () => {
      for (const encoding of ["br", "zstd"]) {
        const answer = await send(world, "/v1/messages", {
          method: "POST",
          headers: { ...anthropic, "content-encoding": encoding },
          body: message("via-anthropic"),
        });
        assertEquals([answer.status, answer.body.error.type], [415, "invalid_request_error"]);
        assertLogged(
          answer,
          { dialect: "anthropic", status: "415" },
          new RegExp(`content-encoding '${encoding}' are not accepted; send gzip, deflate`),
        );
      }
      const packed = await compress(message("via-anthropic"), "gzip");
      for (
        const body of [new TextEncoder().encode(message("via-anthropic")), packed.slice(0, -6)]
      ) {
        const answer = await send(world, "/v1/messages", {
          method: "POST",
          headers: { ...anthropic, "content-encoding": "gzip" },
          body,
        });
        assertEquals([answer.status, answer.body.error.type], [400, "invalid_request_error"]);
        assertLogged(
          answer,
          { dialect: "anthropic", status: "400" },
          /^The request body is not valid gzip data/,
        );
      }
      // 64 MB of zeros in 64 KB: refused at the limit, as it is decoded.
      const bomb = await compress(new Uint8Array(64 * 1024 * 1024), "gzip");
      const answer = await send(world, "/v1/chat/completions", {
        method: "POST",
        headers: { ...openai, "content-encoding": "gzip" },
        body: bomb,
      });
      assertEquals([answer.status, answer.body.error.code], [413, "request_too_large"]);
      assertLogged(
        answer,
        { dialect: "openai", status: "413" },
        /body-limit of 1 MB once decompressed/,
      );
    });

    await t.step(
      "an upstream's malformed answer is a failed attempt, logged once at warn",
      async () => {
        world.upstream.answer("anthropic", { body: "[1]", contentType: "application/json" });
        const from = world.server.log().length;
        const answer = await send(world, "/v1/chat/completions", {
          method: "POST",
          headers: openai,
          body: chat("via-anthropic"),
        }, false);
        assertEquals(answer.status, 502);
        assertMatch(answer.body.error.message, /not a JSON object/);
        assertEquals(answer.lines, [], "the upstream's fault, not a refusal of subgate's");
        const failures = world.server.log().slice(from).match(/WARN +upstream failed .*/g) ?? [];
        assertEquals(failures.length, 1, failures.join("\n"));
        assertMatch(failures[0]!, /model=via-anthropic .*status=502 .*not a JSON object/);
      },
    );

    await t.step(
      "everyone resting; the upstream's own 429 before it is logged once, by the pipeline",
      async () => {
        world.upstream.answer("anthropic", {
          status: 429,
          body: `{"type":"error","error":{"type":"rate_limit_error","message":"slow down"}}`,
          headers: { "retry-after": "120" },
        });
        const from = world.server.log().length;
        const first = await send(world, "/v1/messages", {
          method: "POST",
          headers: anthropic,
          body: message("via-anthropic"),
        }, false);
        assertEquals([first.status, first.body.error.message], [429, "slow down"]);
        assertEquals(first.lines, [], "passed through, not refused by subgate");
        assertMatch(world.server.log().slice(from), /WARN +upstream failed .*status=429/);
        const second = await send(world, "/v1/messages", {
          method: "POST",
          headers: anthropic,
          body: message("via-anthropic"),
        });
        assertEquals([second.status, second.body.error.type], [429, "rate_limit_error"]);
        assert(Number(second.headers.get("retry-after")) > 100);
        assertLogged(second, {
          method: "POST",
          path: "/v1/messages",
          dialect: "anthropic",
          model: "via-anthropic",
          status: "429",
        }, /^Every account serving 'via-anthropic' is resting/);
      },
    );
  });
});

Deno.test("gzip and deflate bodies reach the upstream decoded; preflights and CORS", async (t) => {
  await withWorld(async (world) => {
    await t.step("compressed bodies are decoded, passed through or translated", async () => {
      for (const encoding of ["gzip", "x-gzip", "deflate"]) {
        // Anthropic's client passes through (byte for byte, but the model); OpenAI's is translated.
        const passthrough = message("via-anthropic");
        const translated = [{ role: "user", content: [{ type: "text", text: "hi" }] }];
        for (
          const [path, headers, text] of [
            ["/v1/messages", anthropic, passthrough],
            ["/v1/chat/completions", openai, chat("via-anthropic")],
          ] as const
        ) {
          world.upstream.answer("anthropic", { body: ANTHROPIC_OK });
          const before = world.upstream.requests.length;
          const answer = await send(world, path, {
            method: "POST",
            headers: { ...headers, "content-encoding": encoding },
            body: await compress(text, encoding === "deflate" ? "deflate" : "gzip"),
          }, false);
          assertEquals(answer.status, 200, JSON.stringify(answer.body));
          assertEquals(answer.lines, []);
          const [seen] = world.upstream.requests.slice(before);
          if (text === passthrough) {
            assertEquals(seen.text, text.replace("via-anthropic", "claude-upstream"));
          } else assertEquals(seen.json.messages, translated);
          assertEquals(seen.headers.get("content-encoding"), null, "the body goes up plain");
        }
      }
      assertEquals(world.upstream.violations, []);
    });

    await t.step("a preflight needs no key; a listed origin gets CORS headers", async () => {
      const preflight = await send(world, "/v1/chat/completions", {
        method: "OPTIONS",
        headers: {
          origin: ORIGIN,
          "access-control-request-method": "POST",
          "access-control-request-headers": "authorization, content-type",
        },
      }, false);
      assertEquals(preflight.status, 204);
      assertEquals(preflight.headers.get("allow"), "GET, HEAD, POST, OPTIONS");
      assertEquals(preflight.headers.get("access-control-allow-origin"), ORIGIN);
      assertMatch(preflight.headers.get("access-control-allow-methods") ?? "", /POST/);
      assertEquals(
        preflight.headers.get("access-control-allow-headers"),
        "authorization,content-type",
      );
      assertEquals(preflight.lines, []);

      const listed = await send(
        world,
        "/v1/models",
        { headers: { ...openai, origin: ORIGIN } },
        false,
      );
      assertEquals(listed.status, 200);
      assertEquals(listed.headers.get("access-control-allow-origin"), ORIGIN);
      // A refusal is readable by the page too.
      const refused = await send(world, "/v1/models", { headers: { origin: ORIGIN } });
      assertEquals(refused.status, 401);
      assertEquals(refused.headers.get("access-control-allow-origin"), ORIGIN);

      const other = await send(world, "/anything", {
        method: "OPTIONS",
        headers: { origin: "http://elsewhere.example", "access-control-request-method": "POST" },
      }, false);
      assertEquals(other.status, 204);
      assertEquals(other.headers.get("allow"), "GET, HEAD, POST, OPTIONS");
      for (const [name] of other.headers) assert(!name.startsWith("access-control-"), name);
      const unlisted = await send(world, "/v1/models", {
        headers: { ...openai, origin: "http://elsewhere.example" },
      }, false);
      assertEquals(unlisted.headers.get("access-control-allow-origin"), null);
    });
  });
});
