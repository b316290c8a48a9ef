/// <reference lib="dom" />
/**
 * @module
 * What every console page's script uses: calls to the management API (with
 * the page's CSRF token, errors as readable messages), the status area that
 * reports each action's progress and result, busy buttons, copying, times
 * that count down or read in local time, and refreshing parts of the page
 * by fetching it again (keeping the keyboard focus where it was).
 */
import { formatLocal, formatUntil } from "../format.ts";

/** A refusal or failure of the API, with its message as the API wrote it. */
export class ApiFailure extends Error {
  constructor(message: string, readonly status: number, readonly body?: unknown) {
    super(message);
  }
}

const csrf = () =>
  document.querySelector<HTMLMetaElement>('meta[name="subgate-csrf"]')?.content ?? "";

export interface CallOptions {
  /** Sent as JSON. */
  json?: unknown;
  /** Sent as it is (the config's YAML). */
  text?: string;
  headers?: Record<string, string>;
}

/** Calls the management API; answers its JSON, or throws an `ApiFailure` saying what went wrong. */
export async function call<T>(method: string, path: string, options: CallOptions = {}): Promise<T> {
  const headers: Record<string, string> = { "x-subgate-csrf": csrf(), ...options.headers };
  let body: string | undefined;
  if (options.json !== undefined) {
    headers["content-type"] = "application/json";
    body = JSON.stringify(options.json);
  } else if (options.text !== undefined) {
    headers["content-type"] = "text/plain; charset=utf-8";
    body = options.text;
  }
  let response: Response;
  try {
    response = await fetch(path, { method, headers, body, credentials: "same-origin" });
  } catch (error) {
    throw new ApiFailure(
      `Could not reach subgate (${(error as Error).message}). Is the server running?`,
      0,
    );
  }
  const text = await response.text();
  let parsed: unknown;
  try {
    parsed = text ? JSON.parse(text) : {};
  } catch {
    parsed = undefined;
  }
  if (response.ok && parsed !== undefined) return parsed as T;
  const message = (parsed as { error?: { message?: string } } | undefined)?.error?.message ??
    `subgate answered ${response.status} ${response.statusText}`.trim();
  if (response.status === 401) signInAgain();
  throw new ApiFailure(message, response.status, parsed);
}

/** The session ended (expired, or the key changed): back to the sign-in form, then here. */
function signInAgain() {
  const here = location.pathname + location.search;
  setTimeout(() => location.assign(`/ui/login?next=${encodeURIComponent(here)}`), 1500);
}

// Status area ------------------------------------------------------------------------------------

export type ToastKind = "ok" | "bad" | "busy" | "info";

export interface Toast {
  update(message: string, kind: ToastKind): void;
  close(): void;
}

const MOST_TOASTS = 4;

/**
 * Shows a message in the status area. Progress stays until updated; a result goes after a
 * while; an error stays until closed, so it can be read.
 */
export function toast(message: string, kind: ToastKind = "info"): Toast {
  const area = document.getElementById("status")!;
  const element = document.createElement("div");
  const text = document.createElement("span");
  const close = document.createElement("button");
  close.type = "button";
  close.setAttribute("aria-label", "Dismiss");
  close.textContent = "×";
  element.append(text, close);
  let timer: ReturnType<typeof setTimeout> | undefined;
  const remove = () => {
    clearTimeout(timer);
    element.remove();
  };
  close.addEventListener("click", remove);
  const update = (next: string, nextKind: ToastKind) => {
    text.textContent = next;
    element.className = `toast ${nextKind}`;
    element.dataset.kind = nextKind;
    if (nextKind === "bad") element.setAttribute("role", "alert");
    else element.removeAttribute("role");
    clearTimeout(timer);
    if (nextKind === "ok" || nextKind === "info") timer = setTimeout(remove, 6000);
  };
  update(message, kind);
  area.append(element);
  while (area.children.length > MOST_TOASTS) area.firstElementChild?.remove();
  return { update, close: remove };
}

/** Runs `work` with `button` showing it is busy (and not pressable meanwhile). */
export async function busy<T>(
  button: HTMLButtonElement | null,
  work: () => Promise<T>,
): Promise<T> {
  if (!button) return await work();
  const label = button.textContent;
  button.disabled = true;
  button.setAttribute("aria-busy", "true");
  try {
    return await work();
  } finally {
    button.disabled = false;
    button.removeAttribute("aria-busy");
    button.textContent = label;
  }
}

/** Runs an action with its progress and result in the status area; false when it failed. */
export async function act<T>(
  button: HTMLButtonElement | null,
  progress: string,
  work: () => Promise<T>,
  result: (value: T) => string | [string, ToastKind],
): Promise<T | undefined> {
  const note = toast(progress, "busy");
  try {
    const value = await busy(button, work);
    const said = result(value);
    if (typeof said === "string") note.update(said, "ok");
    else note.update(said[0], said[1]);
    return value;
  } catch (error) {
    note.update(
      error instanceof ApiFailure ? error.message : `Failed: ${(error as Error).message}`,
      "bad",
    );
    return undefined;
  }
}

// Copying ----------------------------------------------------------------------------------------

