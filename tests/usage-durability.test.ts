/**
 * The usage ledger when things go wrong: the server killed (-9) under load
 * loses at most the batch it had not written and leaves a sound database;
 * an auth dir it cannot write to (read-only, or a full disk) costs a warning,
 * never a request.
 */
import { mountTmpfs } from "./helpers/tmpfs.ts";
import { assert, assertEquals, assertMatch } from "./helpers/assert.ts";
import { startFaultUpstream } from "./helpers/fault-upstream.ts";
import { eventually, runSubgate, startSubgate, withTempHome } from "./helpers/subgate-process.ts";
import { integrity, ledgerRows, parseUsageTable, rowTokens } from "./helpers/usage-ledger.ts";

const KEY = "sg-durability-key";
const MODEL = "via-fault";
/** What the fault upstream's plain answer (anthropic-text.json) reports. */
const TOKENS = { input: 12, output: 29, cacheRead: 0, cacheWrite: 0, reasoning: 0 };

async function writeConfig(dir: string, upstreamUrl: string) {
  await Deno.writeTextFile(
    `${dir}/config.yaml`,
    [
      `api-keys: [${KEY}]`,
      "claude-api-key:",
      "  - api-key: sk-fault",
      `    base-url: ${upstreamUrl}`,
      "    models:",
      "      - name: claude-fault",
      `        alias: ${MODEL}`,
    ].join("\n"),
  );
}

function ask(url: string): Promise<Response> {
  return fetch(`${url}/v1/messages`, {
    method: "POST",
    headers: { "x-api-key": KEY, "anthropic-version": "2023-06-01" },
    body: JSON.stringify({
      model: MODEL,
      max_tokens: 16,
      messages: [{ role: "user", content: "hi" }],
    }),
  });
}

async function askOk(url: string): Promise<void> {
  const response = await ask(url);
  assertEquals(response.status, 200);
  await response.text();
}

Deno.test("kill -9 under load loses at most the unwritten batch; the database stays sound and keeps growing after a restart", () =>
  withTempHome(async (home) => {
    const upstream = startFaultUpstream();
    try {
      await Deno.mkdir(`${home}/.subgate`, { recursive: true });
      await writeConfig(`${home}/.subgate`, upstream.url);
      const server = await startSubgate([], { home });
      const done: number[] = [];
      let stop = false;
      const worker = async () => {
        while (!stop) {
          try {
            const response = await ask(server.url);
            await response.text();
            if (response.status === 200) done.push(Date.now());
          } catch {
            return; // the server is gone
          }
        }
      };
      const workers = Array.from({ length: 6 }, worker);
      // Long enough for a couple of batches to be written, then the kill lands mid-load.
      await new Promise((resolve) => setTimeout(resolve, 4500));
      const killedAt = Date.now();
      await server.stop("SIGKILL");
      stop = true;
      await Promise.all(workers);

      assertEquals(await integrity(home), "ok");
      const rows = await ledgerRows(home);
      // A batch is written about every two seconds: what ended before that is all there.
      const surely = done.filter((at) => at < killedAt - 2500).length;
      assert(surely > 0, "requests were answered well before the kill");
      assert(
        rows.length >= surely,
        `rows ${rows.length} ≥ requests answered 2.5 s before the kill ${surely}`,
      );
      assert(rows.length <= done.length + 6, `no row without its request (${rows.length})`);
      for (const row of rows) assertEquals(rowTokens(row), TOKENS);

      // Readable as the kill left it (its WAL still beside it).
      const read = await runSubgate(["usage", "--since", "1h", "--by", "provider"], { home });
      assertEquals(read.code, 0, read.stderr);
      const total = parseUsageTable(read.stdout).find((row) => row.PROVIDER === "TOTAL")!;
      assertEquals(Number(total.REQUESTS), rows.length);
      assertEquals(Number(total.INPUT), rows.length * TOKENS.input);

      // A new server opens it, adds to it, and writes its last batch when stopped.
      const again = await startSubgate([], { home });
      await askOk(again.url);
      await askOk(again.url);
      assertEquals((await again.stop()).code, 0);
      assertEquals((await ledgerRows(home)).length, rows.length + 2);
      assertEquals(await integrity(home), "ok");
    } finally {
      await upstream.close();
    }
  }));

