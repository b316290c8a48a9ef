/**
 * @module
 * `deno task bench [--quick]`: subgate against the floor (a bare Deno.serve +
 * fetch forwarder) and the peers (claude-code-router, the Portkey gateway) on
 * one fast local upstream, in one run. Prints one table with ratios to the
 * floor and each peer, checks the targets, and writes bench/results/.
 * Method and targets: bench/README.md.
 */
import { parseArgs } from "node:util";
import {
  createLoader,
  type LoadCase,
  type LoadResult,
  percentiles,
  probeLatency,
  rssMiB,
  streamTimes,
} from "./load.ts";
import { renderReport, type Report, type Row } from "./report.ts";
import {
  KEY,
  ROOT,
  type Server,
  startCcr,
  startDeno,
  startPortkey,
  startSubgate,
  startTimes,
  subgateHome,
} from "./servers.ts";
import { ensureTools } from "./tools.ts";

const { values } = parseArgs({ args: Deno.args, options: { quick: { type: "boolean" } } });
const quick = values.quick ?? false;
const seconds = quick ? 1 : 4;
const concurrencies = quick ? [1, 64] : [1, 16, 64];
const began = performance.now();
const log = (line: string) =>
  console.error(`bench: [${((performance.now() - began) / 1000).toFixed(1)} s] ${line}`);

const tools = await ensureTools(`${ROOT}bench/.tools`, log);
const loader = createLoader(tools.node, tools.paths.autocannon);
log(`load generator: ${loader.kind}`);

const started: Server[] = [];
const homes: string[] = [];
const track = <T extends Server>(server: T) => (started.push(server), server);

