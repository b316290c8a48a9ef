/**
 * Antigravity, as users run it: `subgate login antigravity` against the local OAuth server and
 * the Code Assist stand-in (PKCE, the pasted callback, project setup, refresh); then serving
 * through a local replaying upstream: Code Assist's envelope up, answers unwrapped (JSON and
 * streams) to every client dialect, the model list and the per-family quota from
 * `fetchAvailableModels`, and its refusals (a spent allowance, a client version it no longer
 * admits) in each client's dialect. The shapes are in tests/fixtures/antigravity/.
 */
import { Anthropic, GoogleGenAI, OpenAI } from "./helpers/npm.ts";
import { assert, assertEquals, assertMatch, assertNotMatch } from "./helpers/assert.ts";
import { CAPTURES } from "./helpers/fixture-expectations.ts";
import { writeAccount } from "./helpers/fixtures.ts";
import { withLoginWorld } from "./helpers/login-setup.ts";
import { FIXTURES_DIR, readChunks, readJsonFixture } from "./helpers/provider-fixtures.ts";
import { startReplayUpstream } from "./helpers/replay-upstream.ts";
import { startUsageServer } from "./helpers/quota-fixtures.ts";
import {
  eventually,
  runSubgate,
  spawnSubgate,
  startSubgate,
  withTempHome,
} from "./helpers/subgate-process.ts";
import { PROVIDERS } from "../src/providers/registry.ts";
import { antigravityQuotaWindows } from "../src/providers/antigravity/quota.ts";
import { antigravityRestUntil, parseResetDelay } from "../src/providers/antigravity/upstream.ts";
import { createPool } from "../src/pool/pool.ts";
import type { LoginAccount } from "../src/store/account.ts";

type Json = Record<string, unknown>;

const shape = (name: string): Json =>
  JSON.parse(Deno.readTextFileSync(`${FIXTURES_DIR}antigravity/${name}.json`));

/** The user agent the service admits: a version and this machine's OS and CPU, Go-style. */
const USER_AGENT = /^antigravity\/\d+\.\d+\.\d+ (linux|darwin|windows)\/(amd64|arm64)$/;

/** A Gemini capture as Code Assist streams it: every event wrapped in `{"response": …}`. */
function wrappedStream(name: string): string {
  return readChunks("gemini", name).map((chunk) =>
    `data: ${JSON.stringify({ response: chunk, traceId: "t1" })}\n\n`
  ).join("");
}

async function readJson(path: string): Promise<Json> {
  return JSON.parse(await Deno.readTextFile(path));
}

