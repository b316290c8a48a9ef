/**
 * @module
 * One bench run as a table (ratios to the floor and to each peer) and the
 * targets from the benchmark issue, each met or missed, as plain text for the
 * terminal and Markdown for bench/results/.
 */
import type { LoadResult } from "./load.ts";

export interface Row {
  case: string;
  path: "passthrough" | "translating";
  concurrency: number;
  results: Record<string, LoadResult | undefined>;
}

interface Latency {
  p50: number;
  p99: number;
}

interface StreamTime {
  first: number;
  total: number;
}

export interface Report {
  date: string;
  quick: boolean;
  seconds: number;
  loader: string;
  peers: Record<string, string>;
  rows: Row[];
  latency: { direct: Latency; floor: Latency; passthrough: Latency; translating: Latency };
  streams: {
    chunks: number;
    floor: StreamTime;
    passthrough: StreamTime;
    translating: StreamTime;
  }[];
  idle: { floor?: number; subgate?: number; subgateMany?: number };
  /** The first start (Deno compiling and caching the modules) and the median of the later ones. */
  start: { firstMs: number; laterMs: number };
  leak: { afterFirst?: number; afterSecond?: number };
}

const fixed = (value: number | undefined, digits = 2) =>
  value === undefined || !Number.isFinite(value) ? "-" : value.toFixed(digits);
const ratio = (ours?: LoadResult, theirs?: LoadResult) =>
  ours && theirs ? `${(ours.rps / theirs.rps).toFixed(2)}×` : "-";
const rps = (result?: LoadResult) => (result ? String(Math.round(result.rps)) : "-");

interface Target {
  what: string;
  goal: string;
  measured: string;
  met: boolean | undefined;
}

function targets(report: Report): Target[] {
  const out: Target[] = [];
  for (const [path, goal] of [["passthrough", 0.85], ["translating", 0.7]] as const) {
    const ratios = report.rows.filter((row) => row.path === path).map((row) =>
      row.results.subgate!.rps / row.results.floor!.rps
    );
    out.push({
      what: `${path} req/s vs floor, every case and concurrency`,
      goal: `≥ ${goal}×`,
      measured: `${Math.min(...ratios).toFixed(2)}× at worst`,
      met: Math.min(...ratios) >= goal,
    });
  }
  const { direct, floor, passthrough } = report.latency;
  const floorAdds = floor.p50 - direct.p50;
  const oursAdds = passthrough.p50 - direct.p50;
  out.push({
    what: "passthrough added p50 latency (c=1) vs the floor's",
    goal: "≤ 1.2×",
    measured: `${(oursAdds * 1000).toFixed(0)} µs vs ${(floorAdds * 1000).toFixed(0)} µs`,
    met: oursAdds <= 1.2 * floorAdds,
  });
  const [s500, s1000] = report.streams;
  const gap = s500.translating.first - s500.passthrough.first;
  out.push({
    what: "translated stream first byte vs passthrough (500 chunks)",
    goal: "≤ +0.2 ms",
    measured: `${gap >= 0 ? "+" : ""}${gap.toFixed(2)} ms`,
    met: gap <= 0.2,
  });
  const growth = s1000.translating.total / s500.translating.total;
  out.push({
    what: "translated stream time, 1,000 vs 500 chunks",
    goal: "linear (≤ 2.2×)",
    measured: `${growth.toFixed(2)}×`,
    met: growth <= 2.2,
  });
  for (const peer of ["ccr", "portkey"]) {
    const rows = report.rows.filter((row) => row.concurrency === 64 && row.results[peer]);
    if (!rows.length) {
      out.push({
        what: `req/s vs ${peer} at c=64`,
        goal: "≥ 6×",
        measured: `not run (${report.peers[peer]})`,
        met: undefined,
      });
      continue;
    }
    const worst = Math.min(...rows.map((row) => row.results.subgate!.rps / row.results[peer]!.rps));
    out.push({
      what: `req/s vs ${peer} at c=64, every case it ran`,
      goal: "≥ 6×",
      measured: `${worst.toFixed(1)}× at worst`,
      met: worst >= 6,
    });
  }
  const { floor: idleFloor, subgate, subgateMany } = report.idle;
  if (idleFloor && subgate) {
    out.push({
      what: "idle RSS vs the floor",
      goal: "≤ 1.3×",
      measured: `${subgate.toFixed(0)} MiB vs ${idleFloor.toFixed(0)} MiB (${
        (subgate / idleFloor).toFixed(2)
      }×)`,
      met: subgate <= 1.3 * idleFloor,
    });
  }
  if (subgateMany) {
    out.push({
      what: "idle RSS with 1,000 account files",
      goal: "≤ 100 MB",
      measured: `${(subgateMany * 1.048576).toFixed(0)} MB`,
      met: subgateMany * 1.048576 <= 100,
    });
  }
  const { afterFirst, afterSecond } = report.leak;
  if (afterFirst && afterSecond) {
    const change = afterSecond / afterFirst - 1;
    out.push({
      what: "RSS after a second identical round vs the first",
      goal: "within 5 %",
      measured: `${afterFirst.toFixed(0)} → ${afterSecond.toFixed(0)} MiB (${
        (change * 100).toFixed(1)
      } %)`,
      met: Math.abs(change) <= 0.05,
    });
  }
  out.push({
    what: "process start to first request served",
    goal: "≤ 300 ms",
    measured: `${report.start.laterMs.toFixed(0)} ms (deno run; first start after an edit ${
      report.start.firstMs.toFixed(0)
    } ms)`,
    met: report.start.laterMs <= 300,
  });
  return out;
}

