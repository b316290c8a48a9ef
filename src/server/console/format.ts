/**
 * @module
 * How the console writes numbers, durations and times, shared by the pages
 * the server renders and the scripts the browser runs (which bundle this
 * file): the same figure reads the same in both.
 */

/** 1234567 as "1,234,567". */
export function formatNumber(value: number): string {
  return Math.round(value).toLocaleString("en-US");
}

/** 1234567 as "1.2M", 5321 as "5.3k". */
export function formatCompact(value: number): string {
  const abs = Math.abs(value);
  const units: [number, string][] = [[1e9, "G"], [1e6, "M"], [1e3, "k"]];
  for (const [size, unit] of units) {
    if (abs >= size) {
      const scaled = value / size;
      return `${scaled >= 100 ? Math.round(scaled) : Number(scaled.toFixed(1))}${unit}`;
    }
  }
  return String(Math.round(value));
}

/** A length of time in its two largest units: "3d 4h", "1h 59m", "4m 10s", "42s". */
export function formatDuration(ms: number): string {
  const seconds = Math.max(0, Math.round(ms / 1000));
  const days = Math.floor(seconds / 86_400);
  const hours = Math.floor((seconds % 86_400) / 3600);
  const minutes = Math.floor((seconds % 3600) / 60);
  const rest = seconds % 60;
  if (days) return hours ? `${days}d ${hours}h` : `${days}d`;
  if (hours) return minutes ? `${hours}h ${minutes}m` : `${hours}h`;
  if (minutes) return rest ? `${minutes}m ${rest}s` : `${minutes}m`;
  return `${rest}s`;
}

/** How long until `iso`: "in 1h 59m", or "now" once it has passed. */
export function formatUntil(iso: string, now = Date.now()): string {
  const left = Date.parse(iso) - now;
  return left > 500 ? `in ${formatDuration(left)}` : "now";
}

/** How long ago `iso` was: "42s ago", "3h 2m ago". */
export function formatAgo(iso: string, now = Date.now()): string {
  return `${formatDuration(Math.max(0, now - Date.parse(iso)))} ago`;
}

/** Milliseconds as "840 ms" or "12.4 s". */
export function formatLatency(ms: number | undefined): string {
  if (ms === undefined) return "–";
  return ms < 1000 ? `${Math.round(ms)} ms` : `${(ms / 1000).toFixed(1)} s`;
}

const pad = (value: number) => String(value).padStart(2, "0");

/** A moment as "2026-06-01 14:03 UTC" (the browser rewrites it in local time). */
export function formatUtc(iso: string, seconds = false): string {
  const date = new Date(iso);
  if (Number.isNaN(date.getTime())) return iso;
  const time = `${pad(date.getUTCHours())}:${pad(date.getUTCMinutes())}${
    seconds ? `:${pad(date.getUTCSeconds())}` : ""
  }`;
  return `${date.getUTCFullYear()}-${pad(date.getUTCMonth() + 1)}-${
    pad(date.getUTCDate())
  } ${time} UTC`;
}

/** A moment in the browser's time zone: "14:03" today, "Jun 1 14:03" another day. */
export function formatLocal(iso: string, seconds = false, now = new Date()): string {
  const date = new Date(iso);
  if (Number.isNaN(date.getTime())) return iso;
  const time = `${pad(date.getHours())}:${pad(date.getMinutes())}${
    seconds ? `:${pad(date.getSeconds())}` : ""
  }`;
  if (date.toDateString() === now.toDateString()) return time;
  const day = date.toLocaleDateString("en-US", { month: "short", day: "numeric" });
  return date.getFullYear() === now.getFullYear()
    ? `${day} ${time}`
    : `${date.getFullYear()} ${day} ${time}`;
}

/** How full a quota window is, as a level the bars are coloured by. */
export function quotaLevel(usedPercent: number): "ok" | "warn" | "bad" {
  return usedPercent >= 90 ? "bad" : usedPercent >= 70 ? "warn" : "ok";
}
