/**
 * @module
 * Load and what it costs: autocannon (in Node, its own process) drives a
 * server for a while, and the server's process is watched meanwhile: CPU
 * time from /proc (user + system) and its RSS sampled every 50 ms. Without
 * autocannon, `fetch` loops in the bench process stand in (and say so).
 * A sequential probe measures latency to the microsecond, which autocannon's
 * whole-millisecond histogram cannot.
 */

export interface LoadResult {
  rps: number;
  /** Milliseconds. From autocannon's histogram (whole ms) at c > 1. */
  p50: number;
  p99: number;
  /** CPU time the server spent per request, in microseconds (undefined off Linux). */
  cpuUsPerRequest?: number;
  /** Highest RSS seen during the run, MiB. */
  peakRssMiB?: number;
  /** The mean of the same samples: steadier than one reading, which lands anywhere in a GC cycle. */
  meanRssMiB?: number;
  errors: number;
}

export interface LoadCase {
  url: string;
  method?: string;
  headers: Record<string, string>;
  body?: string;
}

const TICKS_PER_SECOND = 100;

/** User + system CPU seconds of a process so far (Linux). */
export function cpuSeconds(pid: number): number | undefined {
  try {
    const stat = Deno.readTextFileSync(`/proc/${pid}/stat`);
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    return (Number(fields[11]) + Number(fields[12])) / TICKS_PER_SECOND;
  } catch {
    return undefined;
  }
}

export function rssMiB(pid: number): number | undefined {
  try {
    const status = Deno.readTextFileSync(`/proc/${pid}/status`);
    const kb = Number(/VmRSS:\s+(\d+)/.exec(status)?.[1]);
    return Number.isFinite(kb) ? kb / 1024 : undefined;
  } catch {
    return undefined;
  }
}

async function autocannon(
  node: string,
  entry: string,
  target: LoadCase,
  concurrency: number,
  seconds: number,
): Promise<Omit<LoadResult, "cpuUsPerRequest" | "peakRssMiB" | "meanRssMiB">> {
  const args = [entry, "-j", "-c", String(concurrency), "-d", String(seconds)];
  args.push("-m", target.method ?? "GET");
  for (const [name, value] of Object.entries(target.headers)) args.push("-H", `${name}=${value}`);
  if (target.body) args.push("-b", target.body);
  args.push(target.url);
  const output = await new Deno.Command(node, { args, stdout: "piped", stderr: "null" }).output();
  const result = JSON.parse(new TextDecoder().decode(output.stdout));
  return {
    rps: result.requests.total / result.duration,
    p50: result.latency.p50,
    p99: result.latency.p99,
    errors: result.errors + result.non2xx + result.timeouts,
  };
}

const send = (target: LoadCase) =>
  fetch(target.url, { method: target.method, headers: target.headers, body: target.body });

/** p50 and p99 of latencies in ms (sorts them). */
export function percentiles(latencies: number[]) {
  latencies.sort((a, b) => a - b);
  const at = (q: number) =>
    latencies[Math.min(latencies.length - 1, Math.floor(q * latencies.length))];
  return { p50: at(0.5), p99: at(0.99) };
}

async function fetchLoops(target: LoadCase, concurrency: number, seconds: number) {
  const deadline = performance.now() + seconds * 1000;
  const latencies: number[] = [];
  let errors = 0;
  const worker = async () => {
    while (performance.now() < deadline) {
      const started = performance.now();
      const response = await send(target);
      await response.arrayBuffer();
      if (!response.ok) errors++;
      latencies.push(performance.now() - started);
    }
  };
  const started = performance.now();
  await Promise.all(Array.from({ length: concurrency }, worker));
  const elapsed = (performance.now() - started) / 1000;
  return { rps: latencies.length / elapsed, ...percentiles(latencies), errors };
}

export interface Loader {
  kind: "autocannon" | "fetch loops";
  run(target: LoadCase, concurrency: number, seconds: number, pid?: number): Promise<LoadResult>;
}

export function createLoader(node?: string, entry?: string): Loader {
  const drive = node && entry
    ? (t: LoadCase, c: number, s: number) => autocannon(node, entry, t, c, s)
    : fetchLoops;
  return {
    kind: node && entry ? "autocannon" : "fetch loops",
    async run(target, concurrency, seconds, pid) {
      const cpuBefore = pid ? cpuSeconds(pid) : undefined;
      let peak = pid ? rssMiB(pid) : undefined;
      let sum = 0;
      let samples = 0;
      const sampler = pid
        ? setInterval(() => {
          const now = rssMiB(pid);
          if (now === undefined) return;
          peak = Math.max(peak ?? 0, now);
          sum += now;
          samples++;
        }, 50)
        : undefined;
      const result = await drive(target, concurrency, seconds);
      clearInterval(sampler);
      const cpuAfter = pid ? cpuSeconds(pid) : undefined;
      const requests = result.rps * seconds;
      return {
        ...result,
        cpuUsPerRequest: cpuBefore !== undefined && cpuAfter !== undefined && requests > 0
          ? ((cpuAfter - cpuBefore) / requests) * 1e6
          : undefined,
        peakRssMiB: peak,
        meanRssMiB: samples > 0 ? sum / samples : undefined,
      };
    },
  };
}

/** Sequential requests timed in this process: p50 and p99 in ms, to the microsecond. */
export async function probeLatency(target: LoadCase, count: number) {
  const latencies: number[] = [];
  for (let i = 0; i < count; i++) {
    const started = performance.now();
    const response = await send(target);
    await response.arrayBuffer();
    latencies.push(performance.now() - started);
  }
  return percentiles(latencies);
}

/** A stream's time to first byte and to its end, the medians of `runs` one at a time (ms). */
export async function streamTimes(target: LoadCase, runs: number) {
  const firsts: number[] = [];
  const totals: number[] = [];
  const warmUp = 20;
  for (let i = -warmUp; i < runs; i++) {
    const started = performance.now();
    const response = await send(target);
    const reader = response.body!.getReader();
    let first: number | undefined;
    while (!(await reader.read()).done) first ??= performance.now() - started;
    if (i < 0) continue;
    firsts.push(first ?? 0);
    totals.push(performance.now() - started);
  }
  return { first: percentiles(firsts).p50, total: percentiles(totals).p50 };
}