function grid(header: string[], rows: string[][]): { text: string; markdown: string } {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const line = (cells: string[]) => cells.map((cell, i) => cell.padEnd(widths[i])).join("  ");
  return {
    text: [line(header), widths.map((w) => "-".repeat(w)).join("  "), ...rows.map(line)].join(
      "\n",
    ),
    markdown: [
      `| ${header.join(" | ")} |`,
      `|${header.map(() => "---").join("|")}|`,
      ...rows.map((row) => `| ${row.join(" | ")} |`),
    ].join("\n"),
  };
}

export function renderReport(report: Report): { table: string; markdown: string } {
  const load = grid(
    [
      "case",
      "c",
      "floor req/s",
      "subgate req/s",
      "× floor",
      "floor+ req/s",
      "× floor+",
      "ccr req/s",
      "× ccr",
      "portkey req/s",
      "× portkey",
      "subgate p50/p99 ms",
      "CPU µs/req subgate (floor, floor+)",
      "peak RSS MiB",
    ],
    report.rows.map((row) => {
      const { floor, essentials, subgate, ccr, portkey } = row.results;
      return [
        row.case,
        String(row.concurrency),
        rps(floor),
        rps(subgate),
        ratio(subgate, floor),
        rps(essentials),
        ratio(subgate, essentials),
        rps(ccr),
        ratio(subgate, ccr),
        rps(portkey),
        ratio(subgate, portkey),
        `${subgate!.p50} / ${subgate!.p99}`,
        `${fixed(subgate!.cpuUsPerRequest, 0)} (${fixed(floor!.cpuUsPerRequest, 0)}${
          essentials ? `, ${fixed(essentials.cpuUsPerRequest, 0)}` : ""
        })`,
        fixed(subgate!.peakRssMiB, 0),
      ];
    }),
  );
  const { direct, floor, passthrough, translating } = report.latency;
  const latency = grid(
    ["c=1, sequential", "p50 ms", "p99 ms", "added p50 µs"],
    [
      ["upstream direct", direct, "-"],
      ["floor forwarder", floor, ((floor.p50 - direct.p50) * 1000).toFixed(0)],
      ["subgate passthrough", passthrough, ((passthrough.p50 - direct.p50) * 1000).toFixed(0)],
      ["subgate translating", translating, ((translating.p50 - direct.p50) * 1000).toFixed(0)],
    ].map(([name, l, added]) => [
      name as string,
      fixed((l as Latency).p50 ?? undefined, 3),
      fixed((l as Latency).p99 ?? undefined, 3),
      added as string,
    ]),
  );
  const streams = grid(
    ["stream, one at a time", "floor ttfb / total ms", "passthrough", "translating"],
    report.streams.map((s) => [
      `${s.chunks} chunks`,
      `${fixed(s.floor.first)} / ${fixed(s.floor.total)}`,
      `${fixed(s.passthrough.first)} / ${fixed(s.passthrough.total)}`,
      `${fixed(s.translating.first)} / ${fixed(s.translating.total)}`,
    ]),
  );
  const goals = grid(
    ["target", "goal", "measured", ""],
    targets(report).map((t) => [
      t.what,
      t.goal,
      t.measured,
      t.met === undefined ? "n/a" : t.met ? "met" : "MISSED",
    ]),
  );
  const peers = Object.entries(report.peers).map(([name, state]) => `${name}: ${state}`).join(
    "; ",
  );
  const head = `subgate bench, ${report.date}${report.quick ? " (quick)" : ""}: ` +
    `${report.seconds} s per run, load by ${report.loader}; peers: ${peers}`;
  return {
    table: [head, "", load.text, "", latency.text, "", streams.text, "", goals.text].join("\n"),
    markdown: [
      `# ${head}`,
      "",
      load.markdown,
      "",
      latency.markdown,
      "",
      streams.markdown,
      "",
      goals.markdown,
      "",
    ].join("\n"),
  };
}
