import { Anthropic } from "./helpers/npm.ts";
import { GoogleGenAI } from "./helpers/npm.ts";
import { OpenAI } from "./helpers/npm.ts";
import { assert, assertEquals, assertMatch } from "./helpers/assert.ts";
import { claudeFile, writeAccount } from "./helpers/fixtures.ts";
import {
  type RunningSubgate,
  runSubgate,
  startSubgate,
  withTempHome,
} from "./helpers/subgate-process.ts";

const KEY = "sg-test-key-0123456789";

/** A server with one Claude account and one client key, for the duration of `fn`. */
function withKeyedServer(fn: (server: RunningSubgate) => Promise<void>, extraConfig = "") {
  return withTempHome(async (home) => {
    await Deno.mkdir(`${home}/.subgate`, { mode: 0o700 });
    await writeAccount(`${home}/.subgate/claude-ada@example.com.json`, claudeFile());
    await Deno.writeTextFile(
      `${home}/.subgate/config.yaml`,
      `api-keys: ["${KEY}"]\n${extraConfig}`,
    );
    const server = await startSubgate([], { home });
    try {
      await fn(server);
    } finally {
      await server.stop();
    }
  });
}

async function call(url: string, init?: RequestInit) {
  const response = await fetch(url, init);
  const text = await response.text();
  return {
    status: response.status,
    headers: response.headers,
    body: text ? JSON.parse(text) : null,
  };
}

Deno.test("with no config and no accounts, /healthz and HEAD / answer", () =>
  withTempHome(async (home) => {
    const server = await startSubgate([], { home });
    try {
      assertMatch(server.url, /^http:\/\/127\.0\.0\.1:\d+$/);
      assertMatch(server.log(), /config="built-in defaults"/);
      const health = await call(`${server.url}/healthz`);
      assertEquals([health.status, health.body], [200, { status: "ok" }]);
      const head = await fetch(server.url, { method: "HEAD" });
      assertEquals(head.status, 200);
      await head.body?.cancel();
      assertEquals((await call(`${server.url}/v1/models`)).body, { object: "list", data: [] });
    } finally {
      await server.stop();
    }
  }));

Deno.test("client keys are accepted as Bearer, x-api-key, x-goog-api-key and ?key=", () =>
  withKeyedServer(async (server) => {
    const models = `${server.url}/v1/models`;
    assertEquals((await call(models, { headers: { authorization: `Bearer ${KEY}` } })).status, 200);
    assertEquals((await call(models, { headers: { "x-api-key": KEY } })).status, 200);
    assertEquals(
      (await call(`${server.url}/v1beta/models`, { headers: { "x-goog-api-key": KEY } })).status,
      200,
    );
    assertEquals((await call(`${server.url}/v1beta/models?key=${KEY}`)).status, 200);
    // Health checks stay open: Claude Code probes HEAD / before it sends a key.
    assertEquals((await call(`${server.url}/healthz`)).status, 200);
    const head = await fetch(server.url, { method: "HEAD" });
    await head.body?.cancel();
    assertEquals(head.status, 200);
  }));

