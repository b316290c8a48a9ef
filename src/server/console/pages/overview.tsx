/**
 * @module
 * Overview: the last hour (requests and tokens per minute, error rate),
 * the accounts by state, the tightest plan-quota windows, recent failures.
 * Refreshed in place every 10 seconds.
 */
import type { AccountView } from "../../manage/account-view.ts";
import type { ActivityMinute } from "../../manage/activity.ts";
import type { RequestView } from "../../manage/request-log.ts";
import type { QuotaWindow } from "../../manage/sources.ts";
import type { ApiGet } from "../api.ts";
import { formatAgo, formatCompact, formatNumber, formatUtc } from "../format.ts";
import { JsonData, Moment, Problem, Section } from "../layout.tsx";
import { type ChartSpec, QuotaBar, StatusCode } from "../parts.tsx";

const STATES: AccountView["state"][] = ["ready", "resting", "expired", "needs-login", "disabled"];

function activityCharts(minutes: ActivityMinute[]): { requests: ChartSpec; tokens: ChartSpec } {
  const x = minutes.map((minute) => Date.parse(minute.at) / 1000);
  return {
    requests: {
      kind: "bars",
      stacked: true,
      unit: "requests",
      step: 60,
      x,
      series: [
        { label: "ok", values: minutes.map((m) => m.requests - m.errors) },
        { label: "errors", values: minutes.map((m) => m.errors) },
      ],
    },
    tokens: {
      kind: "bars",
      stacked: true,
      unit: "tokens",
      step: 60,
      x,
      series: [
        { label: "input", values: minutes.map((m) => m.inputTokens) },
        { label: "output", values: minutes.map((m) => m.outputTokens) },
      ],
    },
  };
}

interface TightWindow {
  account: AccountView;
  window: QuotaWindow;
}

function tightest(accounts: AccountView[], count: number): TightWindow[] {
  const windows: TightWindow[] = [];
  for (const account of accounts) {
    for (const window of account.quota?.windows ?? []) windows.push({ account, window });
  }
  return windows.sort((a, b) =>
    b.window.usedPercent - a.window.usedPercent ||
    (a.window.resetsAt ?? "").localeCompare(b.window.resetsAt ?? "")
  ).slice(0, count);
}

export async function overviewPage(api: ApiGet, now: number) {
  const [activity, accounts, requests] = await Promise.all([
    api<{ minutes: ActivityMinute[] }>("/manage/activity"),
    api<{ accounts: AccountView[] }>("/manage/accounts"),
    api<{ requests: RequestView[] }>("/manage/requests?limit=500"),
  ]);
  const minutes = activity.ok ? activity.body.minutes : [];
  const total = minutes.reduce(
    (sum, m) => ({
      requests: sum.requests + m.requests,
      errors: sum.errors + m.errors,
      input: sum.input + m.inputTokens,
      output: sum.output + m.outputTokens,
    }),
    { requests: 0, errors: 0, input: 0, output: 0 },
  );
  const errorRate = total.requests ? (total.errors / total.requests) * 100 : 0;
  const list = accounts.ok ? accounts.body.accounts : [];
  const counts = STATES.map((state) => ({
    state,
    count: list.filter((a) => a.state === state).length,
  })).filter((entry) => entry.count > 0);
  const failures = requests.ok
    ? requests.body.requests.filter((r) => r.status >= 400 && r.status !== 499).slice(0, 8)
    : [];
  const charts = activityCharts(minutes);
  const windows = tightest(list, 6);

  return (
    <div id="overview" data-refresh="10000">
      <div class="page-head">
        <div>
          <h1>Overview</h1>
          <p>The last hour on this server, its accounts and their plans.</p>
        </div>
      </div>
      {!activity.ok && <Problem message={activity.message} status={activity.status} />}
      <div class="stats">
        <div class="stat">
          <div class="label">Requests, last hour</div>
          <div class="value" data-stat="requests">{formatNumber(total.requests)}</div>
          <div class="detail">{(total.requests / 60).toFixed(1)} per minute</div>
        </div>
        <div class="stat">
          <div class="label">Tokens, last hour</div>
          <div class="value" data-stat="tokens">{formatCompact(total.input + total.output)}</div>
          <div class="detail">
            {formatCompact(total.input)} in · {formatCompact(total.output)} out
          </div>
        </div>
        <div class="stat">
          <div class="label">Error rate, last hour</div>
          <div class="value" data-stat="error-rate">
            {total.requests ? `${errorRate.toFixed(errorRate < 10 ? 1 : 0)}%` : "–"}
          </div>
          <div class="detail">{formatNumber(total.errors)} failed</div>
        </div>
        <div class="stat">
          <div class="label">Accounts</div>
          <div class="value" data-stat="accounts">{list.length}</div>
          <div class="state-counts">
            {counts.map(({ state, count }) => (
              <span class={`badge ${state}`}>{count} {state.replace("-", " ")}</span>
            ))}
            {accounts.ok && list.length === 0 && (
              <a href="/ui/accounts#add-account">Add an account</a>
            )}
          </div>
        </div>
      </div>
      {!accounts.ok && <Problem message={accounts.message} status={accounts.status} />}
      <div class="grid">
        <Section id="requests-per-minute" title="Requests per minute">
          <div class="chart" data-chart="activity-requests" aria-hidden="true"></div>
          <JsonData id="activity-requests" value={charts.requests} />
          <p class="legend-note">Requests that ended in each minute of the last hour.</p>
        </Section>
        <Section id="tokens-per-minute" title="Tokens per minute">
          <div class="chart" data-chart="activity-tokens" aria-hidden="true"></div>
          <JsonData id="activity-tokens" value={charts.tokens} />
          <p class="legend-note">As the upstreams reported them: input (cache included), output.</p>
        </Section>
      </div>
      <div class="grid">
        <Section
          id="tightest"
          title="Tightest quota windows"
          actions={<a href="/ui/accounts">All accounts</a>}
        >
          {windows.length === 0
            ? <p class="empty">No plan-quota readings yet.</p>
            : (
              <div class="quota">
                {windows.map(({ account, window }) => (
                  <div>
                    <div class="small">
                      {account.label} <span class="muted">({account.provider})</span>
                    </div>
                    <QuotaBar window={window} label={account.label} now={now} />
                  </div>
                ))}
              </div>
            )}
        </Section>
        <Section
          id="failures"
          title="Recent failures"
          actions={<a href="/ui/requests">All requests</a>}
        >
          {!requests.ok && <Problem message={requests.message} status={requests.status} />}
          {requests.ok && failures.length === 0 && (
            <p class="empty">No failed requests since the server started.</p>
          )}
          {failures.length > 0 && (
            <div class="table-wrap">
              <table>
                <thead>
                  <tr>
                    <th>When</th>
                    <th>Model</th>
                    <th>Status</th>
                    <th>Why</th>
                  </tr>
                </thead>
                <tbody>
                  {failures.map((request) => (
                    <tr>
                      <td class="nowrap">
                        <Moment iso={request.at} text={formatUtc(request.at)} />
                        <span class="sub">{formatAgo(request.at, now)}</span>
                      </td>
                      <td>
                        {request.requestedModel}
                        <span class="sub">{request.account?.label ?? "no account"}</span>
                      </td>
                      <td>
                        <StatusCode status={request.status} />
                      </td>
                      <td class="error-text small">{request.error ?? ""}</td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </div>
          )}
        </Section>
      </div>
    </div>
  );
}
