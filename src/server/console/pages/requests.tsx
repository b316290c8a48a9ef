/**
 * @module
 * Requests: the recent requests, then a live tail of them (server-sent
 * events from `/manage/requests/stream`, resumed after the last one listed),
 * with filters. Metadata only: the API's records hold no body, key or token.
 * The script draws the rows, the listed ones and those that arrive.
 */
import type { RequestView } from "../../manage/request-log.ts";
import type { ApiGet } from "../api.ts";
import { JsonData, Problem, Section } from "../layout.tsx";

export async function requestsPage(api: ApiGet) {
  const recent = await api<{ requests: RequestView[] }>("/manage/requests?limit=200");
  return (
    <>
      <div class="page-head">
        <div>
          <h1>Requests</h1>
          <p>What clients asked for, as it happens: newest first, metadata only.</p>
        </div>
        <div class="card-actions">
          <span class="tail-status" id="tail-status" data-state="connecting" role="status">
            connecting…
          </span>
          <button type="button" class="btn small" id="tail-pause" aria-pressed="false">
            Pause
          </button>
          <button type="button" class="btn small" id="tail-clear">Clear</button>
        </div>
      </div>
      <Section id="request-filters" title="Filter" wide>
        <form id="filters" class="form-grid" role="search">
          <div class="field">
            <label for="filter-text">Contains</label>
            <input
              type="text"
              id="filter-text"
              name="text"
              placeholder="model, account, key, error"
            />
          </div>
          <div class="field">
            <label for="filter-status">Status</label>
            <select id="filter-status" name="status">
              <option value="">any</option>
              <option value="ok">succeeded</option>
              <option value="error">failed</option>
            </select>
          </div>
          <div class="field">
            <label for="filter-key">Key</label>
            <input type="text" id="filter-key" name="key" placeholder="key name" />
          </div>
          <div class="field">
            <label for="filter-account">Account</label>
            <input type="text" id="filter-account" name="account" placeholder="label or provider" />
          </div>
        </form>
      </Section>
      <Section
        id="request-log"
        title="Recent requests"
        wide
        actions={<span class="muted small" id="request-count"></span>}
      >
        {!recent.ok && <Problem message={recent.message} status={recent.status} />}
        <noscript>
          <p class="notice">The live tail needs JavaScript.</p>
        </noscript>
        <div class="table-wrap">
          <table class="responsive" id="requests-table">
            <thead>
              <tr>
                <th scope="col">Time</th>
                <th scope="col">Key</th>
                <th scope="col">Account</th>
                <th scope="col">Model</th>
                <th scope="col">Dialect</th>
                <th scope="col">Status</th>
                <th scope="col" class="num">Latency</th>
                <th scope="col" class="num">Tokens</th>
              </tr>
            </thead>
            <tbody id="requests-body"></tbody>
          </table>
        </div>
        <p class="empty" id="requests-empty" hidden>No requests match.</p>
        <JsonData id="recent-requests" value={recent.ok ? recent.body.requests : []} />
      </Section>
    </>
  );
}
