/**
 * @module
 * Usage: what the ledger recorded over the last day, week or month, as a
 * stacked chart over time by account, model, key or provider (the eight
 * largest, the rest as "other"), a table of totals per group, and the same
 * rows as CSV (`/ui/usage.csv`, with the page's query).
 */
import type { AccountView } from "../../manage/account-view.ts";
import type { UsageGroup, UsageRow } from "../../manage/sources.ts";
import type { ApiAnswer, ApiGet } from "../api.ts";
import { formatNumber, formatUtc } from "../format.ts";
import { JsonData, Problem, Section } from "../layout.tsx";
import { type ChartSpec, tokensOf } from "../parts.tsx";

const HOUR = 3_600_000;
const DAY = 24 * HOUR;
const MOST_SERIES = 8;

export const RANGES = {
  "24h": { title: "Last 24 hours", span: DAY, bucket: "hour" },
  "7d": { title: "Last 7 days", span: 7 * DAY, bucket: "hour" },
  "30d": { title: "Last 30 days", span: 30 * DAY, bucket: "day" },
} as const;
type Range = keyof typeof RANGES;
const GROUPS: UsageGroup[] = ["model", "account", "key", "provider"];
const METRICS = ["tokens", "requests"] as const;
type Metric = (typeof METRICS)[number];

export interface UsageChoice {
  range: Range;
  group: UsageGroup;
  metric: Metric;
  bucket: "hour" | "day";
  from: number;
  to: number;
}

const pick = <T extends string>(value: string | undefined, allowed: readonly T[], fallback: T) =>
  allowed.includes(value as T) ? value as T : fallback;

/** The page's choice from its query, with the time span it covers (whole buckets). */
export function usageChoice(query: (name: string) => string | undefined, now: number): UsageChoice {
  const range = pick(query("range"), Object.keys(RANGES) as Range[], "24h");
  const bucket = pick(query("bucket"), ["hour", "day"] as const, RANGES[range].bucket);
  const size = bucket === "day" ? DAY : HOUR;
  const last = Math.floor(now / size) * size;
  return {
    range,
    group: pick(query("group"), GROUPS, "model"),
    metric: pick(query("metric"), METRICS, "tokens"),
    bucket,
    from: last - (Math.ceil(RANGES[range].span / size) - 1) * size,
    to: now + 1,
  };
}

export function usagePath(choice: UsageChoice): string {
  const query = new URLSearchParams({
    from: String(choice.from),
    to: String(choice.to),
    group: choice.group,
    bucket: choice.bucket,
  });
  return `/manage/usage?${query}`;
}

/** How a group's value reads: an account's label, "(no key)" for requests without one, … */
export function groupLabeller(group: UsageGroup, accounts: AccountView[]) {
  const labels = new Map(accounts.map((a) => [a.id, `${a.label} (${a.provider})`]));
  return (value: string) => {
    if (value === "") return group === "key" ? "(no key)" : `(no ${group})`;
    if (group === "account") return labels.get(value) ?? value.replace(/^(file|config):/, "");
    return value;
  };
}

const valueOf = (row: UsageRow, metric: Metric) =>
  metric === "tokens" ? tokensOf(row) : row.requests;

interface Totals {
  group: string;
  label: string;
  requests: number;
  errors: number;
  inputTokens: number;
  outputTokens: number;
  cacheReadTokens: number;
  cacheWriteTokens: number;
  reasoningTokens: number;
}

function totalsOf(rows: UsageRow[], label: (value: string) => string): Totals[] {
  const byGroup = new Map<string, Totals>();
  for (const row of rows) {
    const total = byGroup.get(row.group) ?? {
      group: row.group,
      label: label(row.group),
      requests: 0,
      errors: 0,
      inputTokens: 0,
      outputTokens: 0,
      cacheReadTokens: 0,
      cacheWriteTokens: 0,
      reasoningTokens: 0,
    };
    total.requests += row.requests;
    total.errors += row.errors;
    total.inputTokens += row.inputTokens;
    total.outputTokens += row.outputTokens;
    total.cacheReadTokens += row.cacheReadTokens;
    total.cacheWriteTokens += row.cacheWriteTokens;
    total.reasoningTokens += row.reasoningTokens;
    byGroup.set(row.group, total);
  }
  return [...byGroup.values()];
}