Deno.test("a missing or wrong key gets 401 in the client's own error format", () =>
  withKeyedServer(async (server) => {
    const openai = await call(`${server.url}/v1/models`, {
      headers: { authorization: "Bearer nope" },
    });
    assertEquals(openai.status, 401);
    assertEquals(openai.body.error.type, "authentication_error");
    assertEquals(openai.body.error.code, "invalid_api_key");
    assertMatch(openai.body.error.message, /Invalid API key/);

    const anthropic = await call(`${server.url}/v1/messages`, {
      method: "POST",
      headers: { "x-api-key": `${KEY}x`, "anthropic-version": "2023-06-01" },
      body: "{}",
    });
    assertEquals(anthropic.status, 401);
    assertEquals(anthropic.body.type, "error");
    assertEquals(anthropic.body.error.type, "authentication_error");

    const gemini = await call(`${server.url}/v1beta/models/gemini-2.5-pro:generateContent`, {
      method: "POST",
      body: "{}",
    });
    assertEquals(gemini.status, 401);
    assertEquals(gemini.body.error.status, "UNAUTHENTICATED");
    assertEquals(gemini.body.error.code, 401);
    assertMatch(gemini.body.error.message, /Missing API key/);

    // The route decides the shape, whatever header carried the key.
    for (const path of ["/v1/chat/completions", "/v1/responses"]) {
      const chat = await call(`${server.url}${path}`, {
        method: "POST",
        headers: { "x-goog-api-key": "nope", "anthropic-version": "2023-06-01" },
        body: "{}",
      });
      assertEquals([chat.status, chat.body.error.type], [401, "authentication_error"], path);
      assertEquals(chat.body.error.code, "invalid_api_key", path);
    }
  }));

Deno.test("unknown endpoints and models get 404 in the client's format", () =>
  withKeyedServer(async (server) => {
    const auth = { "x-api-key": KEY };
    const openai = await call(`${server.url}/v1/nothing`, { headers: auth });
    assertEquals([openai.status, openai.body.error.type], [404, "invalid_request_error"]);
    const model = await call(`${server.url}/v1/models/gpt-0`, { headers: auth });
    assertEquals(model.status, 404);
    assertMatch(model.body.error.message, /The model 'gpt-0' is not served/);
    const anthropic = await call(`${server.url}/v1/models/nope`, {
      headers: { ...auth, "anthropic-version": "2023-06-01" },
    });
    assertEquals([anthropic.status, anthropic.body.error.type], [404, "not_found_error"]);
    const gemini = await call(`${server.url}/v1beta/models/nope`, { headers: auth });
    assertEquals([gemini.status, gemini.body.error.status], [404, "NOT_FOUND"]);
  }));

Deno.test("OPTIONS is answered on any path without a key; with no cors config, no CORS headers", () =>
  withKeyedServer(async (server) => {
    const origin = "http://localhost:3000";
    for (const path of ["/v1/chat/completions", "/v1beta/models/x:generateContent", "/nowhere"]) {
      const preflight = await fetch(`${server.url}${path}`, {
        method: "OPTIONS",
        headers: { origin, "access-control-request-method": "POST" },
      });
      await preflight.body?.cancel();
      assertEquals(preflight.status, 204);
      assertEquals(preflight.headers.get("allow"), "GET, HEAD, POST, OPTIONS");
      for (const [name] of preflight.headers) assert(!name.startsWith("access-control-"), name);
    }
    const models = await fetch(`${server.url}/v1/models`, {
      headers: { "x-api-key": KEY, origin },
    });
    await models.body?.cancel();
    assertEquals(models.status, 200);
    for (const [name] of models.headers) assert(!name.startsWith("access-control-"), name);
    assert(!/request refused/.test(server.log()), "a preflight is not a refusal");
  }));

Deno.test("bodies over body-limit get 413, with or without a content-length", () =>
  withKeyedServer(async (server) => {
    const headers = { "x-api-key": KEY, "anthropic-version": "2023-06-01" };
    const sized = await call(`${server.url}/v1/messages`, {
      method: "POST",
      headers,
      body: "x".repeat(4096),
    });
    assertEquals(sized.status, 413);
    assertEquals(sized.body.error.type, "request_too_large");
    assertMatch(sized.body.error.message, /body-limit of 2 KB/);

    const chunks = new ReadableStream<Uint8Array>({
      start(controller) {
        for (let i = 0; i < 8; i++) controller.enqueue(new Uint8Array(1024).fill(120));
        controller.close();
      },
    });
    const streamed = await call(`${server.url}/v1/chat/completions`, {
      method: "POST",
      headers: { authorization: `Bearer ${KEY}` },
      body: chunks,
    });
    assertEquals(streamed.status, 413);
    assertEquals(streamed.body.error.code, "request_too_large");
  }, "body-limit: 2KB\n"));

