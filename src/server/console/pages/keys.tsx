/**
 * @module
 * Keys: the client keys (the config's and those created through the API,
 * never a key itself) with their allowlists, limits, expiry and use over the
 * last 7 days and today; creating one (the key is shown once, with a copy
 * button) and revoking one made here.
 */
import type { ClientKeyView, UsageRow } from "../../manage/sources.ts";
import type { ApiGet } from "../api.ts";
import { formatCompact, formatNumber, formatUtc } from "../format.ts";
import { Moment, Problem, Section } from "../layout.tsx";
import { tokensOf } from "../parts.tsx";

const DAY = 86_400_000;

function limitsText(key: ClientKeyView): string[] {
  const limits = key.limits ?? {};
  const out: string[] = [];
  if (limits.requestsPerMinute) out.push(`${formatNumber(limits.requestsPerMinute)} req/min`);
  if (limits.requestsPerDay) out.push(`${formatNumber(limits.requestsPerDay)} req/day`);
  if (limits.tokensPerDay) out.push(`${formatCompact(limits.tokensPerDay)} tokens/day`);
  return out;
}

function sumsByKey(rows: UsageRow[], from: number) {
  const sums = new Map<string, { requests: number; tokens: number }>();
  for (const row of rows) {
    if (Date.parse(row.bucket) < from) continue;
    const sum = sums.get(row.group) ?? { requests: 0, tokens: 0 };
    sum.requests += row.requests;
    sum.tokens += tokensOf(row);
    sums.set(row.group, sum);
  }
  return sums;
}

function Use(props: { sum?: { requests: number; tokens: number } }) {
  if (!props.sum || props.sum.requests === 0) return <span class="muted">none</span>;
  return (
    <span>
      {formatNumber(props.sum.requests)} req
      <span class="sub">{formatCompact(props.sum.tokens)} tokens</span>
    </span>
  );
}