function chartOf(choice: UsageChoice, rows: UsageRow[], totals: Totals[]): ChartSpec {
  const size = choice.bucket === "day" ? DAY : HOUR;
  const x: number[] = [];
  for (let at = choice.from; at < choice.to; at += size) x.push(at / 1000);
  const index = new Map(x.map((seconds, i) => [seconds * 1000, i]));
  const ranked = [...totals].sort((
    a,
    b,
  ) => (choice.metric === "tokens" ? tokensOf(b) - tokensOf(a) : b.requests - a.requests));
  const shown = ranked.slice(0, MOST_SERIES);
  const shownGroups = new Map(shown.map((total, i) => [total.group, i]));
  const series = shown.map((total) => ({ label: total.label, values: x.map(() => 0) }));
  const other = { label: "other", values: x.map(() => 0) };
  for (const row of rows) {
    const at = index.get(Date.parse(row.bucket));
    if (at === undefined) continue;
    const target = shownGroups.has(row.group) ? series[shownGroups.get(row.group)!] : other;
    target.values[at] += valueOf(row, choice.metric);
  }
  if (ranked.length > MOST_SERIES) series.push(other);
  return { kind: "bars", stacked: true, unit: choice.metric, step: size / 1000, x, series };
}

function Choices(props: { choice: UsageChoice }) {
  const { choice } = props;
  return (
    <form method="get" action="/ui/usage" class="inline-form" id="usage-form">
      <div class="field">
        <label for="usage-range">Period</label>
        <select id="usage-range" name="range" data-autosubmit>
          {(Object.keys(RANGES) as Range[]).map((range) => (
            <option value={range} selected={range === choice.range}>{RANGES[range].title}</option>
          ))}
        </select>
      </div>
      <div class="field">
        <label for="usage-group">By</label>
        <select id="usage-group" name="group" data-autosubmit>
          {GROUPS.map((group) => (
            <option value={group} selected={group === choice.group}>{group}</option>
          ))}
        </select>
      </div>
      <div class="field">
        <label for="usage-metric">Chart</label>
        <select id="usage-metric" name="metric" data-autosubmit>
          {METRICS.map((metric) => (
            <option value={metric} selected={metric === choice.metric}>{metric}</option>
          ))}
        </select>
      </div>
      <div class="field">
        <label for="usage-bucket">Per</label>
        <select id="usage-bucket" name="bucket" data-autosubmit>
          <option value="hour" selected={choice.bucket === "hour"}>hour</option>
          <option value="day" selected={choice.bucket === "day"}>day</option>
        </select>
      </div>
      <noscript>
        <button type="submit" class="btn">Show</button>
      </noscript>
    </form>
  );
}

