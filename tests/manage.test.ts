/**
 * The management API and /metrics against a started subgate: accounts and what can be done to
 * them, recent requests and their live tail, the config read redacted and written back, the
 * sources that are not there yet, and the Prometheus text.
 */
import { assert, assertEquals, assertMatch } from "./helpers/assert.ts";
import {
  ADA_TOKEN,
  ask,
  CLIENT_KEY,
  CONFIG_KEY,
  GRACE_TOKEN,
  withManageWorld,
} from "./helpers/manage-world.ts";
import { parsePrometheusText, sampleSum } from "./helpers/prometheus-text.ts";
import { eventually } from "./helpers/subgate-process.ts";
import { CLAUDE_REFRESH } from "./helpers/fixtures.ts";

const ADA = encodeURIComponent("file:claude-ada@example.com.json");
const CONFIG_ACCOUNT = encodeURIComponent("config:claude-api-key[0]");

/** No secret of the world appears in a text the API answered. */
function assertNoSecrets(text: string) {
  for (const secret of [ADA_TOKEN, GRACE_TOKEN, CONFIG_KEY, CLIENT_KEY, CLAUDE_REFRESH]) {
    assert(!text.includes(secret), `the answer holds a secret: ${secret.slice(0, 16)}…`);
  }
}

Deno.test("accounts: listed with their state; disable stops the pool using one, enable brings it back; config accounts refuse with 409", () =>
  withManageWorld(async ({ call, server, upstream, authDir }) => {
    const listed = await call("/manage/accounts");
    assertEquals(listed.status, 200);
    assertNoSecrets(listed.text);
    // deno-lint-ignore no-explicit-any -- the answer's JSON, asserted field by field
    const byId = new Map<string, any>(listed.body.accounts.map((a: { id: string }) => [a.id, a]));
    assertEquals(
      [...byId.keys()].sort(),
      [
        "config:claude-api-key[0]",
        "file:claude-ada@example.com.json",
        "file:claude-grace@example.com.json",
      ],
    );
    const ada = byId.get("file:claude-ada@example.com.json")!;
    assertEquals(
      [ada.provider, ada.kind, ada.source, ada.label, ada.state],
      ["claude", "oauth", "file", "ada@example.com", "ready"],
    );
    assertEquals(ada.expires, "2099-01-01T00:00:00Z");
    assertEquals(ada.lastRefresh, "2026-11-20T10:00:00Z");
    assertEquals([ada.requests, ada.errors], [0, 0]);
    assertEquals(byId.get("config:claude-api-key[0]")!.kind, "claude-api-key");
    assertEquals(listed.body.problems, []);
    const one = await call(`/manage/accounts/${ADA}`);
    // The same account; its model list may have arrived from the upstream in between.
    const { models: _listedModels, ...listedAda } = ada;
    const { models: _oneModels, ...oneAda } = one.body.account;
    assertEquals(oneAda, listedAda);

    // Every account serves at first.
    for (let i = 0; i < 6; i++) assertEquals(await ask(server), 200);
    assert(upstream.calls.some((c) => c.who === "ada"));

    const disabled = await call(`/manage/accounts/${ADA}/disable`, { method: "POST" });
    assertEquals(disabled.status, 200, disabled.text);
    assertEquals(disabled.body.account.state, "disabled");
    const file = JSON.parse(await Deno.readTextFile(`${authDir}/claude-ada@example.com.json`));
    assertEquals(file.disabled, true);
    assertEquals(file.access_token, ADA_TOKEN, "the rest of the file is kept");
    await server.waitForLog(
      /management change who=loopback from=127\.0\.0\.1 action="account disabled"/,
    );
    const before = upstream.calls.length;
    for (let i = 0; i < 6; i++) assertEquals(await ask(server), 200);
    assertEquals(upstream.calls.slice(before).filter((c) => c.who === "ada"), []);

    // The file name and the label name the account too.
    const enabled = await call("/manage/accounts/ada@example.com/enable", { method: "POST" });
    assertEquals(enabled.body.account.state, "ready");
    assert(
      !("disabled" in
        JSON.parse(await Deno.readTextFile(`${authDir}/claude-ada@example.com.json`))),
    );
    const after = upstream.calls.length;
    for (let i = 0; i < 6; i++) assertEquals(await ask(server), 200);
    assert(upstream.calls.slice(after).some((c) => c.who === "ada"), "ada serves again");

    const refused = await call(`/manage/accounts/${CONFIG_ACCOUNT}/disable`, { method: "POST" });
    assertEquals(refused.status, 409);
    assertMatch(refused.body.error.message, /defined in config\.yaml \(claude-api-key\[0\]\)/);
    assertEquals(refused.body.error.type, "invalid_request_error");
    const noRefresh = await call(`/manage/accounts/${CONFIG_ACCOUNT}/refresh`, { method: "POST" });
    assertEquals(noRefresh.status, 409);
    assertMatch(noRefresh.body.error.message, /no token to refresh/);

    const missing = await call("/manage/accounts/nobody/disable", { method: "POST" });
    assertEquals(missing.status, 404);
    assertMatch(missing.body.error.message, /No account 'nobody'/);
  }));

