/**
 * The management API's wiring to the parts that keep their own records (usage ledger, plan
 * quota, named client keys), with small fakes of its source interfaces standing in until those
 * parts exist; and the pieces its access rules and config editing stand on (addresses, redaction).
 * In memory: the app gets each request with the connection a server would give it.
 */
import { assert, assertEquals, assertMatch } from "./helpers/assert.ts";
import { parsePrometheusText, sampleSum } from "./helpers/prometheus-text.ts";
import { startManageApp } from "./helpers/manage-app.ts";
import type {
  ClientKeyView,
  KeySource,
  NewClientKey,
  QuotaSource,
  UsageQuery,
  UsageSource,
} from "../src/server/manage/sources.ts";
import { callerOf } from "../src/server/manage/caller.ts";
import { formatIp, parseIp, parseIpRange } from "../src/net/ip-address.ts";
import {
  isSecretName,
  redactConfigText,
  restoreSecrets,
} from "../src/server/manage/redact-config.ts";

const ACCOUNT = "config:claude-api-key[0]";

function fakeSources() {
  const queries: UsageQuery[] = [];
  const usage: UsageSource = {
    query(query) {
      queries.push(query);
      return Promise.resolve([{
        bucket: new Date(query.from).toISOString(),
        group: query.group === "account" ? ACCOUNT : "claude-sonnet-4-6",
        requests: 3,
        errors: 1,
        inputTokens: 120,
        outputTokens: 40,
        cacheReadTokens: 100,
        cacheWriteTokens: 0,
        reasoningTokens: 0,
      }]);
    },
  };
  const refreshed: (string | undefined)[] = [];
  const quota: QuotaSource = {
    snapshot: () => [{
      accountId: ACCOUNT,
      windows: [{ name: "five_hour", usedPercent: 42, resetsAt: "2026-12-05T03:00:00Z" }],
      readAt: "2026-12-04T23:00:00Z",
    }],
    refresh(accountId) {
      refreshed.push(accountId);
      return Promise.resolve();
    },
  };
  const created: NewClientKey[] = [];
  const keys = new Map<string, ClientKeyView>([["ops", { name: "ops", source: "config" }]]);
  const keySource: KeySource = {
    list: () => Promise.resolve([...keys.values()]),
    create(input) {
      created.push(input);
      const view: ClientKeyView = { ...input, source: "api", createdAt: "2026-12-04T23:00:00Z" };
      keys.set(input.name, view);
      return Promise.resolve({ key: `sg-${input.name}-secret-0123456789`, view });
    },
    revoke: (name) => Promise.resolve(keys.get(name)?.source === "api" && keys.delete(name)),
  };
  return { usage, quota, keys: keySource, queries, refreshed, created };
}

async function appWith(sources: ReturnType<typeof fakeSources>, managementKey?: string) {
  const { fetch, close } = await startManageApp({
    managementKey,
    sources: { usage: sources.usage, quota: sources.quota, keys: sources.keys },
  });
  const call = async (
    path: string,
    init: RequestInit = {},
    from = "127.0.0.1",
    base = "http://127.0.0.1:8317",
  ) => {
    const started = performance.now();
    const response = await fetch(path, init, { from, base });
    const text = await response.text();
    return {
      status: response.status,
      ms: performance.now() - started,
      text,
      body: response.headers.get("content-type")?.includes("json") ? JSON.parse(text) : text,
    };
  };
  return { call, close };
}

const post = (json: unknown): RequestInit => ({ method: "POST", body: JSON.stringify(json) });

Deno.test("usage: the query reaches the source as parsed; bad parameters say what they take", async () => {
  const sources = fakeSources();
  const { call, close } = await appWith(sources);
  const answer = await call("/manage/usage?from=2026-12-01&to=2026-12-03&group=model&bucket=day");
  assertEquals(answer.status, 200, answer.text);
  assertEquals(sources.queries.at(-1), {
    from: Date.parse("2026-12-01"),
    to: Date.parse("2026-12-03"),
    group: "model",
    bucket: "day",
  });
  assertEquals(answer.body.rows[0].group, "claude-sonnet-4-6");
  assertEquals(answer.body.rows[0].inputTokens, 120);
  // Defaults: the last day, by account, per hour.
  await call("/manage/usage");
  const defaults = sources.queries.at(-1)!;
  assertEquals([defaults.group, defaults.bucket], ["account", "hour"]);
  assertEquals(defaults.to - defaults.from, 86_400_000);
  for (
    const [query, message] of [
      ["group=team", /group: one of account, model, key, provider/],
      ["bucket=week", /bucket: one of hour, day/],
      ["from=yesterday", /from: a time such as/],
      ["from=2026-12-03&to=2026-12-01", /from: must be before to/],
    ] as const
  ) {
    const refused = await call(`/manage/usage?${query}`);
    assertEquals(refused.status, 400, query);
    assertMatch(refused.body.error.message, message);
  }
  await close();
});

