/**
 * The quota book, the pool and the poller together, in process: a used-up window rests its login
 * until the reset and a reading with headroom lifts the rest at once; the strategies order by
 * headroom; the poller keeps its pace against a local usage endpoint.
 */
import { assert, assertEquals } from "./helpers/assert.ts";
import { quotaAnswer, quotaBody, startUsageServer, unixIn } from "./helpers/quota-fixtures.ts";
import { createPool } from "../src/pool/pool.ts";
import { createQuotaBook } from "../src/pool/quota-book.ts";
import { startQuotaPoller } from "../src/pool/quota-poller.ts";
import { createLogger } from "../src/log/logger.ts";
import type { LoginAccount } from "../src/store/account.ts";
import type { ProviderId } from "../src/providers/registry.ts";

const SONNET = "claude-sonnet-4-6";
const OPUS = "claude-opus-4-6";

function login(name: string, provider: ProviderId = "claude", extra: Partial<LoginAccount> = {}) {
  return {
    id: `file:${provider}-${name}.json`,
    kind: "oauth",
    source: "file",
    provider,
    file: `${provider}-${name}.json`,
    label: name,
    disabled: false,
    needsLogin: false,
    models: [SONNET, OPUS],
    modelSource: "built-in",
    ownedBy: provider,
    credentials: { access_token: `token-${name}` },
    ...extra,
  } as LoginAccount;
}

/** Claude's unified headers: 5h at `used` (a fraction), resetting in `seconds`. */
function claudeHeaders(used: number, seconds: number, status = used >= 1 ? "rejected" : "allowed") {
  return new Headers({
    "anthropic-ratelimit-unified-status": status,
    "anthropic-ratelimit-unified-5h-status": status,
    "anthropic-ratelimit-unified-5h-utilization": String(used),
    "anthropic-ratelimit-unified-5h-reset": unixIn(seconds),
    "anthropic-ratelimit-unified-7d-status": "allowed",
    "anthropic-ratelimit-unified-7d-utilization": "0.3",
    "anthropic-ratelimit-unified-7d-reset": unixIn(5 * 86400),
  });
}

const ids = (accounts: readonly { label: string }[]) => accounts.map((a) => a.label);

Deno.test("a window at 100 % rests the login until its reset; a reading with headroom lifts it at once", () => {
  const pool = createPool();
  const [ada, bob] = [login("ada"), login("bob")];
  pool.quota.answered(ada, 429, new Headers(quotaAnswer("claude-headers-rejected").headers));
  // That answer's reset is fixed in the fixture; here it is two hours away.
  pool.quota.answered(ada, 429, claudeHeaders(1, 7200));
  let selection = pool.select([[ada, bob]], SONNET, "fill-first");
  assertEquals(ids(selection.ready), ["bob"]);
  assertEquals(selection.resting.map((r) => [r.account.label, r.kind, r.reason]), [
    ["ada", "quota", "5h window spent"],
  ]);
  const wait = selection.resting[0].until - Date.now();
  assert(wait > 7190_000 && wait <= 7200_000, `rests until the window's reset (${wait} ms)`);
  // The 429 that came with those headers rests nothing of its own: the quota rest stands for it.
  pool.rest(ada, SONNET, { kind: "limit", reason: "quota spent", until: Date.now() + 7200_000 });
  // The usage endpoint says there is room again (the plan was upgraded): back at once.
  pool.quota.record(
    ada.id,
    [{ name: "5h", usedPercent: 12, resetsAt: Date.now() + 7200_000 }],
    "endpoint",
  );
  selection = pool.select([[ada, bob]], SONNET, "fill-first");
  assertEquals(ids(selection.ready), ["ada", "bob"]);
  assertEquals(selection.resting, []);
});

Deno.test("a rest ends when its reset passes, and fill-first goes back to the preferred login", async () => {
  const pool = createPool();
  const [ada, bob] = [login("ada"), login("bob")];
  pool.quota.answered(ada, 429, claudeHeaders(1, 1));
  assertEquals(ids(pool.select([[ada, bob]], SONNET, "fill-first").ready), ["bob"]);
  await new Promise((resolve) => setTimeout(resolve, 1100));
  assertEquals(ids(pool.select([[ada, bob]], SONNET, "fill-first").ready), ["ada", "bob"]);
});