async function copyText(text: string): Promise<void> {
  if (navigator.clipboard && globalThis.isSecureContext) {
    await navigator.clipboard.writeText(text);
    return;
  }
  // Pages served over plain HTTP to another machine have no clipboard API.
  const area = document.createElement("textarea");
  area.value = text;
  area.setAttribute("readonly", "");
  area.style.position = "fixed";
  area.style.opacity = "0";
  document.body.append(area);
  area.select();
  const done = document.execCommand("copy");
  area.remove();
  if (!done) throw new Error("the browser refused; select the text and copy it by hand");
}

/** Copy buttons: `data-copy-target` (an element's text) or `data-copy-text`. */
function onCopy(event: Event) {
  const button = (event.target as Element).closest<HTMLButtonElement>("button.copy");
  if (!button) return;
  const target = button.dataset.copyTarget;
  const text = target
    ? document.getElementById(target)?.textContent ?? ""
    : button.dataset.copyText ?? "";
  copyText(text.trim()).then(
    () => {
      const label = button.textContent;
      button.textContent = "Copied";
      setTimeout(() => button.textContent = label, 1500);
      toast("Copied to the clipboard.", "ok");
    },
    (error) => toast(`Could not copy: ${(error as Error).message}`, "bad"),
  );
}

// Times ------------------------------------------------------------------------------------------

/** Moments in local time, and countdowns brought up to date. */
export function updateTimes(root: ParentNode = document) {
  for (const time of root.querySelectorAll<HTMLTimeElement>("time[data-local]")) {
    time.textContent = formatLocal(time.dateTime, time.dataset.local === "seconds");
  }
  for (const time of root.querySelectorAll<HTMLTimeElement>("time[data-countdown]")) {
    time.textContent = formatUntil(time.dateTime);
  }
}

// Refreshing parts of the page -------------------------------------------------------------------

type RegionHook = (region: Element) => void;
const regionHooks: RegionHook[] = [];
const leaveHooks: RegionHook[] = [];

/** Runs `hook` on the page now and on every part replaced later (charts, times, …). */
export function onRegion(hook: RegionHook, leave?: RegionHook) {
  regionHooks.push(hook);
  if (leave) leaveHooks.push(leave);
  hook(document.body);
}

let refreshing: Promise<void> | undefined;

/** Fetches the page again and replaces its parts marked `data-refresh` (or `ids`). */
export function refreshRegions(ids?: string[]): Promise<void> {
  refreshing ??= (async () => {
    try {
      const response = await fetch(location.href, {
        credentials: "same-origin",
        headers: { accept: "text/html" },
      });
      if (response.redirected && new URL(response.url).pathname === "/ui/login") {
        location.assign(response.url);
        return;
      }
      if (!response.ok) return;
      const fresh = new DOMParser().parseFromString(await response.text(), "text/html");
      const regions = ids
        ? ids.map((id) => document.getElementById(id)).filter((e): e is HTMLElement => !!e)
        : [...document.querySelectorAll<HTMLElement>("[data-refresh]")];
      for (const region of regions) {
        const replacement = fresh.getElementById(region.id);
        if (!replacement) continue;
        const focused = document.activeElement;
        const focusId = focused && region.contains(focused) ? focused.id : "";
        for (const hook of leaveHooks) hook(region);
        region.replaceWith(replacement);
        for (const hook of regionHooks) hook(replacement);
        if (focusId) document.getElementById(focusId)?.focus();
      }
    } catch {
      // A refresh that fails leaves the page as it was; the next one tries again.
    } finally {
      refreshing = undefined;
    }
  })();
  return refreshing;
}

/** Keeps the parts marked `data-refresh="<ms>"` up to date while the page is visible and idle. */
function autoRefresh() {
  const periods = [...document.querySelectorAll<HTMLElement>("[data-refresh]")]
    .map((e) => Number(e.dataset.refresh)).filter((ms) => ms >= 1000);
  if (periods.length === 0) return;
  setInterval(() => {
    if (document.hidden) return;
    if (document.querySelector('[aria-busy="true"]')) return;
    const focused = document.activeElement;
    if (focused?.matches("input, select, textarea") && focused.closest("[data-refresh]")) return;
    refreshRegions();
  }, Math.min(...periods));
}

/** Selects marked `data-autosubmit` submit their form when changed. */
function onAutoSubmit(event: Event) {
  const select = event.target as HTMLSelectElement;
  if (select.matches("[data-autosubmit]")) select.form?.requestSubmit();
}

export function startCore() {
  document.addEventListener("click", onCopy);
  document.addEventListener("change", onAutoSubmit);
  onRegion((region) => updateTimes(region));
  setInterval(() => {
    for (const time of document.querySelectorAll<HTMLTimeElement>("time[data-countdown]")) {
      time.textContent = formatUntil(time.dateTime);
    }
  }, 1000);
  autoRefresh();
}

/** JSON a page embeds for its script. */
export function pageData<T>(id: string, root: ParentNode = document): T | undefined {
  const element = root.querySelector(`script#${id}[type="application/json"]`);
  if (!element?.textContent) return undefined;
  try {
    return JSON.parse(element.textContent) as T;
  } catch {
    return undefined;
  }
}

/** An element with `text`, for building rows and panels (never from HTML strings). */
export function el<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  attributes: Record<string, string> = {},
  ...children: (Node | string | null | undefined | false)[]
): HTMLElementTagNameMap[K] {
  const element = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes)) element.setAttribute(name, value);
  for (const child of children) {
    if (child !== null && child !== undefined && child !== false) element.append(child);
  }
  return element;
}