Deno.test("accounts: a test sends one tiny real request; a failure says why; delete removes the file", () =>
  withManageWorld(async ({ call, upstream, authDir, server }) => {
    const grace = encodeURIComponent("file:claude-grace@example.com.json");
    const tested = await call(`/manage/accounts/${grace}/test`, { method: "POST" });
    assertEquals(tested.status, 200, tested.text);
    assertEquals(tested.body.test.ok, true);
    assertEquals(tested.body.test.status, 200);
    assertEquals(tested.body.test.dialect, "anthropic");
    assert(typeof tested.body.test.latencyMs === "number");
    const sent = upstream.calls.at(-1)!;
    assertEquals(sent.who, "grace");
    assertEquals(sent.body.max_tokens, 1);
    assertEquals(sent.body.messages, [{ role: "user", content: "Hi" }]);
    assertEquals(tested.body.account.requests, 1);

    upstream.fail("grace", 500);
    const failing = await call(`/manage/accounts/${grace}/test`, {
      method: "POST",
      json: { model: "claude-sonnet-4-6" },
    });
    assertEquals(failing.body.test.ok, false);
    assertEquals(failing.body.test.status, 500);
    assertMatch(failing.body.test.error, /scripted failure/);
    assertEquals(failing.body.test.model, "claude-sonnet-4-6");
    const badBody = await call(`/manage/accounts/${grace}/test`, { method: "POST", body: "{" });
    assertEquals(badBody.status, 400);
    assertMatch(badBody.body.error.message, /not valid JSON/);

    const deleted = await call(`/manage/accounts/${grace}`, { method: "DELETE" });
    assertEquals(deleted.status, 200, deleted.text);
    assertEquals(deleted.body.deleted, "file:claude-grace@example.com.json");
    await Deno.stat(`${authDir}/claude-grace@example.com.json`).then(
      () => assert(false, "the file is gone"),
      (error) => assert(error instanceof Deno.errors.NotFound),
    );
    const listed = await call("/manage/accounts");
    assert(!listed.body.accounts.some((a: { label: string }) => a.label === "grace@example.com"));
    assertEquals((await call(`/manage/accounts/${grace}`, { method: "DELETE" })).status, 404);
    assertEquals(
      (await call(`/manage/accounts/${CONFIG_ACCOUNT}`, { method: "DELETE" })).status,
      409,
    );
    await server.waitForLog(/action="account deleted" provider=claude account=grace@example\.com/);
  }));

