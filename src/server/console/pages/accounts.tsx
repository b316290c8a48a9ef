/**
 * @module
 * Accounts: one row per account (provider, label, state, quota bars with
 * their resets, usage today, requests since start) with its actions (test,
 * refresh, disable or enable, delete), refreshed every 5 seconds; and adding
 * an account: pick a provider and a flow, then follow it in the page (the
 * script draws the device code or the sign-in link and paste-back, and
 * watches the login until the account is live).
 */
import { PROVIDER_LIST } from "../../../providers/registry.ts";
import type { AccountView } from "../../manage/account-view.ts";
import type { ApiGet } from "../api.ts";
import { formatNumber } from "../format.ts";
import { JsonData, Problem, Section } from "../layout.tsx";
import { QuotaBars, StateBadge, UsageFiguresCell } from "../parts.tsx";

interface AccountsAnswer {
  accounts: AccountView[];
  problems: { file: string; reason: string }[];
}

/** What the add-an-account form offers: each provider's flows, its default first. */
export function loginChoices() {
  return PROVIDER_LIST.map((provider) => {
    const spec = provider.login;
    const flows: string[] = [];
    if (spec.device) flows.push("device");
    if (spec.callback) flows.push("browser");
    if (spec.manualRedirectUrl) flows.push("manual");
    flows.sort((a, b) => (a === spec.defaultFlow ? -1 : b === spec.defaultFlow ? 1 : 0));
    return { id: provider.id, title: provider.title, flows };
  }).filter((provider) => provider.flows.length > 0);
}

const FLOW_TEXT: Record<string, string> = {
  device: "Device code: enter a code on the provider's page",
  browser: "Browser: sign in, then come back here",
  manual: "Sign in and paste the code the provider shows",
};

function Actions(props: { account: AccountView }) {
  const { account } = props;
  const id = encodeURIComponent(account.id);
  const key = account.id.replace(/[^A-Za-z0-9]+/g, "-");
  const common = { "data-account": account.id, "data-label": account.label };
  return (
    <div class="actions">
      <button
        type="button"
        class="btn small"
        id={`test-${key}`}
        data-action="test"
        data-url={`/manage/accounts/${id}/test`}
        {...common}
      >
        Test
      </button>
      {account.source === "file" && (
        <>
          <button
            type="button"
            class="btn small"
            id={`refresh-${key}`}
            data-action="refresh"
            data-url={`/manage/accounts/${id}/refresh`}
            {...common}
          >
            Refresh token
          </button>
          {account.state === "disabled"
            ? (
              <button
                type="button"
                class="btn small"
                id={`enable-${key}`}
                data-action="enable"
                data-url={`/manage/accounts/${id}/enable`}
                {...common}
              >
                Enable
              </button>
            )
            : (
              <button
                type="button"
                class="btn small"
                id={`disable-${key}`}
                data-action="disable"
                data-url={`/manage/accounts/${id}/disable`}
                {...common}
              >
                Disable
              </button>
            )}
          <button
            type="button"
            class="btn small danger"
            id={`delete-${key}`}
            data-action="delete"
            data-url={`/manage/accounts/${id}`}
            {...common}
          >
            Delete
          </button>
        </>
      )}
    </div>
  );
}

function AccountRow(props: { account: AccountView; now: number }) {
  const { account } = props;
  return (
    <tr data-account-row={account.id}>
      <td data-label="Account">
        <strong>{account.label}</strong>
        <span class="sub">
          {account.provider}
          {account.kind !== "oauth" && ` · ${account.kind}`}
          {account.source === "config"
            ? " · config.yaml"
            : account.file
            ? ` · ${account.file}`
            : ""}
        </span>
        {account.lastError && <span class="sub error-text">{account.lastError}</span>}
      </td>
      <td data-label="State">
        <StateBadge account={account} now={props.now} />
      </td>
      <td data-label="Quota">
        <QuotaBars account={account} now={props.now} />
      </td>
      <td data-label="Today">
        <UsageFiguresCell figures={account.usageToday} />
      </td>
      <td data-label="Since start" class="num">
        {formatNumber(account.requests)}
        {account.errors > 0 && <span class="sub">{formatNumber(account.errors)} failed</span>}
      </td>
      <td data-label="Actions">
        <Actions account={account} />
      </td>
    </tr>
  );
}

export async function accountsPage(api: ApiGet, now: number) {
  const [answer, logins] = await Promise.all([
    api<AccountsAnswer>("/manage/accounts"),
    api<{ logins: { status: string }[] }>("/manage/logins"),
  ]);
  const providers = loginChoices();
  const pending = logins.ok ? logins.body.logins.filter((login) => login.status === "pending") : [];
  return (
    <>
      <div class="page-head">
        <div>
          <h1>Accounts</h1>
          <p>Every login and API key this server serves from, and how much of each plan is left.</p>
        </div>
        <a class="btn primary" href="#add-account">Add an account</a>
      </div>
      <Section
        id="accounts"
        title="Accounts"
        wide
        actions={
          <button
            type="button"
            class="btn small"
            id="read-quota"
            data-action="read-quota"
            data-url="/manage/quota/refresh"
          >
            Read quota now
          </button>
        }
      >
        <div id="accounts-list" data-refresh="5000">
          {!answer.ok && <Problem message={answer.message} status={answer.status} />}
          {answer.ok && answer.body.accounts.length === 0 && (
            <p class="empty">
              No accounts yet. <a href="#add-account">Add one</a>, or put API keys in the{" "}
              <a href="/ui/config">config</a>.
            </p>
          )}
          {answer.ok && answer.body.accounts.length > 0 && (
            <div class="table-wrap">
              <table class="responsive" id="accounts-table">
                <thead>
                  <tr>
                    <th scope="col">Account</th>
                    <th scope="col">State</th>
                    <th scope="col">Quota</th>
                    <th scope="col">Today</th>
                    <th scope="col" class="num">Since start</th>
                    <th scope="col">Actions</th>
                  </tr>
                </thead>
                <tbody>
                  {answer.body.accounts.map((account) => (
                    <AccountRow account={account} now={now} />
                  ))}
                </tbody>
              </table>
            </div>
          )}
          {answer.ok && answer.body.problems.length > 0 && (
            <>
              <h3>Files that do not load</h3>
              <ul>
                {answer.body.problems.map((problem) => (
                  <li>
                    <code>{problem.file}</code>: <span class="error-text">{problem.reason}</span>
                  </li>
                ))}
              </ul>
            </>
          )}
        </div>
      </Section>
      <Section id="add-account" title="Add an account" wide>
        <form id="add-account-form" class="inline-form" novalidate>
          <div class="field">
            <label for="login-provider">Provider</label>
            <select id="login-provider" name="provider" required>
              {providers.map((provider) => (
                <option value={provider.id} data-flows={provider.flows.join(",")}>
                  {provider.title}
                </option>
              ))}
            </select>
          </div>
          <fieldset id="login-flows">
            <legend>How to sign in</legend>
            <div class="choices">
              {["device", "browser", "manual"].map((flow) => (
                <label>
                  <input type="radio" name="flow" value={flow} /> {FLOW_TEXT[flow]}
                </label>
              ))}
            </div>
          </fieldset>
          <button type="submit" class="btn primary" id="login-start">Start</button>
        </form>
        <p class="muted small">
          The login runs on this server and the account file is written to its auth dir; API keys
          (Claude, Gemini, Codex, OpenAI-compatible) are added in the{" "}
          <a href="/ui/config">config</a>.
        </p>
        <div id="logins" aria-live="polite"></div>
        <JsonData id="pending-logins" value={pending} />
      </Section>
    </>
  );
}