export async function usagePage(api: ApiGet, choice: UsageChoice, csvHref: string) {
  const [usage, accounts] = await Promise.all([
    api<{ rows: UsageRow[] }>(usagePath(choice)),
    choice.group === "account"
      ? api<{ accounts: AccountView[] }>("/manage/accounts")
      : Promise.resolve({ ok: true, body: { accounts: [] } } as ApiAnswer<
        { accounts: AccountView[] }
      >),
  ]);
  const label = groupLabeller(choice.group, accounts.ok ? accounts.body.accounts : []);
  const rows = usage.ok ? usage.body.rows : [];
  const totals = totalsOf(rows, label).sort((a, b) => tokensOf(b) - tokensOf(a));
  const sum = totalsOf(rows.map((row) => ({ ...row, group: "all" })), () => "Total")[0];
  const chart = chartOf(choice, rows, totals);
  return (
    <>
      <div class="page-head">
        <div>
          <h1>Usage</h1>
          <p>
            From the usage ledger: {formatUtc(new Date(choice.from).toISOString())} to now, per{" "}
            {choice.bucket}.
          </p>
        </div>
        <a class="btn" href={csvHref} download id="usage-csv">Download CSV</a>
      </div>
      <Section id="usage-choices" title="Show" wide>
        <Choices choice={choice} />
      </Section>
      {!usage.ok && <Problem message={usage.message} status={usage.status} />}
      {usage.ok && (
        <>
          <Section
            id="usage-chart"
            title={`${choice.metric === "tokens" ? "Tokens" : "Requests"} by ${choice.group}`}
            wide
          >
            {rows.length === 0 ? <p class="empty">Nothing recorded in this period.</p> : (
              <>
                <div
                  class="chart"
                  data-chart="usage"
                  role="img"
                  aria-label={`Stacked ${choice.metric} per ${choice.bucket} by ${choice.group}; the table below has the totals.`}
                >
                </div>
                <JsonData id="usage" value={chart} />
                {choice.metric === "tokens" && (
                  <p class="legend-note">Tokens: input (cache included) plus output.</p>
                )}
              </>
            )}
          </Section>
          <Section id="usage-totals" title="Totals" wide>
            <div class="table-wrap">
              <table id="usage-table">
                <thead>
                  <tr>
                    <th scope="col">{choice.group}</th>
                    <th scope="col" class="num">Requests</th>
                    <th scope="col" class="num">Errors</th>
                    <th scope="col" class="num">Input</th>
                    <th scope="col" class="num">Output</th>
                    <th scope="col" class="num">Cache read</th>
                    <th scope="col" class="num">Cache write</th>
                    <th scope="col" class="num">Reasoning</th>
                  </tr>
                </thead>
                <tbody>
                  {totals.length === 0 && (
                    <tr>
                      <td colspan={8} class="empty">Nothing recorded in this period.</td>
                    </tr>
                  )}
                  {totals.map((total) => (
                    <tr data-group={total.group}>
                      <td>{total.label}</td>
                      <td class="num">{formatNumber(total.requests)}</td>
                      <td class="num">{formatNumber(total.errors)}</td>
                      <td class="num">{formatNumber(total.inputTokens)}</td>
                      <td class="num">{formatNumber(total.outputTokens)}</td>
                      <td class="num">{formatNumber(total.cacheReadTokens)}</td>
                      <td class="num">{formatNumber(total.cacheWriteTokens)}</td>
                      <td class="num">{formatNumber(total.reasoningTokens)}</td>
                    </tr>
                  ))}
                </tbody>
                {sum && (
                  <tfoot>
                    <tr>
                      <td>Total</td>
                      <td class="num">{formatNumber(sum.requests)}</td>
                      <td class="num">{formatNumber(sum.errors)}</td>
                      <td class="num">{formatNumber(sum.inputTokens)}</td>
                      <td class="num">{formatNumber(sum.outputTokens)}</td>
                      <td class="num">{formatNumber(sum.cacheReadTokens)}</td>
                      <td class="num">{formatNumber(sum.cacheWriteTokens)}</td>
                      <td class="num">{formatNumber(sum.reasoningTokens)}</td>
                    </tr>
                  </tfoot>
                )}
              </table>
            </div>
          </Section>
        </>
      )}
    </>
  );
}

/** A CSV field: quoted when it must be, and never read as a formula by a spreadsheet. */
function csvField(value: string | number): string {
  let text = String(value);
  if (typeof value === "string" && /^[=+\-@\t\r]/.test(text)) text = `'${text}`;
  return /[",\n\r]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

export async function usageCsv(
  api: ApiGet,
  choice: UsageChoice,
): Promise<{ ok: true; text: string } | { ok: false; status: number; message: string }> {
  const [usage, accounts] = await Promise.all([
    api<{ rows: UsageRow[] }>(usagePath(choice)),
    api<{ accounts: AccountView[] }>("/manage/accounts"),
  ]);
  if (!usage.ok) return usage;
  const label = groupLabeller(choice.group, accounts.ok ? accounts.body.accounts : []);
  const lines = [[
    "bucket",
    choice.group,
    "label",
    "requests",
    "errors",
    "input_tokens",
    "output_tokens",
    "cache_read_tokens",
    "cache_write_tokens",
    "reasoning_tokens",
  ].join(",")];
  for (const row of usage.body.rows) {
    lines.push(
      [
        row.bucket,
        row.group,
        label(row.group),
        row.requests,
        row.errors,
        row.inputTokens,
        row.outputTokens,
        row.cacheReadTokens,
        row.cacheWriteTokens,
        row.reasoningTokens,
      ].map(csvField).join(","),
    );
  }
  return { ok: true, text: lines.join("\r\n") + "\r\n" };
}