Deno.test("recent requests: metadata only, newest first, limited; the live tail streams new ones", () =>
  withManageWorld(async ({ call, server }) => {
    const tail = await fetch(`${server.url}/manage/requests/stream`);
    assertEquals(tail.headers.get("content-type"), "text/event-stream; charset=utf-8");
    const reader = tail.body!.pipeThrough(new TextDecoderStream()).getReader();
    assertEquals(await ask(server), 200);
    assertEquals(await ask(server, "no-such-model-anywhere"), 404);

    // Both arrive; a refusal is reported at once, an answer once it has been sent, so the
    // order is not the order of asking.
    let streamed = "";
    const pattern = /event: request\nid: (\d+)\ndata: (.*)\n\n/g;
    while ([...streamed.matchAll(pattern)].length < 2) {
      const { value, done } = await reader.read();
      if (done) break;
      streamed += value;
    }
    await reader.cancel();
    const events = [...streamed.matchAll(pattern)];
    assertEquals(events.map((e) => e[1]), ["1", "2"]);
    const first = events.map((e) => JSON.parse(e[2])).find((r) => r.status === 200);
    assertEquals(first.status, 200);
    assertEquals(first.clientDialect, "anthropic");
    assertEquals(first.upstreamDialect, "anthropic");
    assertEquals(first.requestedModel, "claude-sonnet-4-6");
    assertEquals(first.account.provider, "claude");
    assert(first.latencyMs >= first.firstByteMs);

    const refused = events.map((e) => JSON.parse(e[2])).find((r) => r.status === 404);
    assertEquals(refused.requestedModel, "no-such-model-anywhere");
    assertMatch(refused.error, /no-such-model-anywhere/);
    const recent = await call("/manage/requests?limit=1");
    assertEquals(recent.status, 200);
    assertEquals(recent.body.requests.length, 1);
    assertEquals(recent.body.requests[0].seq, 2, "the newest first");
    const all = await call("/manage/requests");
    assertEquals(all.body.requests.map((r: { seq: number }) => r.seq), [2, 1]);
    assertNoSecrets(all.text + streamed);

    // A tail that reconnects gets what it missed.
    const again = await fetch(`${server.url}/manage/requests/stream`, {
      headers: { "last-event-id": "1" },
    });
    const replay = again.body!.pipeThrough(new TextDecoderStream()).getReader();
    let text = "";
    while (!text.includes("id: 2")) text += (await replay.read()).value ?? "";
    await replay.cancel();
    assert(!text.includes("id: 1\n"));

    for (const bad of ["0", "501", "x"]) {
      const refused = await call(`/manage/requests?limit=${bad}`);
      assertEquals(refused.status, 400);
      assertMatch(refused.body.error.message, /limit: a whole number from 1 to 500/);
    }

    // Past 500 the oldest go: the newest 500 are kept, in order, and a tail resumes after any.
    for (let i = 0; i < 505; i++) await ask(server, `no-such-model-${i}`);
    const kept = (await call("/manage/requests?limit=500")).body.requests as { seq: number }[];
    assertEquals(kept.map((r) => r.seq), Array.from({ length: 500 }, (_, i) => 507 - i));
    const resumed = await fetch(`${server.url}/manage/requests/stream`, {
      headers: { "last-event-id": "505" },
    });
    const resumedReader = resumed.body!.pipeThrough(new TextDecoderStream()).getReader();
    let resumedText = "";
    while (!resumedText.includes("id: 507")) {
      resumedText += (await resumedReader.read()).value ?? "";
    }
    await resumedReader.cancel();
    assertEquals([...resumedText.matchAll(/id: (\d+)/g)].map((m) => m[1]), ["506", "507"]);
  }));

Deno.test("usage, quota and keys come from the ledger, the quota book and the key ring; unknown routes 404", () =>
  withManageWorld(async ({ call, server }) => {
    const index = await call("/manage");
    assertEquals(index.body.sources, { usage: true, quota: true, keys: true });
    assertEquals(await ask(server), 200);
    // The ledger writes in batches: the request shows in the usage once it has.
    await eventually(
      async () => {
        const usage = await call("/manage/usage?group=model&bucket=hour");
        return usage.status === 200 &&
          usage.body.rows.some((row: { requests: number }) => row.requests >= 1);
      },
      8000,
      "the request in the usage",
    );
    const quota = await call("/manage/quota");
    assertEquals(quota.status, 200, quota.text);
    const keys = await call("/manage/keys");
    assertEquals(keys.status, 200, keys.text);
    assert(keys.body.keys.some((key: { name: string }) => key.name === "key-1"), keys.text);
    const created = await call("/manage/keys", { method: "POST", json: { name: "ci" } });
    assertEquals(created.status, 201, created.text);
    assertMatch(created.body.key, /^sg-/);
    const listed = await call("/manage/keys");
    assert(!listed.text.includes(created.body.key), "the key is shown once, at creation");
    const unknown = await call("/manage/nothing-here");
    assertEquals(unknown.status, 404);
    assertEquals(unknown.body.error.type, "invalid_request_error");
  }));

