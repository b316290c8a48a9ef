/// <reference lib="dom" />
/**
 * @module
 * The Requests page: the listed requests, then the live tail
 * (`/manage/requests/stream`, server-sent events, resumed after the last one
 * listed; a dropped connection resumes by itself with `Last-Event-ID`),
 * filtered as the person types. Pausing keeps collecting and stops drawing.
 */
import { formatCompact, formatLatency, formatLocal } from "../format.ts";
import type { RequestView } from "../../manage/request-log.ts";
import { el, pageData } from "./core.ts";

const KEPT = 500;

interface Filters {
  text: string;
  status: string;
  key: string;
  account: string;
}

function filtersOf(form: HTMLFormElement): Filters {
  const data = new FormData(form);
  const value = (name: string) => String(data.get(name) ?? "").trim().toLowerCase();
  return {
    text: value("text"),
    status: value("status"),
    key: value("key"),
    account: value("account"),
  };
}

const failed = (view: RequestView) => view.status >= 400 && view.status !== 499;

function matches(view: RequestView, filters: Filters): boolean {
  if (filters.status === "ok" && failed(view)) return false;
  if (filters.status === "error" && !failed(view)) return false;
  if (filters.key && !(view.clientKey ?? "").toLowerCase().includes(filters.key)) return false;
  if (filters.account) {
    const account = `${view.account?.label ?? ""} ${view.account?.provider ?? ""}`.toLowerCase();
    if (!account.includes(filters.account)) return false;
  }
  if (filters.text) {
    const haystack = [
      view.requestedModel,
      view.servedModel,
      view.account?.label,
      view.account?.provider,
      view.clientKey,
      view.clientDialect,
      view.upstreamDialect,
      String(view.status),
      view.error,
    ].join(" ").toLowerCase();
    if (!haystack.includes(filters.text)) return false;
  }
  return true;
}

function cell(label: string, ...children: (Node | string | null | undefined | false)[]) {
  return el("td", { "data-label": label }, ...children);
}

const sub = (text: string) => el("span", { class: "sub" }, text);

function row(view: RequestView): HTMLTableRowElement {
  const bad = failed(view);
  const model = view.servedModel && view.servedModel !== view.requestedModel
    ? [view.requestedModel, sub(`served as ${view.servedModel}`)]
    : [view.requestedModel];
  const tokens = view.usage
    ? [
      `${formatCompact(view.usage.inputTokens)} / ${formatCompact(view.usage.outputTokens)}`,
      sub("in / out"),
    ]
    : ["–"];
  const tr = el(
    "tr",
    { "data-seq": String(view.seq) },
    cell(
      "Time",
      el(
        "time",
        { datetime: view.at, title: view.at },
        formatLocal(view.at, true),
      ),
    ),
    cell("Key", view.clientKey ?? el("span", { class: "muted" }, "none")),
    cell(
      "Account",
      view.account ? view.account.label : el("span", { class: "muted" }, "none"),
      view.account && sub(view.account.provider),
    ),
    cell("Model", ...model),
    cell(
      "Dialect",
      view.clientDialect,
      view.upstreamDialect && view.upstreamDialect !== view.clientDialect &&
        sub(`→ ${view.upstreamDialect}`),
      view.stream && sub("stream"),
    ),
    cell(
      "Status",
      el("span", { class: `status-code ${bad ? "bad" : "ok"}` }, String(view.status)),
      view.error && el("span", { class: "sub error-text" }, view.error),
    ),
    cell(
      "Latency",
      formatLatency(view.latencyMs),
      view.firstByteMs !== undefined && sub(`first byte ${formatLatency(view.firstByteMs)}`),
    ),
    cell("Tokens", ...tokens),
  );
  tr.querySelectorAll("td")[6].classList.add("num");
  tr.querySelectorAll("td")[7].classList.add("num");
  return tr;
}

export function startRequests() {
  const body = document.getElementById("requests-body");
  const form = document.getElementById("filters") as HTMLFormElement | null;
  if (!body || !form) return;
  const status = document.getElementById("tail-status")!;
  const count = document.getElementById("request-count")!;
  const empty = document.getElementById("requests-empty")!;
  const pauseButton = document.getElementById("tail-pause") as HTMLButtonElement;
  let views: RequestView[] = pageData<RequestView[]>("recent-requests") ?? [];
  let lastSeq = views.reduce((most, view) => Math.max(most, view.seq), 0);
  let paused = false;
  let filters = filtersOf(form);

  const setStatus = (state: string, text: string) => {
    status.dataset.state = state;
    status.textContent = text;
  };
  const showCount = () => {
    const shown = body.children.length;
    count.textContent = shown === views.length
      ? `${views.length} requests`
      : `${shown} of ${views.length} requests`;
    empty.hidden = shown > 0;
  };
  const render = () => {
    body.replaceChildren(...views.filter((v) => matches(v, filters)).map(row));
    showCount();
  };
  render();

  form.addEventListener("input", () => {
    filters = filtersOf(form);
    render();
  });
  form.addEventListener("submit", (event) => event.preventDefault());
  pauseButton.addEventListener("click", () => {
    paused = !paused;
    pauseButton.setAttribute("aria-pressed", String(paused));
    pauseButton.textContent = paused ? "Resume" : "Pause";
    if (paused) setStatus("paused", "paused");
    else {
      setStatus("live", "live");
      render();
    }
  });
  document.getElementById("tail-clear")?.addEventListener("click", () => {
    views = [];
    render();
  });

  const source = new EventSource(`/manage/requests/stream?after=${lastSeq}`);
  source.addEventListener("open", () => {
    if (!paused) setStatus("live", "live");
  });
  source.addEventListener("error", () => {
    setStatus(
      "lost",
      source.readyState === EventSource.CLOSED ? "disconnected: reload the page" : "reconnecting…",
    );
  });
  source.addEventListener("request", (event) => {
    const view = JSON.parse((event as MessageEvent).data) as RequestView;
    if (view.seq <= lastSeq) return;
    lastSeq = view.seq;
    views.unshift(view);
    if (views.length > KEPT) views.length = KEPT;
    if (paused) return;
    if (matches(view, filters)) {
      const tr = row(view);
      tr.classList.add("fresh");
      body.prepend(tr);
      while (body.children.length > KEPT) body.lastElementChild?.remove();
    }
    showCount();
  });
  addEventListener("pagehide", () => source.close());
}
