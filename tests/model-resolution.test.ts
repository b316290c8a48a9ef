/**
 * Which account serves a model, as a user meets it: names the upstream knows but subgate's
 * lists do not (a model released last week, a CLI's default), the upstream's own 404 for names
 * nobody serves, wildcards, aliases, lists fetched from the upstreams, and the clear answers
 * when nothing can serve: a login that needs login, a key the upstream refused.
 */
import { assert, assertEquals, assertMatch } from "./helpers/assert.ts";
import { codexFile, writeAccount } from "./helpers/fixtures.ts";
import { type ModelUpstream, startModelUpstream } from "./helpers/model-upstream.ts";
import {
  eventually,
  type RunningSubgate,
  startSubgate,
  withTempHome,
} from "./helpers/subgate-process.ts";

const KEY = "sg-resolve-key";

async function post(server: RunningSubgate, path: string, body: unknown, headers = {}) {
  const response = await fetch(`${server.url}${path}`, {
    method: "POST",
    headers: { authorization: `Bearer ${KEY}`, "content-type": "application/json", ...headers },
    body: JSON.stringify(body),
  });
  const text = await response.text();
  return { status: response.status, body: text ? JSON.parse(text) : null };
}

const messages = (server: RunningSubgate, model: string) =>
  post(server, "/v1/messages", {
    model,
    max_tokens: 16,
    messages: [{ role: "user", content: "hi" }],
  }, { "anthropic-version": "2023-06-01" });

const chat = (server: RunningSubgate, model: string) =>
  post(server, "/v1/chat/completions", { model, messages: [{ role: "user", content: "hi" }] });

const gemini = (server: RunningSubgate, model: string) =>
  post(server, `/v1beta/models/${model}:generateContent`, {
    contents: [{ role: "user", parts: [{ text: "hi" }] }],
  });

async function listed(server: RunningSubgate): Promise<string[]> {
  const response = await fetch(`${server.url}/v1/models`, {
    headers: { authorization: `Bearer ${KEY}` },
  });
  return ((await response.json()).data as { id: string }[]).map((model) => model.id);
}

async function withServer(
  config: string,
  fn: (server: RunningSubgate, home: string) => Promise<void>,
  prepare?: (home: string) => Promise<void>,
) {
  await withTempHome(async (home) => {
    await Deno.mkdir(`${home}/.subgate`, { recursive: true, mode: 0o700 });
    await prepare?.(`${home}/.subgate`);
    await Deno.writeTextFile(`${home}/.subgate/config.yaml`, `api-keys: [${KEY}]\n${config}`);
    const server = await startSubgate([], { home });
    try {
      await fn(server, home);
    } finally {
      await server.stop();
    }
  });
}

function upstreams() {
  return {
    anthropic: startModelUpstream({
      knows: (m) => m.startsWith("claude-") && !m.includes("nonexistent"),
      list: ["claude-sonnet-4-6"],
    }),
    google: startModelUpstream({
      knows: (m) => m.startsWith("gemini-") && !m.startsWith("gemini-2.0"),
      list: ["gemini-2.5-flash"],
    }),
    vendor: startModelUpstream({ knows: () => true, list: ["vendor-listed"] }),
  };
}

async function closeAll(all: Record<string, ModelUpstream>) {
  for (const upstream of Object.values(all)) await upstream.close();
}