async function remount(dir: string, mode: "ro" | "rw"): Promise<boolean> {
  const result = await new Deno.Command("mount", {
    args: ["-o", `remount,${mode}`, dir],
    stderr: "null",
    stdout: "null",
  }).output().catch(() => undefined);
  return result?.success ?? false;
}

async function fillDisk(dir: string): Promise<void> {
  const file = await Deno.open(`${dir}/filler`, { write: true, create: true });
  const chunk = new Uint8Array(4096);
  try {
    while (true) await file.write(chunk);
  } catch {
    // full
  } finally {
    file.close();
  }
}

const isRoot = Deno.build.os === "linux" && Deno.uid() === 0;
const WARNING = /usage ledger cannot write; requests are still served/g;

Deno.test({
  name: "a read-only auth dir: one warning, and every request still served",
  ignore: Deno.build.os === "windows",
  fn: () =>
    withTempHome(async (home) => {
      const dir = `${home}/.subgate`;
      await Deno.mkdir(dir, { recursive: true, mode: 0o700 });
      const upstream = startFaultUpstream();
      // Root writes through permission bits: a read-only mount it is, where one may be made.
      let unmount: (() => Promise<void>) | undefined;
      if (isRoot) {
        unmount = await mountTmpfs(dir, "1m");
        if (!unmount) {
          console.warn("skipped: this machine does not allow mounting a tmpfs");
          await upstream.close();
          return;
        }
      }
      try {
        await writeConfig(dir, upstream.url);
        if (isRoot) assert(await remount(dir, "ro"), "remounted read-only");
        else await Deno.chmod(dir, 0o500);
        const server = await startSubgate([], { home });
        try {
          for (let i = 0; i < 5; i++) await askOk(server.url);
          await server.waitForLog(WARNING, 5000);
          await new Promise((resolve) => setTimeout(resolve, 2500));
          for (let i = 0; i < 3; i++) await askOk(server.url);
          assertEquals(server.log().match(WARNING)?.length, 1, "one warning per episode");
        } finally {
          await server.stop();
        }
        assertMatch(server.log(), /usage ledger closed with requests unrecorded/);
      } finally {
        if (isRoot) await remount(dir, "rw");
        else await Deno.chmod(dir, 0o700);
        await unmount?.();
        await upstream.close();
      }
    }),
});

Deno.test({
  name:
    "a full disk: one warning, requests served, and the rows kept in memory are written once there is room",
  ignore: !isRoot,
  fn: () =>
    withTempHome(async (home) => {
      const dir = `${home}/.subgate`;
      await Deno.mkdir(dir, { recursive: true, mode: 0o700 });
      const unmount = await mountTmpfs(dir, "512k");
      if (!unmount) {
        console.warn("skipped: this machine does not allow mounting a tmpfs");
        return;
      }
      const upstream = startFaultUpstream();
      try {
        await writeConfig(dir, upstream.url);
        const server = await startSubgate([], { home });
        try {
          await askOk(server.url);
          await eventually(async () => (await ledgerRows(home)).length === 1, 5000, "a row");
          await fillDisk(dir);
          for (let i = 0; i < 20; i++) await askOk(server.url);
          await server.waitForLog(WARNING, 5000);
          for (let i = 0; i < 5; i++) await askOk(server.url);
          await new Promise((resolve) => setTimeout(resolve, 2500));
          assertEquals(server.log().match(WARNING)?.length, 1, "one warning per episode");
          await Deno.remove(`${dir}/filler`);
          await server.waitForLog(/usage ledger writing again.* lost=0/, 6000);
        } finally {
          await server.stop();
        }
        assertEquals((await ledgerRows(home)).length, 26);
        assertEquals(await integrity(home), "ok");
      } finally {
        await unmount();
        await upstream.close();
      }
    }),
});
