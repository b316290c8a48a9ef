/**
 * @module
 * The page every console page is drawn in: the header with the navigation,
 * the main region, the status area where actions report their progress and
 * result (a live region screen readers announce), and the assets. Pages are
 * whole HTML documents; the scripts refresh parts of them in place by
 * fetching the page again.
 */
import type { Child } from "hono/jsx";
import { VERSION } from "../../version.ts";
import { assetPath, CONSOLE_CSS, CONSOLE_JS, UPLOT_CSS, UPLOT_JS } from "./assets.ts";

export const PAGES = [
  { id: "overview", path: "/ui/", title: "Overview" },
  { id: "accounts", path: "/ui/accounts", title: "Accounts" },
  { id: "usage", path: "/ui/usage", title: "Usage" },
  { id: "keys", path: "/ui/keys", title: "Keys" },
  { id: "requests", path: "/ui/requests", title: "Requests" },
  { id: "config", path: "/ui/config", title: "Config" },
  { id: "clients", path: "/ui/clients", title: "Clients" },
] as const;

export type PageId = (typeof PAGES)[number]["id"];

/** A small mark for the tab: a gate, drawn inline so no request is made for it. */
const ICON = "data:image/svg+xml," + encodeURIComponent(
  `<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 32 32"><rect width="32" height="32" ` +
    `rx="7" fill="#3b6fd8"/><path d="M8 24V12a8 8 0 0 1 16 0v12M13 24v-9M19 24v-9" ` +
    `stroke="#fff" stroke-width="2.5" fill="none" stroke-linecap="round"/></svg>`,
);

export interface ShellOptions {
  page: PageId | "sign-in" | "error";
  title: string;
  /** The CSRF token the scripts send with changes ("" without a management key). */
  csrf?: string;
  /** Signed in with a key: the header offers to sign out. */
  signedIn?: boolean;
  /** The page draws charts (loads uPlot). */
  charts?: boolean;
  children: Child;
}

function Nav(props: { current: ShellOptions["page"] }) {
  return (
    <nav aria-label="Console pages">
      <ul>
        {PAGES.map((page) => (
          <li>
            <a href={page.path} aria-current={page.id === props.current ? "page" : undefined}>
              {page.title}
            </a>
          </li>
        ))}
      </ul>
    </nav>
  );
}

export function Shell(props: ShellOptions) {
  const inside = props.page !== "sign-in" && props.page !== "error";
  return (
    <html lang="en">
      <head>
        <meta charset="utf-8" />
        <meta name="viewport" content="width=device-width, initial-scale=1" />
        <meta name="color-scheme" content="light dark" />
        <meta name="subgate-csrf" content={props.csrf ?? ""} />
        <title>{props.title} · subgate</title>
        <link rel="icon" href={ICON} />
        <link rel="stylesheet" href={assetPath(CONSOLE_CSS)} />
        {props.charts && <link rel="stylesheet" href={assetPath(UPLOT_CSS)} />}
        {props.charts && <script defer src={assetPath(UPLOT_JS)}></script>}
        <script type="module" src={assetPath(CONSOLE_JS)}></script>
      </head>
      <body data-page={props.page}>
        <a class="skip" href="#main">Skip to content</a>
        <header class="top">
          <a class="brand" href="/ui/">
            <img src={ICON} alt="" width="22" height="22" />
            <span>subgate</span>
            <small>{VERSION}</small>
          </a>
          {inside && <Nav current={props.page} />}
          {props.signedIn && (
            <form method="post" action="/ui/logout" class="sign-out">
              <input type="hidden" name="csrf" value={props.csrf ?? ""} />
              <button type="submit" class="btn small quiet">Sign out</button>
            </form>
          )}
        </header>
        <main id="main" tabindex={-1}>
          {props.children}
        </main>
        <div id="status" class="toasts" role="status" aria-live="polite"></div>
      </body>
    </html>
  );
}

/** A section of a page, titled, with an optional line of actions beside its title. */
export function Section(
  props: { id?: string; title: string; actions?: Child; children: Child; wide?: boolean },
) {
  const headingId = props.id ? `${props.id}-title` : undefined;
  return (
    <section
      id={props.id}
      class={props.wide ? "card wide" : "card"}
      aria-labelledby={headingId}
    >
      <div class="card-head">
        <h2 id={headingId}>{props.title}</h2>
        {props.actions && <div class="card-actions">{props.actions}</div>}
      </div>
      {props.children}
    </section>
  );
}

/** What a failed read of the API says, where its figures would have been. */
export function Problem(props: { message: string; status?: number }) {
  return (
    <p class="problem" role="alert">
      {props.status === 501 ? "Not available: " : "Could not load this: "}
      {props.message}
    </p>
  );
}

/** A moment: UTC as the server writes it, local time once the script has run. */
export function Moment(props: { iso: string; seconds?: boolean; text: string }) {
  return (
    <time datetime={props.iso} data-local={props.seconds ? "seconds" : "minutes"} title={props.iso}>
      {props.text}
    </time>
  );
}

/** How long until a moment, kept counting down by the script. */
export function Countdown(props: { iso: string; text: string }) {
  return (
    <time datetime={props.iso} data-countdown title={props.iso}>
      {props.text}
    </time>
  );
}

/** A button that copies the text of the element `target` names (or `text`). */
export function CopyButton(props: { target?: string; text?: string; label?: string }) {
  return (
    <button
      type="button"
      class="btn small copy"
      data-copy-target={props.target}
      data-copy-text={props.text}
    >
      {props.label ?? "Copy"}
    </button>
  );
}

/** Data for the scripts, as JSON the browser does not run (`<` escaped for the parser). */
export function JsonData(props: { id: string; value: unknown }) {
  const json = JSON.stringify(props.value).replace(/</g, "\\u003c");
  return (
    <script
      type="application/json"
      id={props.id}
      dangerouslySetInnerHTML={{ __html: json }}
    />
  );
}
