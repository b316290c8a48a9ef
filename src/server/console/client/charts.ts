/// <reference lib="dom" />
/**
 * @module
 * Charts with uPlot (loaded as its own script on the pages that draw any):
 * each `[data-chart="<id>"]` element is drawn from the JSON the page embeds
 * under that id (a `ChartSpec`: time buckets and one row of values per
 * series), as stacked bars. Colours follow the page's light or dark theme;
 * the chart follows its box's width; hovering shows each series' own value.
 */
// Its types only: uPlot itself is embedded by tools/console-assets.ts and loaded as its own
// script, so it is no import of subgate's (nor in deno.json's import map).
// deno-lint-ignore no-import-prefix
import type uPlot from "npm:uplot@1.6.32";
import { formatCompact, formatNumber } from "../format.ts";
import type { ChartSpec } from "../parts.tsx";
import { onRegion, pageData } from "./core.ts";

type UPlotClass = typeof uPlot;

const PALETTE = [
  "#3b82f6",
  "#f59e0b",
  "#10b981",
  "#ef4444",
  "#8b5cf6",
  "#ec4899",
  "#14b8a6",
  "#a3a300",
  "#64748b",
];

const charts = new Map<Element, { chart: uPlot; observer: ResizeObserver }>();

function cssVar(name: string): string {
  return getComputedStyle(document.documentElement).getPropertyValue(name).trim();
}

/** Each series stacked on the ones before it: the running sums. */
function stack(series: number[][]): number[][] {
  const sums: number[][] = [];
  series.forEach((values, i) => sums.push(values.map((v, j) => v + (i ? sums[i - 1][j] : 0))));
  return sums;
}

function draw(element: HTMLElement, spec: ChartSpec, UPlot: UPlotClass) {
  const raw = spec.series.map((s) => s.values);
  const stacked = spec.stacked ? stack(raw) : raw;
  // Drawn top of the stack first, so each lower series paints over the bottom of the ones above.
  const order = spec.series.map((_, i) => i).reverse();
  const axisColor = cssVar("--muted") || "#666";
  const grid = cssVar("--chart-grid") || "rgba(0,0,0,0.08)";
  const options: uPlot.Options = {
    width: Math.max(element.clientWidth, 200),
    height: 220,
    legend: { live: true },
    cursor: { points: { show: false } },
    scales: {
      // Bars start at their bucket: the last one needs its width past the last x.
      x: { time: true, range: (_u, min, max) => [min, max + spec.step] },
      y: { range: (_u, _min, max) => [0, Math.max(max, 1) * 1.05] },
    },
    axes: [
      { stroke: axisColor, grid: { stroke: grid }, ticks: { stroke: grid } },
      {
        stroke: axisColor,
        grid: { stroke: grid },
        ticks: { stroke: grid },
        size: 52,
        values: (_u, ticks) => ticks.map((tick) => formatCompact(tick)),
      },
    ],
    series: [
      {},
      ...order.map((i) => ({
        label: spec.series[i].label,
        stroke: PALETTE[i % PALETTE.length],
        fill: PALETTE[i % PALETTE.length] + "cc",
        width: 0,
        paths: UPlot.paths.bars!({ size: [0.85, 64], align: 1 }),
        points: { show: false },
        value: (_u: uPlot, _v: number, _s: number, index: number | null) =>
          index === null ? "–" : formatNumber(raw[i][index]),
      })),
    ],
  };
  const data = [spec.x, ...order.map((i) => stacked[i])] as uPlot.AlignedData;
  element.replaceChildren();
  const chart = new UPlot(options, data, element);
  const observer = new ResizeObserver(() => {
    const width = Math.max(element.clientWidth, 200);
    if (Math.abs(width - chart.width) > 2) chart.setSize({ width, height: 220 });
  });
  observer.observe(element);
  charts.set(element, { chart, observer });
}

function drawIn(region: Element) {
  const UPlot = (globalThis as unknown as { uPlot?: UPlotClass }).uPlot;
  for (const element of region.querySelectorAll<HTMLElement>("[data-chart]")) {
    const spec = pageData<ChartSpec>(element.dataset.chart!, region);
    if (!spec) continue;
    if (!UPlot) {
      element.textContent = "The chart's script did not load.";
      continue;
    }
    draw(element, spec, UPlot);
  }
}

function forget(region: Element) {
  for (const [element, { chart, observer }] of charts) {
    if (region.contains(element)) {
      observer.disconnect();
      chart.destroy();
      charts.delete(element);
    }
  }
}

export function startCharts() {
  if (!document.querySelector("[data-chart]")) return;
  onRegion(drawIn, forget);
  // The theme can change while the page is open: redraw in its colours.
  matchMedia("(prefers-color-scheme: dark)").addEventListener("change", () => {
    forget(document.body);
    drawIn(document.body);
  });
}