Deno.test("antigravity login: PKCE in the browser, the pasted callback address, the project set up, then a refresh", () =>
  withLoginWorld(async ({ home, authDir, oauth, api, ports }) => {
    const login = await spawnSubgate(
      [
        "login",
        "antigravity",
        "--no-browser",
        "--callback-port",
        String(ports.antigravity),
        "--timeout",
        "30",
      ],
      { home },
    );
    const url = new URL((await login.waitForOutput(/^\s+(http\S+)$/m))[1]);
    assertEquals(url.searchParams.get("code_challenge_method"), "S256");
    assert(url.searchParams.get("code_challenge"), "PKCE");
    assertEquals(
      url.searchParams.get("redirect_uri"),
      `http://localhost:${ports.antigravity}/oauth-callback`,
    );
    assertEquals(url.searchParams.get("access_type"), "offline");
    assertMatch(url.searchParams.get("scope")!, /auth\/cclog .*auth\/experimentsandconfigs/);
    // On a machine without a browser the person pastes the address the browser ended on.
    await login.waitForOutput(/paste here the address the browser ends on/);
    const landing = await oauth.approve(url.href);
    await login.typeLine(landing.href);
    assertEquals((await login.status).code, 0, login.output());
    const output = login.output();
    assertMatch(output, /Terms: Antigravity's login reaches the same Code Assist backend/);
    assertMatch(output, /User-Agent: antigravity\/<version> <os>\/<arch>/);
    assertMatch(output, /Setting up Code Assist \(standard-tier\)/);
    assertMatch(output, /Logged in to Antigravity as ada@example\.com/);

    const file = `${authDir}/antigravity-ada@example.com.json`;
    const record = await readJson(file);
    assertEquals(record.type, "antigravity");
    assertEquals(record.project_id, "proj-onboarded");
    if (Deno.build.os !== "windows") assertEquals((await Deno.stat(file)).mode! & 0o777, 0o600);
    for (const secret of [record.access_token, record.refresh_token]) {
      assert(typeof secret === "string" && !output.includes(secret), "no token printed");
    }
    // Antigravity's project calls say which product asks, with the admitted user agent.
    const load = api.bodies.get("/v1internal:loadCodeAssist") as Json;
    assertEquals(load, { metadata: { ideType: "ANTIGRAVITY" } });
    assertEquals(
      (api.bodies.get("/v1internal:onboardUser") as Json).metadata,
      { ideType: "ANTIGRAVITY" },
    );
    assertMatch(api.headers.get("/v1internal:loadCodeAssist")!.get("user-agent")!, USER_AGENT);

    // Google's refresh with the installed app's secret (the test server refuses it without).
    const refreshed = await runSubgate(["refresh", "antigravity"], { home });
    assertEquals(refreshed.code, 0, refreshed.stderr);
    assertMatch(refreshed.stdout, /antigravity ada@example\.com: refreshed/);
    assertEquals(oauth.grants.map((g) => g.grantType), ["authorization_code", "refresh_token"]);
    assert((await readJson(file)).access_token !== record.access_token, "a new access token");
  }));

/** An Antigravity login serving from the replaying upstream at `url`. */
async function antigravityHome(home: string, url: string, extra = "") {
  const dir = `${home}/.subgate`;
  await Deno.mkdir(dir, { recursive: true, mode: 0o700 });
  await writeAccount(
    `${dir}/antigravity-ada@example.com.json`,
    JSON.stringify({
      type: "antigravity",
      access_token: "ya29.AGTESTACCESSxxxxxxxxxxxx",
      refresh_token: "1//AGTESTREFRESHyyyyyyyyyyy",
      email: "ada@example.com",
      project_id: "proj-ag-7",
      expired: "2099-01-01T00:00:00Z",
    }),
  );
  await Deno.writeTextFile(
    `${dir}/config.yaml`,
    `providers:\n  antigravity:\n    base-url: ${url}/v1internal\n${extra}`,
  );
}

Deno.test("an Antigravity login serves every dialect through Code Assist's envelope, answers unwrapped", () =>
  withTempHome(async (home) => {
    const upstream = startReplayUpstream();
    const listed: Headers[] = [];
    upstream.route(":fetchAvailableModels", async (request) => {
      listed.push(new Headers(request.headers));
      assertEquals(await request.json(), { project: "proj-ag-7" });
      return Response.json(shape("fetch-available-models"));
    });
    await antigravityHome(home, upstream.url);
    const server = await startSubgate([], { home });
    try {
      // The model list is the service's own, the editor's rows left out.
      await eventually(
        async () => {
          const list = await (await fetch(`${server.url}/v1/models`)).json();
          return list.data.some((m: { id: string }) => m.id === "gpt-oss-120b-medium");
        },
        15_000,
        "the fetched model list",
      );
      const ids = (await (await fetch(`${server.url}/v1/models`)).json()).data.map((
        m: { id: string },
      ) => m.id);
      assert(ids.includes("claude-opus-4-6-thinking") && ids.includes("gemini-3.1-pro-low"));
      assert(!ids.some((id: string) => /^(chat_|tab_)/.test(id)), ids.join(", "));
      assertEquals(listed[0].get("authorization"), "Bearer ya29.AGTESTACCESSxxxxxxxxxxxx");
      assertMatch(listed[0].get("user-agent")!, USER_AGENT);

      // Anthropic client, a Claude model: one JSON answer.
      const text = CAPTURES.text.gemini();
      upstream.answer("gemini", {
        body: JSON.stringify({
          response: readJsonFixture("gemini", "google-text.json"),
          traceId: "t0",
        }),
      });
      const anthropic = new Anthropic({ apiKey: "any", baseURL: server.url, maxRetries: 0 });
      const message = await anthropic.messages.create({
        model: "claude-sonnet-4-6",
        max_tokens: 256,
        messages: [{ role: "user", content: "hi" }],
      });
      assertEquals(
        message.content.filter((b) => b.type === "text").map((b) => b.text).join(""),
        text.text,
      );
      const seen = upstream.requests.at(-1)!;
      assertEquals(seen.path, "/v1internal:generateContent");
      // The envelope and nothing of Antigravity's beyond the user agent.
      assertEquals(Object.keys(seen.json).sort(), ["model", "project", "request"]);
      assertEquals(seen.json.model, "claude-sonnet-4-6");
      assertEquals(seen.json.project, "proj-ag-7");
      assertEquals(seen.headers.get("authorization"), "Bearer ya29.AGTESTACCESSxxxxxxxxxxxx");
      assertMatch(seen.headers.get("user-agent")!, USER_AGENT);
      for (const name of ["x-goog-api-client", "client-metadata"]) {
        assertEquals(seen.headers.get(name), null, `${name} is not sent`);
      }

      // OpenAI Chat client, a stream.
      const streamed = CAPTURES.textStream.gemini();
      upstream.answer("gemini", { body: wrappedStream("google-text.chunks.txt") });
      const openai = new OpenAI({ apiKey: "any", baseURL: `${server.url}/v1`, maxRetries: 0 });
      let chat = "";
      for await (
        const chunk of await openai.chat.completions.create({
          model: "gemini-3.1-pro-high",
          messages: [{ role: "user", content: "hi" }],
          stream: true,
        })
      ) chat += chunk.choices[0]?.delta?.content ?? "";
      assertEquals(chat, streamed.text);
      assertEquals(upstream.requests.at(-1)!.path, "/v1internal:streamGenerateContent");
      assertEquals(upstream.requests.at(-1)!.search, "?alt=sse");

      // Gemini client, a streamed tool call: the call and its thought signature come back.
      upstream.answer("gemini", { body: wrappedStream("google-tool-call.chunks.txt") });
      const google = new GoogleGenAI({ apiKey: "any", httpOptions: { baseUrl: server.url } });
      const calls = [];
      for await (
        const chunk of await google.models.generateContentStream({
          model: "gemini-3-flash",
          contents: "weather in San Francisco?",
          config: {
            tools: [{
              functionDeclarations: [{
                name: "weather",
                parametersJsonSchema: {
                  type: "object",
                  properties: { location: { type: "string" } },
                },
              }],
            }],
          },
        })
      ) {
        for (const part of chunk.candidates?.[0]?.content?.parts ?? []) {
          if (part.functionCall) calls.push(part);
        }
      }
      assertEquals(calls.map((p) => [p.functionCall?.name, p.functionCall?.args]), [
        ["weather", { location: "San Francisco" }],
      ]);
      assert(calls[0].thoughtSignature, "the thought signature survives");
      assertEquals(
        ((upstream.requests.at(-1)!.json.request as Json).tools as Json[]).length,
        1,
        "the tools go inside the envelope's request",
      );
      assertEquals(upstream.violations, []);
    } finally {
      await server.stop();
      await upstream.close();
    }
  }));

Deno.test("Antigravity's refusals reach each client in its dialect; a spent allowance rests that model until its reset", () =>
  withTempHome(async (home) => {
    const upstream = startReplayUpstream();
    upstream.route(":fetchAvailableModels", () => Response.json(shape("fetch-available-models")));
    await antigravityHome(home, upstream.url);
    const server = await startSubgate([], { home });
    try {
      upstream.answer("gemini", {
        status: 429,
        body: JSON.stringify(shape("quota-exhausted-429")),
      });
      const anthropic = new Anthropic({ apiKey: "any", baseURL: server.url, maxRetries: 0 });
      const refused = await anthropic.messages.create({
        model: "claude-sonnet-4-6",
        max_tokens: 64,
        messages: [{ role: "user", content: "hi" }],
      }).then(() => undefined, (error) => error);
      assertEquals(refused?.status, 429);
      assertEquals(refused?.error?.error?.type, "rate_limit_error");
      assertMatch(refused?.error?.error?.message, /exhausted your capacity on this model/);

      // Asked again, the login rests for that model: subgate answers without asking Google.
      const asked = upstream.requests.length;
      const again = await fetch(`${server.url}/v1/chat/completions`, {
        method: "POST",
        headers: { "content-type": "application/json", authorization: "Bearer any" },
        body: JSON.stringify({
          model: "claude-sonnet-4-6",
          messages: [{ role: "user", content: "hi" }],
        }),
      });
      assertEquals(again.status, 429);
      const body = await again.json();
      assertMatch(body.error.message, /claude-sonnet-4-6/);
      const retryAfter = Number(again.headers.get("retry-after"));
      assert(retryAfter > 25 * 3600 && retryAfter <= 25 * 3600 + 21 * 60, `${retryAfter} s`);
      assertEquals(upstream.requests.length, asked, "the resting login was not asked");

      // Another family's model on the same login is served.
      upstream.answer("gemini", {
        body: JSON.stringify({ response: readJsonFixture("gemini", "google-text.json") }),
      });
      const openai = new OpenAI({ apiKey: "any", baseURL: `${server.url}/v1`, maxRetries: 0 });
      const served = await openai.chat.completions.create({
        model: "gemini-3-flash",
        messages: [{ role: "user", content: "hi" }],
      });
      assertEquals(served.choices[0].message.content, CAPTURES.text.gemini().text);

      // A client version the service no longer admits: its message, in the client's shape.
      upstream.answer("gemini", {
        status: 503,
        body: JSON.stringify(shape("version-unsupported-503")),
      });
      const google = new GoogleGenAI({ apiKey: "any", httpOptions: { baseUrl: server.url } });
      const unsupported = await google.models.generateContent({
        model: "gemini-3.1-pro-low",
        contents: "hi",
      }).then(() => undefined, (error) => error as Error);
      assertMatch(String(unsupported?.message), /no longer supported/);
      assertNotMatch(server.log(), /ya29\.AGTEST|1\/\/AGTEST/);
    } finally {
      await server.stop();
      await upstream.close();
    }
  }));

Deno.test("Antigravity quota: fetchAvailableModels' quotaInfo as windows per family, asked with the project", async () => {
  const usage = startUsageServer();
  try {
    usage.answer("ya29.quota", { body: shape("fetch-available-models") });
    const readings = await PROVIDERS.antigravity.quota!.fetch!(
      {
        id: "file:antigravity-ada.json",
        credentials: { access_token: "ya29.quota", project_id: "p-9" },
      },
      { baseUrl: `${usage.url}/v1internal` },
      AbortSignal.timeout(5000),
    );
    const request = usage.seen[0];
    assertEquals([request.method, request.path], ["POST", "/v1internal:fetchAvailableModels"]);
    assertEquals(JSON.parse(request.body), { project: "p-9" });
    assertMatch(request.headers.get("user-agent")!, USER_AGENT);
    const at = (iso: string) => Date.parse(iso);
    assertEquals(readings, [
      {
        name: "gemini",
        usedPercent: 40,
        resetsAt: at("2026-11-20T15:00:00Z"),
        models: ["gemini-3.1-pro-high", "gemini-3.1-pro-low"],
      },
      {
        name: "gemini-2",
        usedPercent: 0,
        resetsAt: at("2026-11-20T14:00:00Z"),
        models: ["gemini-3-flash"],
      },
      {
        // No fraction with a reset: protobuf JSON left out a zero, the counter is spent.
        name: "claude",
        usedPercent: 100,
        resetsAt: at("2026-11-21T09:30:00Z"),
        models: ["claude-opus-4-6-thinking", "claude-sonnet-4-6"],
      },
      {
        name: "gpt",
        usedPercent: 75,
        resetsAt: at("2026-11-21T09:30:00Z"),
        models: ["gpt-oss-120b-medium"],
      },
    ]);
  } finally {
    await usage.close();
  }
});

Deno.test("Antigravity quota feeds routing: a spent family rests its models only, until the reset", () => {
  const account = {
    id: "file:antigravity-ada.json",
    kind: "oauth",
    source: "file",
    provider: "antigravity",
    file: "antigravity-ada.json",
    label: "ada",
    disabled: false,
    needsLogin: false,
    models: ["claude-sonnet-4-6", "gemini-3-flash"],
    modelSource: "built-in",
    ownedBy: "antigravity",
    credentials: { access_token: "t" },
  } as LoginAccount;
  const body = shape("fetch-available-models");
  // The fixture's resets are in 2026; move them an hour ahead of now.
  const inAnHour = new Date(Date.now() + 3600_000).toISOString();
  for (const info of Object.values(body.models as Record<string, Json>)) {
    (info.quotaInfo as Json).resetTime = inAnHour;
  }
  const pool = createPool();
  pool.quota.record(account.id, antigravityQuotaWindows(body), "endpoint");
  const claude = pool.select([[account]], "claude-sonnet-4-6", "quota");
  assertEquals(claude.ready, []);
  assertEquals(claude.resting.map((r) => r.reason), ["claude window spent"]);
  assertEquals(pool.select([[account]], "gemini-3-flash", "quota").ready.length, 1);
});

Deno.test("Antigravity's 429 names when the model is back; a bare one does not", () => {
  const now = Date.parse("2026-11-20T10:00:00Z");
  assertEquals(parseResetDelay("25h20m26s"), 91226);
  assertEquals(parseResetDelay("45m"), 2700);
  assertEquals(parseResetDelay("soon"), undefined);
  const answer = { status: 429, headers: new Headers() };
  const error = (body: Json) => ({
    kind: "rate_limit" as const,
    status: 429,
    message: String((body.error as Json).message),
  });
  assertEquals(
    antigravityRestUntil(error(shape("quota-exhausted-429")), answer, now),
    now + 91226_000,
  );
  assertEquals(
    antigravityRestUntil(error(shape("individual-quota-429")), answer, now),
    now + (71 * 3600 + 15 * 60 + 27) * 1000,
  );
  assertEquals(
    antigravityRestUntil(error(shape("resource-exhausted-429")), answer, now),
    undefined,
  );
});

Deno.test("a configured user-agent replaces the default on generation and the model list", () =>
  withTempHome(async (home) => {
    const upstream = startReplayUpstream();
    const listed: string[] = [];
    upstream.route(":fetchAvailableModels", (request) => {
      listed.push(request.headers.get("user-agent") ?? "");
      return Response.json(shape("fetch-available-models"));
    });
    await antigravityHome(
      home,
      upstream.url,
      "    headers:\n      User-Agent: antigravity/9.9.9 linux/amd64\n",
    );
    const server = await startSubgate([], { home });
    try {
      await eventually(() => Promise.resolve(listed.length > 0), 15_000, "the model list");
      assertEquals(listed[0], "antigravity/9.9.9 linux/amd64");
      upstream.answer("gemini", {
        body: JSON.stringify({ response: readJsonFixture("gemini", "google-text.json") }),
      });
      const openai = new OpenAI({ apiKey: "any", baseURL: `${server.url}/v1`, maxRetries: 0 });
      await openai.chat.completions.create({
        model: "gemini-3-flash",
        messages: [{ role: "user", content: "hi" }],
      });
      assertEquals(
        upstream.requests.at(-1)!.headers.get("user-agent"),
        "antigravity/9.9.9 linux/amd64",
      );
    } finally {
      await server.stop();
      await upstream.close();
    }
  }));