try {
  const fast = track(await startDeno("bench/fast-upstream.ts"));
  const floor = track(await startDeno("bench/floor-forwarder.ts", { UPSTREAM: fast.url }));
  const essentials = track(
    await startDeno("bench/essentials-forwarder.ts", { UPSTREAM: fast.url }),
  );
  homes.push(await subgateHome(0, fast.url), await subgateHome(0), await subgateHome(1000));
  const sub = track(await startSubgate(homes[0]));
  const empty = track(await startSubgate(homes[1]));
  const many = track(await startSubgate(homes[2]));
  const peers: { name: "ccr" | "portkey"; server?: Server; note?: string }[] = [];
  for (const name of ["ccr", "portkey"] as const) {
    const entry = tools.paths[name];
    if (!entry) {
      peers.push({ name, note: tools.missing[name] });
      continue;
    }
    try {
      const home = await Deno.makeTempDir({ prefix: "subgate-bench-peer-" });
      homes.push(home);
      const server = name === "ccr"
        ? await startCcr(entry, fast.url, home)
        : await startPortkey(entry);
      peers.push({ name, server: track(server) });
    } catch (error) {
      peers.push({ name, note: `did not start: ${(error as Error).message.split("\n")[0]}` });
    }
  }
  for (const peer of peers) if (peer.note) log(`${peer.name}: ${peer.note}`);
  await new Promise((resolve) => setTimeout(resolve, 500));
  const idle = {
    floor: rssMiB(floor.pid),
    subgate: rssMiB(empty.pid),
    subgateMany: rssMiB(many.pid),
  };
  await empty.stop();
  await many.stop();
  const starts = await startTimes(homes[1], quick ? 3 : 6);
  log(`start times: ${starts.map((ms) => ms.toFixed(0)).join(", ")} ms`);

  // The cases: what the client sends, and how each target is asked for it.
  // What the official SDKs send with every call (their x-stainless-* set), so the proxy's
  // per-header work is measured as clients make it.
  const sdkHeaders = (userAgent: string) => ({
    "content-type": "application/json",
    accept: "application/json",
    "user-agent": userAgent,
    "x-stainless-lang": "js",
    "x-stainless-package-version": "0.60.0",
    "x-stainless-os": "Linux",
    "x-stainless-arch": "x64",
    "x-stainless-runtime": "node",
    "x-stainless-runtime-version": "v20.19.0",
    "x-stainless-retry-count": "0",
    "x-stainless-timeout": "600",
  });
  const anthropicHeaders = {
    ...sdkHeaders("Anthropic/JS 0.60.0"),
    "x-api-key": KEY,
    "anthropic-version": "2023-06-01",
  };
  const chatHeaders = { ...sdkHeaders("OpenAI/JS 5.12.0"), authorization: `Bearer ${KEY}` };
  // max_tokens is also how many chunks the fast upstream streams.
  const messages = (model: string, stream: boolean, chunks = 50) =>
    JSON.stringify({
      model,
      max_tokens: chunks,
      stream,
      messages: [{ role: "user", content: "Hello" }],
    });
  const chat = (model: string, stream: boolean, chunks = 50) =>
    JSON.stringify({
      model,
      max_tokens: chunks,
      stream,
      messages: [{ role: "user", content: "Hello" }],
    });
  const post = (url: string, headers: Record<string, string>, body: string): LoadCase => ({
    url,
    method: "POST",
    headers,
    body,
  });
  const ccr = peers.find((p) => p.name === "ccr")?.server;
  const portkey = peers.find((p) => p.name === "portkey")?.server;
  const portkeyAs = (provider: string, headers: Record<string, string>) => ({
    ...headers,
    "x-portkey-provider": provider,
    "x-portkey-custom-host": `${fast.url}/v1`,
  });

  interface Case {
    name: string;
    path: "passthrough" | "translating";
    stream: boolean;
    floor: LoadCase;
    /** Passthrough only: the floor plus the work any proxy must do. */
    essentials?: LoadCase;
    subgate: LoadCase;
    ccr?: LoadCase;
    portkey?: LoadCase;
  }
  const cases: Case[] = [];
  for (const stream of [false, true]) {
    const kind = stream ? "SSE (50 chunks)" : "JSON";
    cases.push({
      name: `Anthropic → Anthropic, ${kind}`,
      path: "passthrough",
      stream,
      floor: post(`${floor.url}/v1/messages`, anthropicHeaders, messages("bench-model", stream)),
      essentials: post(
        `${essentials.url}/v1/messages`,
        anthropicHeaders,
        messages("bench-model", stream),
      ),
      subgate: post(
        `${sub.url}/v1/messages`,
        anthropicHeaders,
        messages("bench-model", stream),
      ),
      ccr: ccr &&
        post(
          `${ccr.url}/v1/messages`,
          anthropicHeaders,
          messages("anthropic,claude-sonnet-4-6", stream),
        ),
      portkey: portkey &&
        post(
          `${portkey.url}/v1/messages`,
          portkeyAs("anthropic", anthropicHeaders),
          messages("claude-sonnet-4-6", stream),
        ),
    });
    cases.push({
      name: `OpenAI chat → Anthropic, ${kind}`,
      path: "translating",
      stream,
      floor: post(`${floor.url}/v1/chat/completions`, chatHeaders, chat("bench-chat", stream)),
      subgate: post(
        `${sub.url}/v1/chat/completions`,
        chatHeaders,
        chat("bench-model", stream),
      ),
      portkey: portkey &&
        post(
          `${portkey.url}/v1/chat/completions`,
          portkeyAs("anthropic", { ...chatHeaders, "x-api-key": "bench" }),
          chat("claude-sonnet-4-6", stream),
        ),
    });
    cases.push({
      name: `Anthropic → OpenAI chat, ${kind}`,
      path: "translating",
      stream,
      floor: post(`${floor.url}/v1/messages`, anthropicHeaders, messages("bench-model", stream)),
      subgate: post(
        `${sub.url}/v1/messages`,
        anthropicHeaders,
        messages("bench-chat", stream),
      ),
      ccr: ccr &&
        post(`${ccr.url}/v1/messages`, anthropicHeaders, messages("chat,bench-chat", stream)),
    });
  }
  if (quick) cases.splice(0, cases.length, ...cases.filter((c) => !c.name.includes("→ OpenAI")));

  // Each target must answer a case properly before it is timed; a peer that cannot is left out.
  const works = async (target: LoadCase) => {
    const response = await fetch(target.url, target).catch(() => undefined);
    const text = await response?.text();
    return response?.ok === true && !!text && !/"error"\s*:\s*\{/.test(text.slice(0, 300));
  };
  for (const c of cases) {
    for (const peer of ["ccr", "portkey"] as const) {
      const target = c[peer];
      if (target && !(await works(target))) {
        log(`${peer} does not answer '${c.name}' properly; left out of that case`);
        c[peer] = undefined;
      }
    }
    if (!(await works(c.subgate))) throw new Error(`subgate failed '${c.name}'`);
  }

  const rows: Row[] = [];
  for (const c of cases) {
    // Warm up every target on this case (JIT, connection pools).
    for (const target of [c.floor, c.essentials, c.subgate, c.ccr, c.portkey]) {
      if (target) await loader.run(target, 16, quick ? 0.3 : 1);
    }
    for (const concurrency of concurrencies) {
      const run = (target: LoadCase | undefined, server?: Server) =>
        target ? loader.run(target, concurrency, seconds, server?.pid) : undefined;
      const results: Record<string, LoadResult | undefined> = {
        floor: await run(c.floor, floor),
        essentials: await run(c.essentials, essentials),
        subgate: await run(c.subgate, sub),
        // --quick times the peers only where their target is: at c=64.
        ccr: quick && concurrency !== 64 ? undefined : await run(c.ccr, ccr),
        portkey: quick && concurrency !== 64 ? undefined : await run(c.portkey, portkey),
      };
      rows.push({ case: c.name, path: c.path, concurrency, results });
      log(
        `${c.name} c=${concurrency}: ` +
          Object.entries(results).filter(([, r]) => r).map(([name, r]) =>
            `${name} ${Math.round(r!.rps)}/s`
          ).join(", "),
      );
    }
  }

  // Latency to the microsecond, one request at a time, and what each hop adds to the upstream.
  log("latency probes, long streams, leak check");
  const probes = quick ? 300 : 1500;
  const direct = post(`${fast.url}/v1/messages`, anthropicHeaders, messages("bench-model", false));
  await probeLatency(direct, 100);
  const latency = {
    direct: await probeLatency(direct, probes),
    floor: await probeLatency(cases[0].floor, probes),
    passthrough: await probeLatency(cases[0].subgate, probes),
    translating: await probeLatency(cases[1].subgate, probes),
  };

  // Long streams, one at a time: first byte and whole stream, at 500 and 1,000 chunks.
  const runs = quick ? 30 : 200;
  const long = (target: LoadCase, chunks: number) => ({
    ...target,
    body: JSON.stringify({ ...JSON.parse(target.body!), max_tokens: chunks }),
  });
  const streamCase = cases.find((c) => c.path === "passthrough" && c.stream)!;
  const translatedStream = cases.find((c) => c.path === "translating" && c.stream)!;
  const streams: Report["streams"] = [];
  for (const chunks of [500, 1000]) {
    streams.push({
      chunks,
      floor: await streamTimes(long(streamCase.floor, chunks), runs),
      passthrough: await streamTimes(long(streamCase.subgate, chunks), runs),
      translating: await streamTimes(long(translatedStream.subgate, chunks), runs),
    });
  }

  // Leak check: two identical rounds of every case at c=64 (--quick: the translated stream case,
  // the one that allocates most); RSS after the second within 5 % of after the first.
  // "After" is the mean RSS over each round's last case: one reading lands anywhere in a GC cycle.
  // V8 grows its heap for a dozen seconds of load before it settles, so a round is never shorter
  // than two seconds a case.
  const leakCases = quick ? [translatedStream] : cases;
  const round = async () => {
    let last: LoadResult | undefined;
    for (const c of leakCases) {
      last = await loader.run(c.subgate, 64, Math.max(2, seconds), sub.pid);
    }
    return last?.meanRssMiB;
  };
  const afterFirst = await round();
  const afterSecond = await round();

  const report: Report = {
    date: new Date().toISOString(),
    quick,
    seconds,
    loader: loader.kind,
    peers: Object.fromEntries(
      peers.map((p) => [p.name, p.server ? "ran" : p.note ?? "not run"]),
    ),
    rows,
    latency,
    streams,
    idle,
    start: { firstMs: starts[0], laterMs: percentiles(starts.slice(1)).p50 },
    leak: { afterFirst, afterSecond },
  };
  const { table, markdown } = renderReport(report);
  console.log(table);
  await Deno.mkdir(`${ROOT}bench/results`, { recursive: true });
  const stamp = report.date.slice(0, 16).replace(/[:T]/g, "-");
  for (const name of ["latest", stamp]) {
    await Deno.writeTextFile(
      `${ROOT}bench/results/${name}.json`,
      JSON.stringify(report, null, 2) + "\n",
    );
    await Deno.writeTextFile(`${ROOT}bench/results/${name}.md`, markdown);
  }
  log(`written: bench/results/latest.md and ${stamp}.md (and .json)`);
} finally {
  await Promise.all(started.map((server) => server.stop().catch(() => {})));
  for (const home of homes) await Deno.remove(home, { recursive: true }).catch(() => {});
}