Deno.test("names the upstream knows but no list names reach the family's accounts; the upstream answers for the rest", async () => {
  const up = upstreams();
  try {
    await withServer(
      [
        "claude-api-key:",
        `  - api-key: ant-key\n    base-url: ${up.anthropic.url}`,
        "gemini-api-key:",
        // CLIProxyAPI configs give Google's host without /v1beta.
        `  - api-key: goog-key\n    base-url: ${up.google.url}\n    excluded-models: ["gemini-1.*"]`,
        "openai-compatibility:",
        `  - name: vendor\n    base-url: ${up.vendor.url}/v1`,
        `    api-key-entries: [{api-key: vendor-key}]`,
        `    models: [fake-model, {name: "vendor-*"}, {name: upstream-name, alias: nice-name}]`,
      ].join("\n"),
      async (server) => {
        // The lists come from the upstreams, replacing the built-in seed.
        await eventually(
          async () => {
            const models = await listed(server);
            return models.includes("gemini-2.5-flash") && !models.includes("claude-opus-4-6");
          },
          5000,
          "the fetched lists",
        );
        const models = await listed(server);
        assert(models.includes("claude-sonnet-4-6"), models.join());
        assert(!models.includes("claude-opus-4-6"), "the seed gave way to the upstream's list");
        assert(!models.some((m) => m.includes("*")), "a pattern is never listed as a model");
        for (const name of ["fake-model", "nice-name", "upstream-name"]) {
          assert(models.includes(name), `${name} is listed`);
        }

        // Claude Code's default, released after this build: the Anthropic key serves it.
        const opus = await messages(server, "claude-opus-4-8");
        assertEquals(opus.status, 200);
        assertEquals(up.anthropic.calls.at(-1), {
          api: "anthropic",
          model: "claude-opus-4-8",
          key: "ant-key",
        });
        // Gemini CLI's router model, through a host-only base URL.
        assertEquals((await gemini(server, "gemini-3.5-flash-lite")).status, 200);
        assertEquals(up.google.calls.at(-1)?.model, "gemini-3.5-flash-lite");
        // A name the upstream does not know: its own 404, in the client's dialect.
        const unknown = await messages(server, "claude-nonexistent-1");
        assertEquals(unknown.status, 404);
        assertEquals(unknown.body.error.type, "not_found_error");
        assertMatch(unknown.body.error.message, /not a model this upstream serves/);
        const translated = await chat(server, "claude-nonexistent-1");
        assertEquals(translated.status, 404);
        assertMatch(translated.body.error.message, /not a model this upstream serves/);
        // Patterns and aliases route; the alias reaches the upstream by its real name.
        assertEquals((await chat(server, "vendor-x1")).status, 200);
        assertEquals(up.vendor.calls.at(-1)?.model, "vendor-x1");
        assertEquals((await chat(server, "nice-name")).status, 200);
        assertEquals(up.vendor.calls.at(-1)?.model, "upstream-name");
        // Excluded names stay excluded, even by family.
        const excluded = await gemini(server, "gemini-1.5-pro");
        assertEquals(excluded.status, 404);
        assertMatch(excluded.body.error.message, /no such account is set up/);
        assertEquals(up.google.calls.filter((c) => c.model === "gemini-1.5-pro").length, 0);
      },
    );
  } finally {
    await closeAll(up);
  }
});

Deno.test("a name nothing claims gets subgate's 404 with suggestions ranked by what was typed", async () => {
  const up = upstreams();
  try {
    await withServer(
      [
        "claude-api-key:",
        `  - api-key: ant-key\n    base-url: ${up.anthropic.url}`,
        `    models: [claude-sonnet-4-5, claude-sonnet-4-6, claude-haiku-4-5]`,
        "openai-compatibility:",
        `  - name: vendor\n    base-url: ${up.vendor.url}/v1\n    models: [fake-model]`,
      ].join("\n"),
      async (server) => {
        const sonnet = await messages(server, "sonnet");
        assertEquals(sonnet.status, 404);
        assertMatch(
          sonnet.body.error.message,
          /Closest available: claude-sonnet-4-6, claude-sonnet-4-5\./,
        );
        assert(!sonnet.body.error.message.includes("fake-model"), sonnet.body.error.message);
        // A Gemini name with no Google account says what to add.
        const google = await gemini(server, "gemini-3-pro");
        assertEquals(google.status, 404);
        assertEquals(google.body.error.status, "NOT_FOUND");
        assertMatch(google.body.error.message, /gemini-api-key .*subgate login gemini/);
        assertEquals(up.anthropic.calls.length, 0, "nothing was sent upstream");
      },
    );
  } finally {
    await closeAll(up);
  }
});

Deno.test("an upstream's unknown-model answer moves the request to the next account that may know it", async () => {
  const old = startModelUpstream({ knows: (m) => m === "claude-old-1", list: ["claude-old-1"] });
  const recent = startModelUpstream({ knows: () => true, list: ["claude-old-1"] });
  try {
    await withServer(
      [
        "claude-api-key:",
        `  - api-key: old-key\n    base-url: ${old.url}\n    models: [claude-old-1]`,
        `  - api-key: new-key\n    base-url: ${recent.url}\n    models: [claude-old-1]`,
      ].join("\n"),
      async (server) => {
        for (let i = 0; i < 4; i++) {
          assertEquals((await messages(server, "claude-brand-new")).status, 200);
        }
        assertEquals(recent.calls.length, 4, "every request ends on the account that knows it");
        assert(old.calls.length >= 1, "round-robin still tried the other account first at times");
        assertEquals(
          [...server.log().matchAll(/WARN {2}upstream failed .*status=404/g)].length,
          old.calls.length,
        );
        assertMatch(server.log(), /upstream failed .*status=404 .*next="another account"/);
      },
    );
  } finally {
    await old.close();
    await recent.close();
  }
});

