/// <reference lib="dom" />
/**
 * @module
 * Adding an account from the Accounts page: the provider picked offers its
 * flows; starting one asks the server to run the login (`POST
 * /manage/logins`) and draws what the person needs: the device code with a
 * copy button, the page to enter it on and a countdown; or the sign-in link
 * with a field to paste the final address or `code#state` back. The login is
 * then watched (`GET /manage/logins/{id}`) until the account is live, which
 * refreshes the account list, or until it fails, which says why. Logins
 * already running when the page loads are picked up again.
 */
import { formatUntil } from "../format.ts";
import { act, ApiFailure, call, el, pageData, refreshRegions, toast } from "./core.ts";

interface LoginView {
  id: string;
  provider: string;
  flow: "device" | "browser" | "manual";
  status: "pending" | "done" | "failed";
  expiresAt: string;
  device?: {
    userCode: string;
    verificationUri: string;
    verificationUriComplete?: string;
    interval: number;
  };
  authorize?: {
    url: string;
    redirectUri: string;
    listening: boolean;
    paste: "code#state" | "address";
  };
  account?: string;
  accountId?: string;
  live?: boolean;
  error?: { step: string; reason: string };
  notes: string[];
}

const POLL_MS = 1500;

function providerTitle(id: string): string {
  const option = document.querySelector<HTMLOptionElement>(
    `#login-provider option[value="${CSS.escape(id)}"]`,
  );
  return option?.textContent?.trim() || id;
}

/** The radio buttons offer the picked provider's flows, its default chosen. */
function syncFlows(select: HTMLSelectElement) {
  const flows = (select.selectedOptions[0]?.dataset.flows ?? "").split(",");
  const radios = document.querySelectorAll<HTMLInputElement>('#login-flows input[name="flow"]');
  let checked = false;
  for (const radio of radios) {
    const offered = flows.includes(radio.value);
    radio.disabled = !offered;
    radio.closest("label")!.hidden = !offered;
    if (radio.checked && !offered) radio.checked = false;
    checked ||= radio.checked;
  }
  if (!checked) {
    const first = [...radios].find((radio) => radio.value === flows[0]);
    if (first) first.checked = true;
  }
}

function link(href: string, text: string, className = "") {
  return el("a", { href, target: "_blank", rel: "noopener noreferrer", class: className }, text);
}

