/**
 * @module
 * `deno task bench [--quick]`: subgate against a bare Deno.serve floor on the
 * same machine, in one run. Prints a table and writes bench/results/.
 * Method and targets: bench/README.md.
 */
import { parseArgs } from "node:util";
import { fileURLToPath } from "node:url";

const { values } = parseArgs({ args: Deno.args, options: { quick: { type: "boolean" } } });
const seconds = values.quick ? 1 : 4;
const root = fileURLToPath(new URL("../", import.meta.url));
const KEY = "bench-key";

interface Child {
  url: string;
  pid: number;
  stop(): Promise<void>;
}

async function spawn(args: string[], env: Record<string, string>): Promise<Child> {
  const child = new Deno.Command(Deno.execPath(), {
    args,
    cwd: root,
    env,
    stdout: "null",
    stderr: "piped",
  }).spawn();
  const reader = child.stderr.pipeThrough(new TextDecoderStream()).getReader();
  let text = "";
  while (!/listening on (http:\/\/\S+)/.test(text)) {
    const { value, done } = await reader.read();
    if (done) throw new Error(`server exited early:\n${text}`);
    text += value;
  }
  const drain = (async () => {
    while (!(await reader.read()).done) { /* keep the pipe empty */ }
  })();
  return {
    url: /listening on (http:\/\/\S+)/.exec(text)![1],
    pid: child.pid,
    async stop() {
      child.kill("SIGTERM");
      await child.status;
      await drain;
    },
  };
}

function rssMiB(pid: number): number | undefined {
  try {
    const status = Deno.readTextFileSync(`/proc/${pid}/status`);
    const kb = Number(/VmRSS:\s+(\d+)/.exec(status)?.[1]);
    return Number.isFinite(kb) ? kb / 1024 : undefined;
  } catch {
    return undefined; // Not Linux.
  }
}

async function load(
  url: string,
  concurrency: number,
  headers: HeadersInit,
  duration = seconds,
  init: RequestInit = {},
) {
  const deadline = performance.now() + duration * 1000;
  const latencies: number[] = [];
  const worker = async () => {
    while (performance.now() < deadline) {
      const started = performance.now();
      const response = await fetch(url, { ...init, headers });
      await response.arrayBuffer();
      latencies.push(performance.now() - started);
    }
  };
  const started = performance.now();
  await Promise.all(Array.from({ length: concurrency }, worker));
  const elapsed = (performance.now() - started) / 1000;
  latencies.sort((a, b) => a - b);
  const at = (q: number) =>
    latencies[Math.min(latencies.length - 1, Math.floor(q * latencies.length))];
  return { rps: latencies.length / elapsed, p50: at(0.5), p99: at(0.99) };
}

async function subgate(home: string): Promise<{ child: Child; startMs: number }> {
  const started = performance.now();
  const child = await spawn(
    ["run", "-q", "--no-prompt", "-P=subgate", "main.ts", "serve", "--port", "0"],
    { ...Deno.env.toObject(), HOME: home },
  );
  while (true) {
    const response = await fetch(`${child.url}/healthz`).catch(() => undefined);
    await response?.body?.cancel();
    if (response?.ok) break;
  }
  return { child, startMs: performance.now() - started };
}

async function accountsHome(count: number, upstream?: string): Promise<string> {
  const home = await Deno.makeTempDir({ prefix: "subgate-bench-" });
  await Deno.mkdir(`${home}/.subgate`, { mode: 0o700 });
  const keys = upstream
    ? "claude-api-key:\n" +
      [1, 2, 3].map((i) =>
        `  - api-key: bench-${i}\n    base-url: ${upstream}\n` +
        `    models: [{name: claude-sonnet-4-6, alias: bench-model}]\n`
      ).join("")
    : "";
  const level = Deno.env.get("BENCH_LOG_LEVEL") ?? "info";
  await Deno.writeTextFile(
    `${home}/.subgate/config.yaml`,
    `api-keys: [${KEY}]\nlog-level: ${level}\n${keys}`,
  );
  for (let i = 0; i < count; i++) {
    await Deno.writeTextFile(
      `${home}/.subgate/claude-user${i}@example.com.json`,
      JSON.stringify({
        type: "claude",
        access_token: `sk-ant-oat01-bench${i}`,
        refresh_token: `sk-ant-ort01-bench${i}`,
        email: `user${i}@example.com`,
        expired: "2099-01-01T00:00:00Z",
      }),
      { mode: 0o600 },
    );
  }
  return home;
}