Deno.test("the official SDKs list models and see subgate's errors as their own", () =>
  withKeyedServer(async (server) => {
    const openai = new OpenAI({ apiKey: KEY, baseURL: `${server.url}/v1`, maxRetries: 0 });
    const openaiIds = [];
    for await (const model of openai.models.list()) openaiIds.push(model.id);
    assert(openaiIds.includes("claude-sonnet-4-6"), openaiIds.join());

    const anthropic = new Anthropic({ apiKey: KEY, baseURL: server.url, maxRetries: 0 });
    const anthropicIds = [];
    for await (const model of anthropic.models.list()) anthropicIds.push(model.id);
    assertEquals(anthropicIds.sort(), openaiIds.sort());

    const google = new GoogleGenAI({ apiKey: KEY, httpOptions: { baseUrl: server.url } });
    const googleNames = [];
    for await (const model of await google.models.list()) googleNames.push(model.name);
    assert(googleNames.includes("models/claude-sonnet-4-6"), googleNames.join());

    const badOpenai = new OpenAI({ apiKey: "wrong", baseURL: `${server.url}/v1`, maxRetries: 0 });
    const openaiError = await badOpenai.models.list().then(() => undefined, (e) => e);
    assert(openaiError instanceof OpenAI.AuthenticationError, String(openaiError));

    const badAnthropic = new Anthropic({ apiKey: "wrong", baseURL: server.url, maxRetries: 0 });
    const anthropicError = await badAnthropic.models.list().then(() => undefined, (e) => e);
    assert(anthropicError instanceof Anthropic.AuthenticationError, String(anthropicError));
    assertMatch(JSON.stringify(anthropicError.error), /"type":"authentication_error"/);
  }));

Deno.test("binding beyond loopback without api-keys is refused with an explanation", () =>
  withTempHome(async (home) => {
    const result = await runSubgate(["serve", "--host", "0.0.0.0", "--port", "0"], { home });
    assertEquals(result.code, 1);
    assertMatch(result.stderr, /refusing to listen on 0\.0\.0\.0 with no api-keys/);
    assertMatch(result.stderr, /api-keys/);

    await Deno.writeTextFile(`${home}/keys.yaml`, `api-keys: ["${KEY}"]\n`);
    const server = await startSubgate(["--host", "0.0.0.0", "--config", `${home}/keys.yaml`], {
      home,
    });
    try {
      assertMatch(server.url, /^http:\/\/0\.0\.0\.0:\d+$/);
      // A reload that drops every key while exposed is refused.
      await Deno.writeTextFile(`${home}/keys.yaml`, "api-keys: []\n");
      await server.waitForLog(/config edit rejected.*refusing to listen on 0\.0\.0\.0/);
    } finally {
      await server.stop();
    }
  }));

Deno.test("a busy port is a clear error naming --port", () =>
  withTempHome(async (home) => {
    const server = await startSubgate([], { home });
    try {
      const port = new URL(server.url).port;
      const second = await runSubgate(["serve", "--port", port], { home });
      assertEquals(second.code, 1);
      assertMatch(
        second.stderr,
        new RegExp(`port ${port} on 127\\.0\\.0\\.1 is already in use.*--port`),
      );
    } finally {
      await server.stop();
    }
  }));

Deno.test("SIGTERM and SIGINT stop the server cleanly with exit code 0", {
  ignore: Deno.build.os === "windows",
}, () =>
  withTempHome(async (home) => {
    for (const signal of ["SIGTERM", "SIGINT"] as const) {
      const server = await startSubgate([], { home });
      const status = await server.stop(signal);
      assertEquals(status.code, 0);
      assertMatch(server.log(), /shutting down: finishing in-flight requests[\s\S]*stopped/);
    }
  }));