Deno.test("a key the upstream refused works again as soon as config.yaml fixes it", async () => {
  const up = startModelUpstream({ knows: () => true, list: [] });
  up.fail("bad-key", 401, 100);
  const config = (key: string) =>
    `api-keys: [${KEY}]\nclaude-api-key:\n  - api-key: ${key}\n    base-url: ${up.url}\n` +
    `    models: [claude-sonnet-4-6]\n`;
  try {
    await withServer(config("bad-key").split("\n").slice(1).join("\n"), async (server, home) => {
      const refused = await messages(server, "claude-sonnet-4-6");
      assertEquals(refused.status, 401);
      assertMatch(refused.body.error.message, /scripted 401/, "the upstream's own answer");
      const resting = await messages(server, "claude-sonnet-4-6");
      assertEquals(resting.status, 401, "the refused key is not tried again");
      assertMatch(resting.body.error.message, /refused the credentials .*claude-api-key\[0\]/);
      assertEquals(up.calls.length, 1);
      await Deno.writeTextFile(`${home}/.subgate/config.yaml`, config("good-key"));
      await server.waitForLog(/config reloaded/, 5000);
      const fixed = await messages(server, "claude-sonnet-4-6");
      assertEquals(fixed.status, 200);
      assertEquals(up.calls.at(-1)?.key, "good-key");
    });
  } finally {
    await up.close();
  }
});

/** A port nothing listens on (yet). */
function freePort(): number {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (listener.addr as Deno.NetAddr).port;
  listener.close();
  return port;
}

Deno.test("one server error or refused connection never refuses the next request", async () => {
  const port = freePort();
  const up = startModelUpstream({ knows: () => true, list: [] });
  up.fail("flaky-key", 502, 1);
  try {
    await withServer(
      [
        "claude-api-key:",
        `  - api-key: flaky-key\n    base-url: ${up.url}\n    models: [claude-sonnet-4-6]`,
        `  - api-key: down-key\n    base-url: http://127.0.0.1:${port}\n    models: [down-model]`,
      ].join("\n"),
      async (server) => {
        const blip = await messages(server, "claude-sonnet-4-6");
        assertEquals(blip.status, 502, "one account: its own answer");
        await server.waitForLog(/upstream failed .*status=502 .*next=none/);
        assertEquals((await messages(server, "claude-sonnet-4-6")).status, 200, "at once");

        const down = await messages(server, "down-model");
        assertEquals(down.status, 502);
        assertMatch(
          down.body.error.message,
          new RegExp(`connect ECONNREFUSED 127\\.0\\.0\\.1:${port}`),
        );
        await server.waitForLog(
          new RegExp(`upstream failed .*ECONNREFUSED 127\\.0\\.0\\.1:${port}`),
        );
        // The upstream comes back: the next request is served, not refused as "resting".
        const back = startModelUpstream({ knows: () => true, list: [], port });
        try {
          const again = await messages(server, "down-model");
          assertEquals(again.status, 200);
        } finally {
          await back.close();
        }
      },
    );
  } finally {
    await up.close();
  }
});

Deno.test("a login that needs login is named with the command that fixes it, never a 500", async () => {
  const tokens = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen: () => {} }, async (req) => {
    await req.body?.cancel();
    return Response.json({ error: "invalid_grant", error_description: "spent" }, { status: 400 });
  });
  try {
    await withServer(
      `providers:\n  codex:\n    token-url: http://127.0.0.1:${tokens.addr.port}/oauth/token\n`,
      async (server) => {
        // The refresh is refused in the middle of this request.
        const first = await chat(server, "gpt-5.4");
        assertEquals(first.status, 401);
        assertEquals(first.body.error.type, "authentication_error");
        assertMatch(first.body.error.message, /codex account grace@example\.com needs login/);
        assertMatch(first.body.error.message, /subgate login codex/);
        // And afterwards, when the file already says so.
        await eventually(
          async () => {
            const again = await chat(server, "gpt-5.4");
            return again.status === 401 && /needs login/.test(again.body.error.message);
          },
          3000,
          "the marked account to be named",
        );
        const responses = await post(server, "/v1/responses", { model: "gpt-5.5", input: "hi" });
        assertEquals(responses.status, 401);
        assertMatch(responses.body.error.message, /subgate login codex/);
        assert(!/request failed|internal error/.test(server.log()), server.log());
      },
      async (authDir) => {
        const expired = JSON.parse(codexFile());
        expired.expired = "2020-01-01T00:00:00Z";
        await writeAccount(`${authDir}/codex-grace@example.com.json`, JSON.stringify(expired));
      },
    );
  } finally {
    await tokens.shutdown();
  }
});
