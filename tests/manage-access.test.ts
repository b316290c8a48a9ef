/**
 * Who may use /manage/ and /metrics: loopback without a management key, the key from anywhere
 * when one is set, wrong keys slowed and then locked out per address, and X-Forwarded-For
 * believed only from trusted proxies. A caller that is not loopback is had by binding subgate to
 * this machine's own non-loopback address (connections to it come from it).
 */
import { assert, assertEquals, assertMatch } from "./helpers/assert.ts";
import { CLIENT_KEY, withManageWorld } from "./helpers/manage-world.ts";
import { claudeFile, writeAccount } from "./helpers/fixtures.ts";
import { startSubgate, withTempHome } from "./helpers/subgate-process.ts";

const MANAGEMENT_KEY = "mk-0123456789abcdef0123456789abcdef";

/** This machine's first non-loopback IPv4 address, if it has one. */
function lanAddress(): string | undefined {
  return Deno.networkInterfaces().find((i) =>
    i.family === "IPv4" && !i.address.startsWith("127.") && !i.address.startsWith("169.254.")
  )?.address;
}

async function status(url: string, init?: RequestInit) {
  const response = await fetch(url, init);
  const body = await response.json().catch(() => undefined);
  return { status: response.status, body, headers: response.headers };
}

Deno.test("without a management key: loopback is answered, client keys are not asked for, a relayed request is not", () =>
  withManageWorld(async ({ server }) => {
    const plain = await status(`${server.url}/manage/accounts`);
    assertEquals(plain.status, 200);
    assertEquals((await fetch(`${server.url}/metrics`)).status, 200);
    // A client key is neither needed nor enough: the management API has its own rule.
    const withClientKey = await status(`${server.url}/manage`, {
      headers: { authorization: `Bearer ${CLIENT_KEY}` },
    });
    assertEquals(withClientKey.body.manager, { who: "loopback", address: "127.0.0.1" });
    // A local proxy relaying someone else's request does not make them local.
    const relayed = await status(`${server.url}/manage/accounts`, {
      headers: { "x-forwarded-for": "203.0.113.7" },
    });
    assertEquals(relayed.status, 403);
    assertEquals(relayed.body.error.type, "permission_error");
    assertMatch(relayed.body.error.message, /came through a proxy.*trusted-proxies/);
    // …and the client routes still want their key.
    assertEquals((await fetch(`${server.url}/v1/models`)).status, 401);
  }));

Deno.test("trusted proxies: their X-Forwarded-For names the caller; others' is ignored", () =>
  withManageWorld(async ({ server }) => {
    const as = (forwarded?: string) =>
      status(`${server.url}/manage`, {
        headers: forwarded ? { "x-forwarded-for": forwarded } : {},
      });
    assertEquals((await as()).status, 200, "the proxy's own requests are local");
    const remote = await as("203.0.113.7");
    assertEquals(remote.status, 403);
    assertMatch(remote.body.error.message, /this one comes from 203\.0\.113\.7/);
    // The rightmost address that is not a trusted proxy is the caller.
    assertEquals((await as("127.0.0.1, 203.0.113.7")).status, 403);
    assertEquals((await as("203.0.113.7, 127.0.0.1")).status, 403);
    const local = await as("127.0.0.1");
    assertEquals(local.body.manager, { who: "loopback", address: "127.0.0.1" });
    assertEquals((await as("not-an-address")).status, 403);
  }, { extraConfig: "trusted-proxies: [127.0.0.0/8]" }));

Deno.test("with a management key: required everywhere, compared exactly; wrong keys are slowed, then the address is locked out", () =>
  withManageWorld(async ({ server }) => {
    const url = `${server.url}/manage/accounts`;
    const missing = await status(url);
    assertEquals(missing.status, 401);
    assertMatch(missing.body.error.message, /Authorization: Bearer <key>/);
    const right = { authorization: `Bearer ${MANAGEMENT_KEY}` };
    assertEquals((await status(url, { headers: right })).status, 200);
    assertEquals((await fetch(`${server.url}/metrics`)).status, 401);
    assertEquals((await fetch(`${server.url}/metrics`, { headers: right })).status, 200);
    // The management key is not a client key.
    assertEquals((await fetch(`${server.url}/v1/models`, { headers: right })).status, 401);

    // A trusted proxy's clients are counted apart: 203.0.113.7 guesses, 203.0.113.8 does not.
    const from = (address: string, key: string) =>
      status(url, { headers: { authorization: `Bearer ${key}`, "x-forwarded-for": address } });
    const started = Date.now();
    const guesses = await Promise.all(
      Array.from({ length: 10 }, (_, i) => from("203.0.113.7", `${MANAGEMENT_KEY}-${i}`)),
    );
    assert(guesses.every((g) => g.status === 401));
    assert(Date.now() - started >= 3500, "the 4th to 10th wrong keys were answered late");
    const locked = await from("203.0.113.7", MANAGEMENT_KEY);
    assertEquals(locked.status, 429);
    assertMatch(locked.body.error.message, /Too many wrong management keys from 203\.0\.113\.7/);
    const retryAfter = Number(locked.headers.get("retry-after"));
    assert(retryAfter > 890 && retryAfter <= 900, `retry-after ${retryAfter}`);
    assertEquals((await from("203.0.113.8", MANAGEMENT_KEY)).status, 200);
    assertEquals((await status(url, { headers: right })).status, 200, "the proxy itself is fine");
    await server.waitForLog(/management API locked for an address .* address=203\.0\.113\.7/);
    assertEquals(server.log().match(/management API locked/g)?.length, 1, "logged once");
    assert(!server.log().includes(MANAGEMENT_KEY), "the key is never logged");
  }, {
    env: { SUBGATE_MANAGEMENT_KEY: MANAGEMENT_KEY },
    extraConfig: "trusted-proxies: [127.0.0.1]",
  }));

Deno.test({
  name:
    "a caller that is not loopback: refused without a management key (its X-Forwarded-For ignored), served with it",
  ignore: lanAddress() === undefined,
  fn: () =>
    withTempHome(async (home) => {
      const address = lanAddress()!;
      await Deno.mkdir(`${home}/.subgate`, { mode: 0o700 });
      await writeAccount(`${home}/.subgate/claude-ada@example.com.json`, claudeFile());
      await Deno.writeTextFile(
        `${home}/.subgate/config.yaml`,
        `host: ${address}\napi-keys: ["${CLIENT_KEY}"]\n`,
      );
      const server = await startSubgate([], { home });
      try {
        const refused = await status(`${server.url}/manage/accounts`);
        assertEquals(refused.status, 403);
        assertMatch(
          refused.body.error.message,
          new RegExp(`comes from ${address.replaceAll(".", "\\.")}`),
        );
        const spoofed = await status(`${server.url}/manage/accounts`, {
          headers: { "x-forwarded-for": "127.0.0.1" },
        });
        assertEquals(spoofed.status, 403, "a header never makes a caller local");
        assertEquals((await fetch(`${server.url}/metrics`)).status, 403);
      } finally {
        await server.stop();
      }
      await Deno.writeTextFile(
        `${home}/.subgate/config.yaml`,
        `host: ${address}\napi-keys: ["${CLIENT_KEY}"]\nmanagement-key: ${MANAGEMENT_KEY}\n`,
      );
      const keyed = await startSubgate([], { home });
      try {
        const served = await status(`${keyed.url}/manage`, {
          headers: { authorization: `Bearer ${MANAGEMENT_KEY}` },
        });
        assertEquals(served.status, 200);
        assertEquals(served.body.manager, { who: "management key", address });
      } finally {
        await keyed.stop();
      }
    }),
});