Deno.test("a model's own weekly window rests that model only", () => {
  const pool = createPool();
  const ada = login("ada");
  pool.quota.record(ada.id, [
    { name: "7d-opus", models: ["*opus*"], usedPercent: 100, resetsAt: Date.now() + 86400_000 },
    { name: "7d", usedPercent: 40, resetsAt: Date.now() + 86400_000 },
  ], "endpoint");
  assertEquals(ids(pool.select([[ada]], OPUS, "round-robin").ready), []);
  assertEquals(ids(pool.select([[ada]], SONNET, "round-robin").ready), ["ada"]);
  // An alias is judged by the upstream's name for it.
  const aliased = { ...ada, upstreamModels: { "big-one": OPUS } };
  assertEquals(ids(pool.select([[aliased]], "big-one", "round-robin").ready), []);
  // The state `subgate accounts` reads says so.
  const state = pool.snapshot()[ada.id];
  assertEquals(state.resting.map((r) => [r.model, r.reason]), [["*opus*", "7d-opus window spent"]]);
  assertEquals(state.quota!.windows.map((w) => [w.name, w.spent]), [["7d-opus", true], [
    "7d",
    false,
  ]]);
});

Deno.test("an advisory window (Copilot's premium requests) is weighed but never rests the login", () => {
  const pool = createPool();
  const octo = login("octo", "copilot");
  pool.quota.answered(
    octo,
    200,
    new Headers({
      "x-quota-snapshot-premium_interactions": "ent=300&ov=0.0&ovPerm=false&rem=0.0&rst=2099-01-01",
    }),
  );
  assertEquals(pool.quota.windows(octo.id)[0].exhausted, true);
  assertEquals(ids(pool.select([[octo]], "gpt-4.1", "quota").ready), ["octo"]);
  assertEquals(pool.quota.headroom(octo.id, "gpt-4.1")?.left, 0);
});

Deno.test("quota strategy: most headroom first; among close ones the soonest reset; no reading counts as room", () => {
  const pool = createPool();
  const [a, b, c, d] = ["a", "b", "c", "d"].map((name) => login(name));
  const window = (usedPercent: number, hours: number) => [
    { name: "5h", usedPercent, resetsAt: Date.now() + hours * 3600_000 },
  ];
  pool.quota.record(a.id, window(85, 1), "header");
  pool.quota.record(b.id, window(20, 4), "header");
  pool.quota.record(c.id, window(24, 2), "header");
  // d has no reading yet.
  for (let i = 0; i < 5; i++) {
    assertEquals(ids(pool.select([[a, b, c, d]], SONNET, "quota").ready), ["d", "c", "b", "a"]);
  }
  // A tighter window elsewhere counts: b's week is nearly spent.
  pool.quota.record(
    b.id,
    [{ name: "7d", usedPercent: 97, resetsAt: Date.now() + 86400_000 }],
    "header",
  );
  assertEquals(ids(pool.select([[a, b, c]], SONNET, "quota").ready), ["c", "a", "b"]);
});

Deno.test("quota strategy spreads over equals; round-robin only moves a nearly spent login last", () => {
  const pool = createPool();
  const [a, b, c] = ["a", "b", "c"].map((name) => login(name));
  const firsts = new Set<string>();
  for (let i = 0; i < 6; i++) firsts.add(pool.select([[a, b, c]], SONNET, "quota").ready[0].label);
  assertEquals(firsts.size, 3, "without readings the quota strategy rotates like round-robin");
  pool.quota.record(
    b.id,
    [{ name: "5h", usedPercent: 95, resetsAt: Date.now() + 3600_000 }],
    "header",
  );
  pool.quota.record(
    c.id,
    [{ name: "5h", usedPercent: 50, resetsAt: Date.now() + 3600_000 }],
    "header",
  );
  const orders = Array.from(
    { length: 3 },
    () => ids(pool.select([[a, b, c]], SONNET, "round-robin").ready),
  );
  // The rotation goes on (a, c take turns first); b, with 5 % left, always comes last.
  assertEquals(orders.map((order) => order.at(-1)), ["b", "b", "b"]);
  assertEquals(new Set(orders.map((order) => order[0])), new Set(["a", "c"]));
});

