/**
 * @module
 * Pieces several console pages draw: an account's state, its quota bars,
 * token figures, a status code, and the series a chart is drawn from.
 */
import type { AccountView } from "../manage/account-view.ts";
import type { QuotaWindow, UsageFigures } from "../manage/sources.ts";
import { formatCompact, formatNumber, formatUntil, formatUtc, quotaLevel } from "./format.ts";
import { Countdown } from "./layout.tsx";

const STATE_TEXT: Record<AccountView["state"], string> = {
  ready: "ready",
  resting: "resting",
  expired: "token expired",
  "needs-login": "needs login",
  disabled: "disabled",
};

/** The latest end of an account's rests (it serves no model of them until then). */
export function restingUntil(account: AccountView): string | undefined {
  const ends = account.resting.map((rest) => rest.until).filter(Boolean).sort();
  return ends.at(-1);
}

export function StateBadge(props: { account: AccountView; now: number }) {
  const { account } = props;
  const until = account.state === "resting" ? restingUntil(account) : undefined;
  const reasons = [...new Set(account.resting.map((rest) => rest.reason))].join("; ");
  return (
    <span class="state">
      <span class={`badge ${account.state}`} data-state={account.state}>
        {STATE_TEXT[account.state]}
      </span>
      {until && (
        <span class="sub">
          back <Countdown iso={until} text={formatUntil(until, props.now)} />
          {reasons && ` (${reasons})`}
        </span>
      )}
      {account.state === "needs-login" && (
        <span class="sub">log in again: Add an account below</span>
      )}
    </span>
  );
}

export function QuotaBar(props: { window: QuotaWindow; label?: string; now: number }) {
  const { window } = props;
  const used = Math.max(0, Math.min(100, Math.round(window.usedPercent)));
  const name = props.label ? `${props.label} ${window.name}` : window.name;
  return (
    <div class="quota-row" data-window={window.name}>
      <span class="mono">{window.name}</span>
      <div
        class={`bar ${quotaLevel(used)}`}
        role="meter"
        aria-label={`${name} window used`}
        aria-valuemin={0}
        aria-valuemax={100}
        aria-valuenow={used}
        aria-valuetext={`${used}% used${
          window.resetsAt ? `, resets ${formatUtc(window.resetsAt)}` : ""
        }`}
        style={`--used:${used}%`}
      >
        <span></span>
      </div>
      <span class="num">{used}%</span>
      {window.resetsAt && (
        <span class="reset">
          resets <Countdown iso={window.resetsAt} text={formatUntil(window.resetsAt, props.now)} />
          {window.remaining !== undefined && ` · ${formatNumber(window.remaining)} left`}
        </span>
      )}
    </div>
  );
}

export function QuotaBars(props: { account: AccountView; now: number }) {
  const quota = props.account.quota;
  if (!quota || quota.windows.length === 0) {
    return (
      <span class="muted small">
        {quota?.error ? <span class="error-text">{quota.error}</span> : "no reading"}
      </span>
    );
  }
  return (
    <div class="quota">
      {quota.windows.map((window) => (
        <QuotaBar window={window} label={props.account.label} now={props.now} />
      ))}
      {quota.error && <span class="sub error-text">last reading failed: {quota.error}</span>}
    </div>
  );
}

/** Input plus output tokens. */
export const tokensOf = (figures: Pick<UsageFigures, "inputTokens" | "outputTokens">) =>
  figures.inputTokens + figures.outputTokens;

export function UsageFiguresCell(props: { figures?: UsageFigures }) {
  const figures = props.figures;
  if (!figures || figures.requests === 0) return <span class="muted">none</span>;
  return (
    <span>
      {formatNumber(figures.requests)} req
      <span class="sub">
        {formatCompact(figures.inputTokens)} in · {formatCompact(figures.outputTokens)} out
        {figures.errors > 0 && ` · ${figures.errors} errors`}
      </span>
    </span>
  );
}

export function StatusCode(props: { status: number }) {
  const bad = props.status >= 400 && props.status !== 499;
  return <span class={`status-code ${bad ? "bad" : "ok"}`}>{props.status}</span>;
}

/** A chart as the scripts draw it: x in epoch seconds, one row of values per series. */
export interface ChartSpec {
  kind: "bars" | "line";
  stacked: boolean;
  /** What the y axis counts ("requests", "tokens"). */
  unit: string;
  /** Width of one bucket in seconds (bars are drawn that wide). */
  step: number;
  x: number[];
  series: { label: string; values: number[] }[];
}