export async function keysPage(api: ApiGet, now: number) {
  const today = Math.floor(now / DAY) * DAY;
  const weekFrom = today - 6 * DAY;
  const [keys, usage] = await Promise.all([
    api<{ keys: ClientKeyView[] }>("/manage/keys"),
    api<{ rows: UsageRow[] }>(`/manage/usage?group=key&bucket=day&from=${weekFrom}&to=${now + 1}`),
  ]);
  const rows = usage.ok ? usage.body.rows : [];
  const week = sumsByKey(rows, weekFrom);
  const day = sumsByKey(rows, today);
  const list = keys.ok ? keys.body.keys : [];
  return (
    <>
      <div class="page-head">
        <div>
          <h1>Keys</h1>
          <p>The keys clients send to use this server. A key is shown once, when it is created.</p>
        </div>
        <a class="btn primary" href="#create-key">Create a key</a>
      </div>
      <Section id="keys" title="Client keys" wide>
        <div id="keys-list" data-refresh="30000">
          {!keys.ok && <Problem message={keys.message} status={keys.status} />}
          {!usage.ok && <Problem message={usage.message} status={usage.status} />}
          {keys.ok && list.length === 0 && (
            <p class="empty">
              No client keys: clients on this machine need none. Creating one turns the key check on
              for every client, on this machine too.
            </p>
          )}
          {list.length > 0 && (
            <div class="table-wrap">
              <table class="responsive" id="keys-table">
                <thead>
                  <tr>
                    <th scope="col">Name</th>
                    <th scope="col">Models</th>
                    <th scope="col">Limits</th>
                    <th scope="col">Expires</th>
                    <th scope="col">Last 7 days</th>
                    <th scope="col">Today</th>
                    <th scope="col">Actions</th>
                  </tr>
                </thead>
                <tbody>
                  {list.map((key) => (
                    <tr data-key={key.name}>
                      <td data-label="Name">
                        <strong class="mono">{key.name}</strong>
                        <span class="sub">
                          {key.source === "api" ? "created here" : "config.yaml"}
                          {key.createdAt && (
                            <>
                              {" · "}
                              <Moment iso={key.createdAt} text={formatUtc(key.createdAt)} />
                            </>
                          )}
                        </span>
                      </td>
                      <td data-label="Models">
                        {key.models?.length
                          ? <span class="mono small">{key.models.join(", ")}</span>
                          : <span class="muted">any</span>}
                      </td>
                      <td data-label="Limits">
                        {limitsText(key).length
                          ? limitsText(key).map((text) => (
                            <span class="sub" key={text}>{text}</span>
                          ))
                          : <span class="muted">none</span>}
                      </td>
                      <td data-label="Expires">
                        {key.expires
                          ? (
                            <span class={Date.parse(key.expires) < now ? "error-text" : ""}>
                              <Moment iso={key.expires} text={formatUtc(key.expires)} />
                            </span>
                          )
                          : <span class="muted">never</span>}
                      </td>
                      <td data-label="Last 7 days">
                        <Use sum={week.get(key.name)} />
                      </td>
                      <td data-label="Today">
                        <Use sum={day.get(key.name)} />
                      </td>
                      <td data-label="Actions">
                        {key.source === "api"
                          ? (
                            <button
                              type="button"
                              class="btn small danger"
                              id={`revoke-${key.name.replace(/[^A-Za-z0-9]+/g, "-")}`}
                              data-action="revoke"
                              data-url={`/manage/keys/${encodeURIComponent(key.name)}`}
                              data-label={key.name}
                            >
                              Revoke
                            </button>
                          )
                          : <a href="/ui/config" class="small">edit in config</a>}
                      </td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </div>
          )}
          {week.has("") && (
            <p class="muted small">
              Requests without a named key (plain <code>api-keys</code>{" "}
              entries, or none) in the last 7 days: {formatNumber(week.get("")!.requests)}.
            </p>
          )}
        </div>
      </Section>
      <Section id="create-key" title="Create a key" wide>
        {keys.ok && list.length === 0 && (
          <p class="notice warn">
            This is the first key: once it exists, every client must send a key, on this machine too
            (Claude Code, Codex and the rest need it in their settings; see{" "}
            <a href="/ui/clients">Clients</a>).
          </p>
        )}
        <form id="create-key-form" class="form-grid" novalidate>
          <div class="field">
            <label for="key-name">Name</label>
            <input
              type="text"
              id="key-name"
              name="name"
              required
              maxlength={64}
              pattern="[A-Za-z0-9][A-Za-z0-9._@+\-]*"
              autocomplete="off"
              aria-describedby="key-name-hint"
            />
            <span class="hint" id="key-name-hint">
              Letters, digits, . _ @ + - (names it in usage)
            </span>
          </div>
          <div class="field">
            <label for="key-models">Models</label>
            <input
              type="text"
              id="key-models"
              name="models"
              placeholder="claude-*, gpt-5*"
              autocomplete="off"
              aria-describedby="key-models-hint"
            />
            <span class="hint" id="key-models-hint">Patterns, comma-separated; empty: any</span>
          </div>
          <div class="field">
            <label for="key-rpm">Requests per minute</label>
            <input type="number" id="key-rpm" name="requests-per-minute" min={1} step={1} />
          </div>
          <div class="field">
            <label for="key-rpd">Requests per day</label>
            <input type="number" id="key-rpd" name="requests-per-day" min={1} step={1} />
          </div>
          <div class="field">
            <label for="key-tpd">Tokens per day</label>
            <input type="number" id="key-tpd" name="tokens-per-day" min={1} step={1} />
          </div>
          <div class="field">
            <label for="key-expires">Expires</label>
            <input type="date" id="key-expires" name="expires" />
          </div>
          <div class="field">
            <button type="submit" class="btn primary" id="create-key-button">Create key</button>
          </div>
        </form>
        <div id="new-key" aria-live="polite"></div>
      </Section>
    </>
  );
}
