/**
 * Client connections, over raw TCP: a silent, a slow-loris and an idle keep-alive connection are
 * closed after client-header-timeout / client-idle-timeout (1 s here); a body that stops arriving
 * gets 408 and the connection closes, with one `request refused` line; 100 uploads announcing
 * 30 MB and sending nothing cost little memory; a streamed answer with silences longer than
 * both timeouts is not cut; badly framed and half-closed bodies get 400, never 500; and running
 * out of file descriptors (ulimit -n 256, 400 connections) never ends the process.
 */
import { assert, assertEquals, assertMatch } from "./helpers/assert.ts";
import { type FaultUpstream, startFaultUpstream } from "./helpers/fault-upstream.ts";
import { type RunningSubgate, startSubgate, withTempHome } from "./helpers/subgate-process.ts";

const TIMEOUTS = "client-header-timeout: 1s\nclient-idle-timeout: 1s\n";
const encoder = new TextEncoder();

/** One subgate with 1 s client timeouts and an Anthropic key on a fault upstream. */
function withServer(
  fn: (server: RunningSubgate, upstream: FaultUpstream) => Promise<void>,
  options: { openFileLimit?: number } = {},
) {
  return withTempHome(async (home) => {
    const upstream = startFaultUpstream();
    await Deno.mkdir(`${home}/.subgate`, { recursive: true });
    await Deno.writeTextFile(
      `${home}/.subgate/config.yaml`,
      TIMEOUTS + "claude-api-key:\n  - api-key: slow-key\n" +
        `    base-url: ${upstream.url}\n    models: [{name: claude-sonnet-4-6, alias: slow}]\n`,
    );
    const server = await startSubgate([], { home, ...options });
    try {
      await fn(server, upstream);
    } finally {
      await server.stop();
      await upstream.close();
    }
  });
}

function connect(server: RunningSubgate): Promise<Deno.TcpConn> {
  const { hostname, port } = new URL(server.url);
  return Deno.connect({ hostname, port: Number(port) });
}

interface Outcome {
  /** Everything the server sent. */
  text: string;
  /** Milliseconds from the call until the server closed the connection, if it did. */
  closedAfterMs?: number;
}

/** Reads until the server closes the connection or `limitMs` pass; then closes our side. */
async function readUntilClosed(conn: Deno.Conn, limitMs: number): Promise<Outcome> {
  const started = performance.now();
  const decoder = new TextDecoder();
  const buffer = new Uint8Array(64 * 1024);
  let text = "";
  const timer = setTimeout(() => conn.close(), limitMs);
  try {
    while (true) {
      const n = await conn.read(buffer);
      if (n === null) {
        return { text, closedAfterMs: performance.now() - started };
      }
      text += decoder.decode(buffer.subarray(0, n), { stream: true });
    }
  } catch {
    // Our own close at the limit: still open.
    return { text };
  } finally {
    clearTimeout(timer);
    try {
      conn.close();
    } catch { /* closed already */ }
  }
}

/** A raw request on a new connection, then whatever comes back until the server closes it. */
async function exchange(server: RunningSubgate, request: string, limitMs = 5000) {
  const conn = await connect(server);
  await conn.write(encoder.encode(request));
  return await readUntilClosed(conn, limitMs);
}

function assertClosedAround(outcome: Outcome, seconds: number, what: string) {
  assert(outcome.closedAfterMs !== undefined, `${what}: still open`);
  const ms = outcome.closedAfterMs;
  assert(ms >= seconds * 1000 - 100 && ms < seconds * 1000 + 3000, `${what}: closed after ${ms}`);
}

const refusals = (log: string, status: number) =>
  log.split("\n").filter((line) => line.includes("request refused") && line.includes(`=${status}`));