Deno.test("quota and usage today join the account list, and the quota gauge joins /metrics", async () => {
  const sources = fakeSources();
  const { call, close } = await appWith(sources);
  const quota = await call("/manage/quota");
  assertEquals(quota.body.accounts[0].windows[0].usedPercent, 42);
  const accounts = await call("/manage/accounts");
  const account = accounts.body.accounts[0];
  assertEquals(account.id, ACCOUNT);
  assertEquals(account.quota.windows[0].name, "five_hour");
  assertEquals(account.usageToday.requests, 3);
  assertEquals(account.usageToday.cacheReadTokens, 100);
  const again = await call(`/manage/quota/refresh?account=${encodeURIComponent(ACCOUNT)}`, {
    method: "POST",
  });
  assertEquals(again.status, 200);
  assertEquals(sources.refreshed, [ACCOUNT]);
  const families = parsePrometheusText((await call("/metrics")).body);
  assertEquals(
    sampleSum(families, "subgate_quota_used_ratio", { window: "five_hour", provider: "claude" }),
    0.42,
  );
  assert(!accounts.text.includes("sk-ant-api03-fake"));
  await close();
});

Deno.test("keys: created with the key shown once, listed without it, revoked by name", async () => {
  const sources = fakeSources();
  const { call, close } = await appWith(sources);
  const created = await call(
    "/manage/keys",
    post({
      name: "ci-runner",
      models: ["claude-*"],
      limits: { "requests-per-minute": 60, "tokens-per-day": 1_000_000 },
      expires: "2027-01-01T00:00:00Z",
    }),
  );
  assertEquals(created.status, 201, created.text);
  assertEquals(created.body.key, "sg-ci-runner-secret-0123456789");
  assertMatch(created.body.note, /only time the key is shown/);
  assertEquals(sources.created[0], {
    name: "ci-runner",
    models: ["claude-*"],
    limits: { requestsPerMinute: 60, tokensPerDay: 1_000_000 },
    expires: "2027-01-01T00:00:00Z",
  });
  const listed = await call("/manage/keys");
  assertEquals(listed.body.keys.map((k: { name: string }) => k.name), ["ops", "ci-runner"]);
  assert(!listed.text.includes("secret-0123456789"), "the list never shows a key");
  assertEquals((await call("/manage/keys", post({ name: "ci-runner" }))).status, 409);
  for (
    const [body, message] of [
      [{}, /name: required/],
      [{ name: "has space" }, /name: required, up to 64/],
      [{ name: "x", limits: { "requests-per-hour": 5 } }, /limits\.requests-per-hour: unknown/],
      [{ name: "x", limits: { "requests-per-minute": 0 } }, /at least 1/],
      [{ name: "x", models: "claude-*" }, /models: a list/],
      [{ name: "x", expires: "soon" }, /expires: a time/],
    ] as const
  ) {
    const refused = await call("/manage/keys", post(body));
    assertEquals(refused.status, 400, JSON.stringify(body));
    assertMatch(refused.body.error.message, message);
  }
  assertEquals((await call("/manage/keys/ci-runner", { method: "DELETE" })).status, 200);
  assertEquals((await call("/manage/keys/ci-runner", { method: "DELETE" })).status, 404);
  assertEquals((await call("/manage/keys", { method: "DELETE", body: "{}" })).status, 400);
  await close();
});

Deno.test("in memory too, a caller that is not loopback is refused without a key", async () => {
  const { call, close } = await appWith(fakeSources());
  assertEquals((await call("/manage/accounts", {}, "::1")).status, 200);
  assertEquals((await call("/manage/accounts", {}, "::ffff:127.0.0.1")).status, 200);
  const remote = await call("/manage/accounts", {}, "10.1.2.3");
  assertEquals(remote.status, 403);
  assertMatch(remote.body.error.message, /comes from 10\.1\.2\.3/);
  await close();
});

Deno.test("a wrong key is counted once per request, on /manage itself too: the 4th is slowed", async () => {
  const { call, close } = await appWith(fakeSources(), "mk-right-key-0123456789");
  const wrong = { headers: { authorization: "Bearer mk-wrong" } };
  for (const path of ["/manage", "/metrics", "/manage/accounts"]) {
    const answer = await call(path, wrong, "10.9.8.7");
    assertEquals(answer.status, 401, path);
    assert(answer.ms < 400, `${path} answered at once (${Math.round(answer.ms)} ms)`);
  }
  const fourth = await call("/manage", wrong, "10.9.8.7");
  assertEquals(fourth.status, 401);
  assert(fourth.ms >= 450, `the 4th wrong key waits (${Math.round(fourth.ms)} ms)`);
  const right = await call("/manage", {
    headers: { authorization: "Bearer mk-right-key-0123456789" },
  }, "10.9.8.7");
  assertEquals(right.body.manager, { who: "management key", address: "10.9.8.7" });
  await close();
});