const quietLog = () => createLogger("error");

Deno.test("the poller asks each login at its pace, four at a time at most, and never the idle ones", async () => {
  const usage = startUsageServer({ delayMs: 40 });
  const logins = Array.from({ length: 10 }, (_, i) => login(`user${i}`));
  const idle = [
    login("off", "claude", { disabled: true }),
    login("gone", "claude", { needsLogin: true }),
    login("old", "claude", { expiresAt: new Date(Date.now() - 1000) }),
    login("apikey", "claude", { kind: "claude-api-key" } as unknown as Partial<LoginAccount>),
  ];
  for (const account of [...logins, ...idle]) {
    usage.answer(String(account.credentials.access_token), { body: quotaBody("claude-usage") });
  }
  const book = createQuotaBook();
  const poller = startQuotaPoller({
    accounts: () => [...logins, ...idle],
    providers: () => ({ claude: { baseUrl: usage.url, headers: {} } }),
    book,
    log: quietLog(),
    firstPollMs: [0, 50],
    paceMs: 400,
  });
  try {
    await new Promise((resolve) => setTimeout(resolve, 1300));
    for (const account of logins) {
      const asked = usage.count(String(account.credentials.access_token));
      // Due at start, then every 320–480 ms: three or four times in 1.3 s, never a storm.
      assert(asked >= 2 && asked <= 4, `${account.label} asked ${asked} times`);
      assertEquals(book.windows(account.id).map((w) => [w.name, w.source]), [
        ["5h", "endpoint"],
        ["7d", "endpoint"],
        ["7d-sonnet", "endpoint"],
      ]);
    }
    for (const account of idle) {
      assertEquals(usage.count(String(account.credentials.access_token)), 0);
    }
    assert(usage.maxInFlight() <= 4, `at most four at once (${usage.maxInFlight()})`);
    assertEquals(usage.seen.every((r) => r.path === "/api/oauth/usage"), true);
  } finally {
    poller.stop();
    await usage.close();
  }
});

Deno.test("on demand: asked now, then at most once a minute; failures back off and are noted", async () => {
  const usage = startUsageServer();
  const [ada, busy] = [login("ada"), login("busy")];
  usage.answer("token-ada", { body: quotaBody("claude-usage") });
  usage.answer("token-busy", { status: 429, headers: { "retry-after": "600" } });
  const book = createQuotaBook();
  const poller = startQuotaPoller({
    accounts: () => [ada, busy],
    providers: () => ({ claude: { baseUrl: usage.url, headers: {} } }),
    book,
    log: quietLog(),
    // Scheduled polls far away: only the demands below ask.
    firstPollMs: [3600_000, 3600_000],
  });
  try {
    const first = await poller.refresh(ada.id);
    assertEquals(first.status, "polled");
    assertEquals(first.windows.length, 3);
    const again = await Promise.all([poller.refresh(ada.id), poller.refresh(ada.id)]);
    assertEquals(again.map((r) => r.status), ["fresh", "fresh"]);
    assertEquals(usage.count("token-ada"), 1);

    const refused = await poller.refresh(busy.id);
    assertEquals(refused.status, "failed");
    assertEquals(refused.reason, "the usage endpoint answered HTTP 429");
    const noted = book.snapshot()[busy.id];
    assertEquals(noted.pollError, "the usage endpoint answered HTTP 429");
    const next = Date.parse(noted.nextPoll!) - Date.now();
    assert(next > 590_000 && next <= 600_000, `asks again after retry-after (${next} ms)`);
    assertEquals((await poller.refresh("file:nobody.json")).status, "unknown");
  } finally {
    poller.stop();
    await usage.close();
  }
});