const rows: Record<string, string | number>[] = [];
const fast = await spawn(["run", "-A", "bench/fast-upstream.ts"], Deno.env.toObject());
const homes = [await accountsHome(1, fast.url), await accountsHome(1000)];
try {
  const floor = await spawn(["run", "-A", "bench/floor-server.ts"], Deno.env.toObject());
  const forwarder = await spawn(["run", "-A", "bench/floor-forwarder.ts"], {
    ...Deno.env.toObject(),
    UPSTREAM: fast.url,
  });
  const one = await subgate(homes[0]);
  const many = await subgate(homes[1]);
  await new Promise((resolve) => setTimeout(resolve, 500));
  const idle = {
    floor: rssMiB(floor.pid),
    one: rssMiB(one.child.pid),
    many: rssMiB(many.child.pid),
  };

  // Warm both servers up so the first case does not measure the JIT.
  await load(`${floor.url}/v1/models`, 16, {}, 0.5);
  await load(`${one.child.url}/v1/models`, 16, { "x-api-key": KEY }, 0.5);
  for (const concurrency of [1, 16, 64]) {
    const base = await load(`${floor.url}/v1/models`, concurrency, {});
    const ours = await load(`${one.child.url}/v1/models`, concurrency, { "x-api-key": KEY });
    rows.push({
      case: `GET /v1/models c=${concurrency}`,
      "floor req/s": Math.round(base.rps),
      "subgate req/s": Math.round(ours.rps),
      "ratio": Number((ours.rps / base.rps).toFixed(2)),
      "floor p50 ms": Number(base.p50.toFixed(3)),
      "subgate p50 ms": Number(ours.p50.toFixed(3)),
      "subgate p99 ms": Number(ours.p99.toFixed(3)),
    });
  }
  // The proxy paths against the fast upstream: the forwarder is the floor.
  const messages = JSON.stringify({
    model: "bench-model",
    max_tokens: 64,
    messages: [{ role: "user", content: "Hello" }],
  });
  const chat = JSON.stringify({
    model: "bench-model",
    messages: [{ role: "user", content: "Hello" }],
  });
  const post = (body: string) => ({ method: "POST", body });
  const auth = {
    "x-api-key": KEY,
    "anthropic-version": "2023-06-01",
    "content-type": "application/json",
  };
  await load(`${forwarder.url}/v1/messages`, 16, auth, 0.5, post(messages));
  await load(`${one.child.url}/v1/messages`, 16, auth, 0.5, post(messages));
  await load(`${one.child.url}/v1/chat/completions`, 16, auth, 0.5, post(chat));
  for (const concurrency of [1, 16, 64]) {
    const base = await load(
      `${forwarder.url}/v1/messages`,
      concurrency,
      auth,
      seconds,
      post(messages),
    );
    const pass = await load(
      `${one.child.url}/v1/messages`,
      concurrency,
      auth,
      seconds,
      post(messages),
    );
    const trans = await load(
      `${one.child.url}/v1/chat/completions`,
      concurrency,
      auth,
      seconds,
      post(chat),
    );
    rows.push({
      case: `POST JSON c=${concurrency} (pass / translate)`,
      "floor req/s": Math.round(base.rps),
      "subgate req/s": `${Math.round(pass.rps)} / ${Math.round(trans.rps)}`,
      "ratio": `${(pass.rps / base.rps).toFixed(2)} / ${(trans.rps / base.rps).toFixed(2)}`,
      "floor p50 ms": Number(base.p50.toFixed(3)),
      "subgate p50 ms": `${pass.p50.toFixed(3)} / ${trans.p50.toFixed(3)}`,
      "subgate p99 ms": `${pass.p99.toFixed(3)} / ${trans.p99.toFixed(3)}`,
    });
  }
  // A 500-chunk stream, one at a time: time to first byte and to the end.
  const streamTimes = async (url: string, body: string) => {
    let first = 0;
    let total = 0;
    const runs = values.quick ? 10 : 40;
    for (let i = 0; i < runs; i++) {
      const started = performance.now();
      const response = await fetch(`${url}?chunks=500`, { method: "POST", headers: auth, body });
      const reader = response.body!.getReader();
      let sawFirst = false;
      while (!(await reader.read()).done) {
        if (!sawFirst) {
          first += performance.now() - started;
          sawFirst = true;
        }
      }
      total += performance.now() - started;
    }
    return { first: first / runs, total: total / runs };
  };
  const streamed = JSON.stringify({ ...JSON.parse(messages), stream: true });
  const chatStreamed = JSON.stringify({ ...JSON.parse(chat), stream: true });
  const floorStream = await streamTimes(`${forwarder.url}/v1/messages`, streamed);
  const passStream = await streamTimes(`${one.child.url}/v1/messages`, streamed);
  const transStream = await streamTimes(`${one.child.url}/v1/chat/completions`, chatStreamed);
  rows.push({
    case: "SSE 500 chunks c=1 (pass / translate)",
    "floor req/s": "-",
    "subgate req/s": "-",
    "ratio": "-",
    "floor p50 ms": `ttfb ${floorStream.first.toFixed(2)} total ${floorStream.total.toFixed(2)}`,
    "subgate p50 ms": `ttfb ${passStream.first.toFixed(2)} / ${transStream.first.toFixed(2)}`,
    "subgate p99 ms": `total ${passStream.total.toFixed(2)} / ${transStream.total.toFixed(2)}`,
  });

  const summary = {
    "start to first request (ms)": Math.round(one.startMs),
    "idle RSS floor (MiB)": idle.floor?.toFixed(1) ?? "n/a",
    "idle RSS subgate, 1 account (MiB)": idle.one?.toFixed(1) ?? "n/a",
    "idle RSS subgate, 1000 accounts (MiB)": idle.many?.toFixed(1) ?? "n/a",
  };
  console.table(rows);
  console.table(summary);
  await Promise.all([
    floor.stop(),
    forwarder.stop(),
    fast.stop(),
    one.child.stop(),
    many.child.stop(),
  ]);

  await Deno.mkdir(`${root}bench/results`, { recursive: true });
  const result = { date: new Date().toISOString(), seconds, rows, summary };
  await Deno.writeTextFile(
    `${root}bench/results/latest.json`,
    JSON.stringify(result, null, 2) + "\n",
  );
  const header = Object.keys(rows[0]);
  const markdown = [
    `# subgate bench, ${result.date} (${seconds} s per case)`,
    "",
    `| ${header.join(" | ")} |`,
    `|${header.map(() => "---").join("|")}|`,
    ...rows.map((row) => `| ${header.map((key) => row[key]).join(" | ")} |`),
    "",
    ...Object.entries(summary).map(([key, value]) => `- ${key}: ${value}`),
    "",
  ].join("\n");
  await Deno.writeTextFile(`${root}bench/results/latest.md`, markdown);
} finally {
  for (const home of homes) await Deno.remove(home, { recursive: true }).catch(() => {});
}
