/**
 * Each provider's quota reader on the shapes in tests/fixtures/quota/: headers of an answer, and
 * the usage endpoint asked of a local server (checked for the request the real one expects).
 */
import { assert, assertEquals } from "./helpers/assert.ts";
import { quotaAnswer, quotaBody, startUsageServer } from "./helpers/quota-fixtures.ts";
import { PROVIDERS } from "../src/providers/registry.ts";
import type { QuotaReading } from "../src/upstreams/quota.ts";

const NOW = Date.parse("2026-11-20T10:00:00Z");
const at = (iso: string) => Date.parse(iso);

const headersOf = (name: string) => new Headers(quotaAnswer(name).headers);

/** Asks `provider`'s usage endpoint at a local server answering `fixture`; returns what it read. */
async function fetched(
  provider: keyof typeof PROVIDERS,
  fixture: string,
  credentials: Record<string, unknown>,
  urls: (server: string) => { baseUrl: string; apiUrl?: string },
) {
  const server = startUsageServer();
  try {
    server.answer(String(credentials.access_token), { body: quotaBody(fixture) });
    const readings = await PROVIDERS[provider].quota!.fetch!(
      { id: "file:test.json", credentials },
      urls(server.url),
      AbortSignal.timeout(5000),
    );
    return { readings, request: server.seen[0] };
  } finally {
    await server.close();
  }
}

const byName = (readings: QuotaReading[]) => Object.fromEntries(readings.map((r) => [r.name, r]));

Deno.test("Claude: the unified headers give the 5-hour and weekly windows, a rejected one exhausted", () => {
  const read = PROVIDERS.claude.quota!.fromHeaders!;
  assertEquals(read(headersOf("claude-headers-allowed"), NOW), [
    { name: "5h", usedPercent: 42, resetsAt: 1795186800_000, exhausted: false },
    { name: "7d", usedPercent: 18, resetsAt: 1795510800_000, exhausted: false },
  ]);
  const rejected = byName(read(headersOf("claude-headers-rejected"), NOW)!);
  assertEquals(rejected["5h"], {
    name: "5h",
    usedPercent: 100,
    resetsAt: 1795186800_000,
    exhausted: true,
  });
  assertEquals(rejected["7d"].exhausted, false);
  // An answer without them costs two lookups and gives nothing.
  assertEquals(read(new Headers({ "content-type": "application/json" }), NOW), undefined);
});

Deno.test("Claude: the OAuth usage endpoint, asked with the token and the OAuth beta", async () => {
  const { readings, request } = await fetched(
    "claude",
    "claude-usage",
    { access_token: "sk-ant-oat01-usage" },
    (url) => ({ baseUrl: url }),
  );
  assertEquals(request.method, "GET");
  assertEquals(request.path, "/api/oauth/usage");
  assertEquals(request.headers.get("authorization"), "Bearer sk-ant-oat01-usage");
  assertEquals(request.headers.get("anthropic-beta"), "oauth-2025-04-20");
  assert(request.headers.get("user-agent")!.startsWith("subgate/"), "subgate names itself");
  assertEquals(readings, [
    { name: "5h", usedPercent: 37, resetsAt: at("2026-11-20T14:59:59.412Z") },
    { name: "7d", usedPercent: 61, resetsAt: at("2026-11-24T08:59:59.412Z") },
    {
      name: "7d-sonnet",
      models: ["*sonnet*"],
      usedPercent: 12,
      resetsAt: at("2026-11-24T08:59:59.412Z"),
    },
  ]);
  // A Max plan's model windows; unix-second resets read too; paid overage is no window.
  const max = byName(
    (await fetched(
      "claude",
      "claude-usage-max",
      { access_token: "sk-ant-oat01-max" },
      (url) => ({ baseUrl: url }),
    )).readings,
  );
  assertEquals(Object.keys(max), ["5h", "7d", "7d-opus", "7d-sonnet"]);
  assertEquals(max["7d-opus"].models, ["*opus*"]);
  assertEquals(max["7d-opus"].usedPercent, 100);
  assertEquals(max["7d-sonnet"].resetsAt, 1795510799_000);
});

Deno.test("Codex: x-codex headers (reset-at, or reset-after-seconds on older answers)", () => {
  const read = PROVIDERS.codex.quota!.fromHeaders!;
  assertEquals(read(headersOf("codex-headers"), NOW), [
    { name: "5h", usedPercent: 23, resetsAt: 1795186800_000 },
    { name: "7d", usedPercent: 71, resetsAt: 1795510800_000 },
  ]);
  assertEquals(read(headersOf("codex-headers-old"), NOW), [
    { name: "5h", usedPercent: 100, resetsAt: NOW + 5400_000 },
    { name: "7d", usedPercent: 44, resetsAt: NOW + 401000_000 },
  ]);
  assertEquals(read(new Headers(), NOW), undefined);
});