Deno.test("browser-borne requests: another origin is refused; without a key, so is a host name that is not this machine", async () => {
  const { call, close } = await appWith(fakeSources());
  const page = (origin: string) => ({ method: "POST", headers: { origin }, body: "{}" });
  const forged = await call("/manage/keys", page("https://evil.example"));
  assertEquals(forged.status, 403);
  assertMatch(forged.body.error.message, /another origin \(https:\/\/evil\.example\)/);
  assertEquals((await call("/manage/keys", page("http://127.0.0.1:8317"))).status, 400);
  assertEquals((await call("/manage", {}, "127.0.0.1", "http://localhost:8317")).status, 200);
  const rebound = await call("/manage/accounts", {}, "127.0.0.1", "http://rebind.example:8317");
  assertEquals(rebound.status, 403);
  assertMatch(
    rebound.body.error.message,
    /addressed to this machine only.*not to 'rebind\.example'/,
  );
  await close();
  const keyed = await appWith(fakeSources(), "mk-right-key-0123456789");
  const withKey = await keyed.call(
    "/manage",
    {
      headers: { authorization: "Bearer mk-right-key-0123456789" },
    },
    "127.0.0.1",
    "http://subgate.lan:8317",
  );
  assertEquals(withKey.status, 200, "with a key, any name may be used");
  await keyed.close();
});

Deno.test("addresses: parsed and matched by value, v4-mapped v6 as v4; X-Forwarded-For only from trusted peers", () => {
  assertEquals(formatIp(parseIp("::ffff:10.0.0.1")!), "10.0.0.1");
  assertEquals(formatIp(parseIp("0:0:0:0:0:0:0:1")!), "::1");
  assertEquals(formatIp(parseIp("[2001:db8::5]")!, { network64: true }), "2001:db8::/64");
  assertEquals(parseIp("256.1.1.1"), undefined);
  assertEquals(parseIp("1:2:3"), undefined);
  assert("problem" in parseIpRange("10.0.0.0/33"));
  assert("problem" in parseIpRange("proxy.local"));
  const headers = (forwarded: string) => new Headers({ "x-forwarded-for": forwarded });
  const trusted = ["10.0.0.0/8", "::1"];
  assertEquals(
    callerOf("10.0.0.2", headers("198.51.100.4, 10.0.0.9"), trusted).address,
    "198.51.100.4",
  );
  assertEquals(callerOf("10.0.0.2", headers("10.0.0.7"), trusted).address, "10.0.0.7");
  assertEquals(callerOf("10.0.0.2", headers("[::1]:443"), trusted).local, true);
  assertEquals(callerOf("192.0.2.1", headers("127.0.0.1"), trusted).address, "192.0.2.1");
  assertEquals(callerOf("127.0.0.1", headers("127.0.0.1"), trusted).local, false);
  assertEquals(callerOf("::1", new Headers(), trusted).local, true);
  assertEquals(callerOf("2001:db8::1", new Headers(), []).lockoutKey, "2001:db8::/64");
});

Deno.test("config redaction: key-like values and headers become placeholders, and come back from them", () => {
  for (
    const name of [
      "api-key",
      "api-keys",
      "management-key",
      "key",
      "key-sha256",
      "apiKey",
      "client_secret",
    ]
  ) {
    assert(isSecretName(name), name);
  }
  for (const name of ["api-url", "keyboard", "models", "excluded-models", "name"]) {
    assert(!isSecretName(name), name);
  }
  const text = [
    "api-keys: [alpha-key-1, 'beta key']",
    "openai-compatibility:",
    "  - name: router",
    "    base-url: https://user:pw@router.example/v1 # a password in the URL",
    "    api-key-entries:",
    "      - api-key: |",
    "          multi",
    "    headers: {x-org: acme}",
    "log-level: debug",
    "",
  ].join("\n");
  const redacted = redactConfigText(text)!;
  for (const secret of ["alpha-key-1", "beta key", "user:pw", "multi", "acme"]) {
    assert(!redacted.text.includes(secret), secret);
  }
  assertMatch(redacted.text, /api-keys: \["<redacted:1>", "<redacted:2>"\]/);
  assertMatch(redacted.text, /log-level: debug/);
  const restored = restoreSecrets(redacted.text, redacted.secrets);
  assert("text" in restored);
  const again = redactConfigText(restored.text)!;
  assertEquals(again.secrets, [
    "alpha-key-1",
    "beta key",
    "https://user:pw@router.example/v1",
    "multi\n",
    "acme",
  ]);
  const wrong = restoreSecrets('api-keys: ["<redacted:7>"]\n', redacted.secrets);
  assert("problems" in wrong);
  assertEquals(wrong.problems[0].path, "api-keys[0]");
  assertEquals(wrong.problems[0].line, 1);
});