/** Draws one login's panel and watches it until it ends. */
function follow(container: HTMLElement, login: LoginView, terms?: string) {
  const title = providerTitle(login.provider);
  const statusLine = el("p", { class: "login-status", role: "status" });
  const cancel = el("button", { type: "button", class: "btn small" }, "Cancel");
  const panel = el("div", { class: "login-panel", "data-login": login.id });
  const heading = el("h3", {}, `${title}: `);
  panel.append(heading);

  if (login.device) {
    heading.append("enter this code");
    const codeId = `code-${login.id}`;
    panel.append(
      el(
        "div",
        { class: "code-line" },
        el("span", { class: "user-code", id: codeId }, login.device.userCode),
        el(
          "button",
          { type: "button", class: "btn small copy", "data-copy-target": codeId },
          "Copy code",
        ),
      ),
      el(
        "p",
        {},
        "Open ",
        link(login.device.verificationUri, login.device.verificationUri),
        ", sign in there, and enter the code.",
        login.device.verificationUriComplete
          ? el(
            "span",
            {},
            " Or ",
            link(login.device.verificationUriComplete, "open it with the code filled in"),
            ".",
          )
          : "",
      ),
    );
  } else if (login.authorize) {
    heading.append("sign in");
    const manual = login.authorize.paste === "code#state";
    panel.append(
      el(
        "p",
        {},
        link(login.authorize.url, `Open ${title}'s sign-in page`, "btn primary"),
      ),
      el(
        "p",
        { class: "muted small" },
        manual
          ? "Sign in and approve; the page then shows a code. Paste it here:"
          : login.authorize.listening
          ? "Sign in and approve. When this browser runs on the same machine as subgate, the " +
            "login finishes by itself; otherwise paste the address the browser ended on (its " +
            "page may not load):"
          : "Sign in and approve, then paste the address the browser ended on (its page may not " +
            "load):",
      ),
    );
    const inputId = `paste-${login.id}`;
    const input = el("input", {
      type: "text",
      id: inputId,
      autocomplete: "off",
      placeholder: manual ? "code#state" : `${login.authorize.redirectUri}?code=…`,
    });
    const submit = el("button", { type: "submit", class: "btn" }, "Submit");
    const form = el(
      "form",
      { class: "inline-form paste-back" },
      el(
        "div",
        { class: "field" },
        el("label", { for: inputId }, manual ? "Code" : "Address or code"),
        input,
      ),
      submit,
    );
    input.size = 48;
    form.addEventListener("submit", async (event) => {
      event.preventDefault();
      const pasted = input.value.trim();
      if (!pasted) {
        toast("Paste the code or address first.", "bad");
        input.focus();
        return;
      }
      const answer = await act(
        submit,
        "Sending it to the login…",
        () =>
          call<{ login: LoginView }>("POST", `/manage/logins/${login.id}/callback`, {
            json: pasted.includes("://") ? { url: pasted } : { code: pasted },
          }),
        ({ login: next }) =>
          next.status === "failed"
            ? [`The login failed: ${next.error?.reason ?? "unknown reason"}`, "bad"]
            : "Received: finishing the login…",
      );
      if (answer) update(answer.login);
    });
    panel.append(form);
  }

  const expiry = el("time", { datetime: login.expiresAt, "data-countdown": "" });
  expiry.textContent = formatUntil(login.expiresAt);
  panel.append(statusLine, el("div", { class: "actions" }, cancel));
  if (terms) panel.append(el("p", { class: "muted small" }, terms));
  const notes = el("ul", { class: "muted small" });
  panel.append(notes);
  container.prepend(panel);
  panel.querySelector<HTMLElement>(".copy, a.btn")?.focus();

  let ended = false;
  let timer: ReturnType<typeof setTimeout> | undefined;
  const waiting = (text: string) => {
    statusLine.replaceChildren(el("span", { class: "spinner", "aria-hidden": "true" }), text);
  };

  function update(next: LoginView) {
    if (ended) return;
    notes.replaceChildren(...next.notes.map((note) => el("li", {}, note)));
    if (next.status === "pending") {
      waiting(login.device ? "Waiting for the code to be entered… it expires " : "Waiting… ");
      if (login.device) statusLine.append(expiry);
      else statusLine.append("gives up ", expiry);
      return;
    }
    if (next.status === "done" && !next.live) {
      waiting(`Signed in as ${next.account}: adding the account…`);
      return;
    }
    ended = true;
    clearTimeout(timer);
    cancel.remove();
    panel.querySelector("form.paste-back")?.remove();
    if (next.status === "done") {
      statusLine.replaceChildren(
        el("span", { class: "badge done" }, "added"),
        ` ${title} account ${next.account} is ready.`,
      );
      toast(`Added ${title} account ${next.account}.`, "ok");
      refreshRegions(["accounts-list"]);
    } else {
      const reason = next.error ? `${next.error.reason} (${next.error.step})` : "unknown reason";
      statusLine.replaceChildren(
        el("span", { class: "badge failed" }, "failed"),
        ` The ${title} login failed: ${reason}`,
      );
      statusLine.setAttribute("role", "alert");
      toast(`The ${title} login failed: ${reason}`, "bad");
    }
  }

  const poll = async () => {
    if (ended) return;
    try {
      const answer = await call<{ login: LoginView }>("GET", `/manage/logins/${login.id}`);
      update(answer.login);
    } catch (error) {
      if (error instanceof ApiFailure && error.status === 404) {
        update({ ...login, status: "failed", error: { step: "gone", reason: error.message } });
        return;
      }
      statusLine.textContent = `Could not ask how the login goes: ${(error as Error).message}`;
    }
    if (!ended) timer = setTimeout(poll, POLL_MS);
  };

  cancel.addEventListener("click", async () => {
    const answer = await act(
      cancel,
      `Cancelling the ${title} login…`,
      () => call<{ login: LoginView }>("DELETE", `/manage/logins/${login.id}`),
      () => `The ${title} login is cancelled.`,
    );
    if (answer) {
      ended = true;
      clearTimeout(timer);
      panel.remove();
    }
  });

  update(login);
  timer = setTimeout(poll, POLL_MS);
}

export function startAccounts() {
  const form = document.getElementById("add-account-form") as HTMLFormElement | null;
  const container = document.getElementById("logins");
  if (!form || !container) return;
  const select = form.elements.namedItem("provider") as HTMLSelectElement;
  syncFlows(select);
  select.addEventListener("change", () => syncFlows(select));
  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    const provider = select.value;
    const flow = (form.querySelector<HTMLInputElement>('input[name="flow"]:checked'))?.value;
    const title = providerTitle(provider);
    const answer = await act(
      form.querySelector<HTMLButtonElement>("button[type=submit]"),
      `Starting the ${title} login…`,
      () =>
        call<{ login: LoginView; terms?: string }>("POST", "/manage/logins", {
          json: { provider, flow },
        }),
      () => `The ${title} login has started: follow the steps below.`,
    );
    if (answer) follow(container, answer.login, answer.terms);
  });
  for (const login of pageData<LoginView[]>("pending-logins") ?? []) follow(container, login);
}