Deno.test("Codex: wham/usage beside the Responses base, with the account id", async () => {
  const { readings, request } = await fetched(
    "codex",
    "codex-usage",
    { access_token: "eyJ.codex.usage", account_id: "acc-chatgpt-7" },
    (url) => ({ baseUrl: `${url}/backend-api/codex` }),
  );
  assertEquals(request.path, "/backend-api/wham/usage");
  assertEquals(request.headers.get("authorization"), "Bearer eyJ.codex.usage");
  assertEquals(request.headers.get("chatgpt-account-id"), "acc-chatgpt-7");
  assertEquals(readings, [
    { name: "5h", usedPercent: 23, resetsAt: 1795186800_000 },
    { name: "7d", usedPercent: 71, resetsAt: 1795510800_000 },
  ]);
});

Deno.test("Copilot: quota snapshot headers and copilot_internal/user; premium is advisory, unlimited left out", async () => {
  const read = PROVIDERS.copilot.quota!.fromHeaders!;
  const december = at("2026-12-01T00:00:00Z");
  assertEquals(read(headersOf("copilot-headers"), NOW), [
    { name: "premium", usedPercent: 61.5, resetsAt: december, exhausted: false, advisory: true },
  ]);
  // The free plan: chat spent (every model), premium models by their newer header name.
  assertEquals(read(headersOf("copilot-headers-free"), NOW), [
    { name: "premium", usedPercent: 36, resetsAt: december, exhausted: false, advisory: true },
    { name: "chat", usedPercent: 100, resetsAt: december, exhausted: true },
  ]);
  const { readings, request } = await fetched(
    "copilot",
    "copilot-user",
    { access_token: "ghu_TESTquota" },
    (url) => ({ baseUrl: "http://unused", apiUrl: url }),
  );
  assertEquals(request.path, "/copilot_internal/user");
  assertEquals(request.headers.get("authorization"), "token ghu_TESTquota");
  assertEquals(readings, [
    { name: "premium", usedPercent: 61.5, resetsAt: december, exhausted: false, advisory: true },
  ]);
});

Deno.test("Kimi: /usages (numbers as strings, used from remaining)", async () => {
  const { readings, request } = await fetched(
    "kimi",
    "kimi-usages",
    { access_token: "kimi-access" },
    (url) => ({ baseUrl: `${url}/coding/v1` }),
  );
  assertEquals(request.path, "/coding/v1/usages");
  assertEquals(request.headers.get("authorization"), "Bearer kimi-access");
  assertEquals(readings, [
    { name: "7d", usedPercent: 26, resetsAt: at("2026-11-24T08:00:00.118Z") },
    { name: "5h", usedPercent: 45, resetsAt: at("2026-11-20T14:00:00.118Z") },
  ]);
});

Deno.test("Gemini Code Assist: retrieveUserQuota with the login's project, a window per model", async () => {
  const { readings, request } = await fetched(
    "gemini",
    "gemini-retrieve-user-quota",
    { access_token: "ya29.quota", project_id: "proj-42" },
    (url) => ({ baseUrl: `${url}/v1internal` }),
  );
  assertEquals(request.method, "POST");
  assertEquals(request.path, "/v1internal:retrieveUserQuota");
  assertEquals(JSON.parse(request.body), { project: "proj-42" });
  const reset = at("2026-11-21T07:00:00Z");
  assertEquals(readings.map((r) => [r.name, Math.round(r.usedPercent), r.models, r.resetsAt]), [
    ["gemini-2.5-pro", 20, ["gemini-2.5-pro"], reset],
    ["gemini-2.5-flash", 100, ["gemini-2.5-flash"], reset],
    ["gemini-3-flash", 0, ["gemini-3-flash"], reset],
  ]);
});

Deno.test("a refusing usage endpoint is an error with its status and retry-after", async () => {
  const server = startUsageServer();
  try {
    server.answer("sk-ant-oat01-busy", { status: 429, headers: { "retry-after": "120" } });
    const error = await PROVIDERS.claude.quota!.fetch!(
      { id: "file:busy.json", credentials: { access_token: "sk-ant-oat01-busy" } },
      { baseUrl: server.url },
      AbortSignal.timeout(5000),
    ).then(() => undefined, (e) => e);
    assertEquals([error?.status, error?.retryAfterSeconds], [429, 120]);
  } finally {
    await server.close();
  }
});