Deno.test("config: shown redacted; an invalid edit names its line and changes nothing; a valid one is written and applied, placeholders filled", () =>
  withManageWorld(async ({ call, authDir, server }) => {
    const path = `${authDir}/config.yaml`;
    const original = await Deno.readTextFile(path);
    const shown = await call("/manage/config");
    assertEquals(shown.status, 200);
    assertNoSecrets(shown.text);
    assertEquals(shown.body.file, path);
    assertMatch(shown.body.text, /api-keys: \["<redacted:1>"\]/);
    assertMatch(shown.body.text, /- api-key: "<redacted:2>"/);
    assertMatch(shown.body.text, /x-team: "<redacted:3>"/);
    assertEquals(shown.body.config.apiKeys.map((key: { key: string }) => key.key), ["<redacted>"]);
    assertEquals(shown.body.config.apiKeyEntries["claude-api-key"][0].apiKey, "<redacted>");
    assertEquals(shown.body.config.routing.strategy, "round-robin");
    const version = shown.body.version;
    assert(typeof version === "string" && version.length > 0);

    // An error: its key path and line come back, and the file stays as it was.
    const broken = shown.body.text.replace("providers:", "request-retry: lots\nproviders:");
    const line = broken.split("\n").findIndex((l: string) => l.startsWith("request-retry")) + 1;
    const rejected = await call("/manage/config", {
      method: "PUT",
      body: broken,
      headers: { "if-match": version },
    });
    assertEquals(rejected.status, 400, rejected.text);
    assertEquals(rejected.body.error.code, "invalid_config");
    assertEquals(rejected.body.error.problems, [{
      path: "request-retry",
      line,
      message: 'must be a whole number, found the text "lots"',
    }]);
    assertMatch(rejected.body.error.message, new RegExp(`line ${line}: request-retry`));
    assertEquals(await Deno.readTextFile(path), original);

    // Placeholders without the version they were read at are not guessed.
    const unversioned = await call("/manage/config", { method: "PUT", body: shown.body.text });
    assertEquals(unversioned.status, 428);
    const unknownSecret = await call("/manage/config", {
      method: "PUT",
      body: shown.body.text.replace("<redacted:3>", "<redacted:9>"),
      headers: { "if-match": version },
    });
    assertEquals(unknownSecret.status, 400);
    assertEquals(unknownSecret.body.error.problems[0].path, "claude-api-key[0].headers.x-team");

    // A good edit: a second client key and fill-first, the old secrets kept by placeholder.
    const edited = shown.body.text
      .replace(
        'api-keys: ["<redacted:1>"]',
        'api-keys: ["<redacted:1>", "sg-second-key-0000000000"]',
      ) +
      "routing:\n  strategy: fill-first\n";
    const saved = await call("/manage/config", {
      method: "PUT",
      body: edited,
      headers: { "if-match": version },
    });
    assertEquals(saved.status, 200, saved.text);
    assertEquals([saved.body.saved, saved.body.applied], [true, true]);
    assertEquals(saved.body.restartNeeded, []);
    const written = await Deno.readTextFile(path);
    assertMatch(written, new RegExp(`api-keys: \\["${CLIENT_KEY}", "sg-second-key-0000000000"\\]`));
    assertMatch(written, new RegExp(`- api-key: "${CONFIG_KEY}"`));
    assertMatch(written, /x-team: "research"/);
    if (Deno.build.os !== "windows") assertEquals((await Deno.stat(path)).mode! & 0o777, 0o600);
    await server.waitForLog(/action="config written"/);
    const second = await fetch(`${server.url}/v1/models`, {
      headers: { authorization: "Bearer sg-second-key-0000000000" },
    });
    await second.body?.cancel();
    assertEquals(second.status, 200, "the new key works: the edit is in force");
    assertEquals((await call("/manage/config")).body.config.routing.strategy, "fill-first");

    // The old version no longer matches the file.
    const stale = await call("/manage/config", {
      method: "PUT",
      body: original,
      headers: { "if-match": version },
    });
    assertEquals(stale.status, 412);
  }));

Deno.test("/metrics: Prometheus text with requests, latency histograms, upstream errors and account states", () =>
  withManageWorld(async ({ call, server, upstream }) => {
    for (let i = 0; i < 3; i++) assertEquals(await ask(server), 200);
    upstream.fail("ada", 500);
    upstream.fail("grace", 500);
    upstream.fail("config", 500);
    await ask(server);
    await call(`/manage/accounts/${ADA}/disable`, { method: "POST" });
    const scraped = await call("/metrics");
    assertEquals(scraped.status, 200);
    assertMatch(scraped.headers.get("content-type")!, /^text\/plain; version=0\.0\.4/);
    const families = parsePrometheusText(scraped.text);
    assertEquals(families.get("subgate_requests_total")?.type, "counter");
    assertEquals(
      sampleSum(families, "subgate_requests_total", {
        dialect: "anthropic",
        provider: "claude",
        model: "claude-sonnet-4-6",
        status: "200",
      }),
      3,
    );
    assertEquals(sampleSum(families, "subgate_requests_total", { status: "500" }), 1);
    assertEquals(families.get("subgate_request_duration_seconds")?.type, "histogram");
    assertEquals(
      sampleSum(families, "subgate_request_duration_seconds_count", { dialect: "anthropic" }),
      4,
    );
    assertEquals(families.get("subgate_time_to_first_byte_seconds")?.type, "histogram");
    assertEquals(sampleSum(families, "subgate_upstream_errors_total", { kind: "server" }), 3);
    assertEquals(sampleSum(families, "subgate_accounts", { state: "disabled" }), 1);
    assertEquals(sampleSum(families, "subgate_accounts", { provider: "claude" }), 3);
    assertEquals(families.get("subgate_token_refreshes_total")?.type, "counter");
    assertEquals(families.get("subgate_tokens_total")?.type, "counter");
    assertEquals(sampleSum(families, "subgate_build_info"), 1);
    assertNoSecrets(scraped.text);
  }));