Deno.test("client connections are timed out, never a streamed answer", async (t) =>
  await withServer(async (server, upstream) => {
    await t.step(
      "a connection that sends nothing is closed after client-header-timeout",
      async () => {
        assertClosedAround(await readUntilClosed(await connect(server), 5000), 1, "silent");
      },
    );

    await t.step("a slow-loris head is closed after client-header-timeout", async () => {
      const conn = await connect(server);
      await conn.write(encoder.encode("GET /healthz HTTP/1.1\r\nHost: x\r\n"));
      const drip = setInterval(() => conn.write(encoder.encode("x-a: b\r\n")).catch(() => {}), 200);
      try {
        const outcome = await readUntilClosed(conn, 5000);
        assertClosedAround(outcome, 1, "slow-loris");
        assertEquals(outcome.text, "", "nothing is answered to a head never finished");
      } finally {
        clearInterval(drip);
      }
    });

    await t.step("a kept-alive connection is closed after client-idle-timeout", async () => {
      const outcome = await exchange(server, "GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n");
      assertMatch(outcome.text, /^HTTP\/1\.1 200 /);
      assertClosedAround(outcome, 1, "idle keep-alive");
    });

    await t.step(
      "a body that stops arriving gets 408, logged, and the connection closes",
      async () => {
        const outcome = await exchange(
          server,
          "POST /v1/messages HTTP/1.1\r\nHost: x\r\nanthropic-version: 2023-06-01\r\n" +
            'Content-Length: 1000\r\n\r\n{"model":',
        );
        assertMatch(outcome.text, /^HTTP\/1\.1 408 /);
        assertMatch(outcome.text, /"type":"error".*client-idle-timeout/);
        assertClosedAround(outcome, 1, "stalled body");
        await server.waitForLog(/request refused .*status=408 reason="The request body stopped/);
      },
    );

    await t.step(
      "100 uploads announcing 30 MB and sending nothing: little memory, each 408",
      async () => {
        const before = rss(server.pid);
        const conns = await Promise.all(Array.from({ length: 100 }, () => connect(server)));
        const head = "POST /v1/messages HTTP/1.1\r\nHost: x\r\nanthropic-version: 2023-06-01\r\n" +
          `Content-Length: ${30 * 1024 * 1024}\r\n\r\n`;
        await Promise.all(conns.map((conn) => conn.write(encoder.encode(head))));
        await new Promise((resolve) => setTimeout(resolve, 500));
        const during = rss(server.pid);
        const outcomes = await Promise.all(conns.map((conn) => readUntilClosed(conn, 5000)));
        for (const outcome of outcomes) {
          assertMatch(outcome.text, /^HTTP\/1\.1 408 /);
          assert(outcome.closedAfterMs !== undefined, "closed after its 408");
        }
        if (before !== undefined && during !== undefined) {
          const grown = (during - before) / (1024 * 1024);
          assert(grown < 64, `100 announced 30 MB bodies grew memory by ${grown.toFixed(0)} MB`);
          console.log(`grown ${grown.toFixed(1)} MB`);
        }
      },
    );

    await t.step(
      "a streamed answer with silences longer than both timeouts is not cut",
      async () => {
        upstream.fail("slow-key", { status: 200, trickle: { ...TRICKLE, everyMs: 1500 } });
        const response = await fetch(`${server.url}/v1/messages`, {
          method: "POST",
          headers: { "anthropic-version": "2023-06-01" },
          body: '{"model":"slow","max_tokens":16,"stream":true,' +
            '"messages":[{"role":"user","content":"hi"}]}',
        });
        assertEquals(response.status, 200);
        const reader = response.body!.getReader();
        const decoder = new TextDecoder();
        let text = "";
        const until = performance.now() + 3500;
        while (performance.now() < until) {
          const timeout = new Promise<"waiting">((resolve) =>
            setTimeout(() => resolve("waiting"), until - performance.now())
          );
          const chunk = await Promise.race([reader.read(), timeout]);
          if (chunk === "waiting") break;
          assert(!chunk.done, "the stream was cut");
          text += decoder.decode(chunk.value, { stream: true });
        }
        await reader.cancel();
        const deltas = text.split("content_block_delta").length - 1;
        assert(deltas >= 2, `events kept coming through 1.5 s silences: ${deltas} deltas`);
      },
    );

    await t.step("badly framed and half-closed bodies get 400, each refused once", async () => {
      const before = refusals(server.log(), 400).length;
      const extension = await exchange(
        server,
        "POST /v1/messages HTTP/1.1\r\nHost: x\r\nanthropic-version: 2023-06-01\r\n" +
          `Transfer-Encoding: chunked\r\n\r\n3;${"e".repeat(10 * 1024)}\r\nabc\r\n0\r\n\r\n`,
      );
      assertMatch(extension.text, /^HTTP\/1\.1 400 /);
      assertMatch(extension.text, /"type":"invalid_request_error"/);

      const conn = await connect(server);
      await conn.write(encoder.encode(
        'POST /v1/chat/completions HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\n{"mod',
      ));
      await conn.closeWrite();
      const halfClosed = await readUntilClosed(conn, 5000);
      assertMatch(halfClosed.text, /^HTTP\/1\.1 400 /);
      assertMatch(halfClosed.text, /"type":"invalid_request_error"/);
      assertMatch(halfClosed.text, /ended before its declared length/);

      await server.waitForLog(/request refused .*path=\/v1\/chat\/completions .*status=400/);
      assertEquals(refusals(server.log(), 400).length - before, 2, "one line each");
      assert(!/ ERROR /.test(server.log()), `nothing is logged as an error:\n${server.log()}`);
    });
  }));

Deno.test("running out of file descriptors never ends the process", () =>
  withServer(async (server) => {
    // Each waiting connection is a descriptor; 400 of them do not fit under 256.
    const conns = await Promise.all(Array.from({ length: 400 }, () => connect(server)));
    await server.waitForLog(/WARN +out of file descriptors.*ulimit -n/);
    // The header timeout frees descriptors; the connections waiting in the kernel are served.
    await server.waitForLog(/accepting connections again/);
    for (const conn of conns) conn.close();
    const response = await fetch(`${server.url}/healthz`);
    assertEquals(response.status, 200);
    await response.body?.cancel();
    const warnings = server.log().split("\n").filter((line) => line.includes("out of file"));
    const recoveries = server.log().split("\n").filter((line) => line.includes("accepting again"));
    assert(warnings.length <= recoveries.length + 1, "one warning per burst");
  }, { openFileLimit: 256 }));

/** Resident memory of a process in bytes (Linux; undefined elsewhere). */
function rss(pid: number): number | undefined {
  if (Deno.build.os !== "linux") return undefined;
  const status = Deno.readTextFileSync(`/proc/${pid}/status`);
  const kb = /VmRSS:\s+(\d+) kB/.exec(status)?.[1];
  return kb === undefined ? undefined : Number(kb) * 1024;
}

const TRICKLE = {
  first: 'event: message_start\ndata: {"type":"message_start","message":{"id":"msg_1",' +
    '"type":"message","role":"assistant","model":"claude-sonnet-4-6","content":[],' +
    '"stop_reason":null,"stop_sequence":null,"usage":{"input_tokens":3,"output_tokens":1}}}\n\n' +
    'event: content_block_start\ndata: {"type":"content_block_start","index":0,' +
    '"content_block":{"type":"text","text":""}}\n\n',
  then: 'event: content_block_delta\ndata: {"type":"content_block_delta","index":0,' +
    '"delta":{"type":"text_delta","text":"la"}}\n\n',
};
