/**
 * @module
 * A real headless Chromium (Debian's `chromium`, driven by playwright-core) for login tests:
 * it clicks through oidc-provider's login and consent pages the way a user does.
 *
 * The browser only ever talks to loopback: host name resolution is switched off for every name
 * but localhost (so a redirect to https://platform.claude.com/… fails inside the browser, and
 * {@link approveInBrowser} reports it as `blocked` with the URL the provider sent the user to),
 * and every request to a non-loopback host (like the Google Fonts stylesheet oidc-provider's
 * pages import) is aborted before it is made.
 */
import {
  type BrowserContext,
  chromium,
  type Page,
  type PageRequest,
  type PageResponse,
} from "./npm.ts";
import { CHROMIUM_PATH, chromiumMissing } from "../setup/chromium.ts";

const missing = chromiumMissing();

/**
 * A test that drives Chromium: where there is none (`deno task test` installs it when this
 * user can), it is registered as ignored and says why, instead of failing.
 */
export function browserTest(name: string, fn: (t: Deno.TestContext) => Promise<void>): void {
  if (missing) console.log(`ignoring "${name}": ${missing}`);
  Deno.test({ name, ignore: missing !== undefined, fn });
}

const LAUNCH_ARGS = [
  "--no-sandbox",
  "--disable-background-networking",
  "--disable-gpu",
  "--disable-quic",
  "--no-first-run",
  "--disable-component-update",
  "--disable-sync",
  "--disable-dev-shm-usage",
  "--host-resolver-rules=MAP * ~NOTFOUND, EXCLUDE localhost, EXCLUDE 127.0.0.1",
];

function isLoopback(url: URL): boolean {
  return url.hostname === "127.0.0.1" || url.hostname === "localhost" || url.hostname === "[::1]";
}

async function keepToLoopback(context: BrowserContext): Promise<void> {
  await context.route(() => true, async (route) => {
    const url = new URL(route.request().url());
    if (isLoopback(url) || url.protocol === "data:") await route.continue();
    else await route.abort("blockedbyclient");
  });
}

/** Launches Chromium, gives `fn` a fresh page, and always closes the browser. */
export async function withBrowser<T>(fn: (page: Page) => Promise<T>): Promise<T> {
  if (missing) throw new Error(missing);
  const browser = await chromium.launch({ executablePath: CHROMIUM_PATH, args: LAUNCH_ARGS });
  try {
    const context = await browser.newContext();
    await keepToLoopback(context);
    const page = await context.newPage();
    page.setDefaultTimeout(10_000);
    return await fn(page);
  } finally {
    await browser.close();
  }
}

export interface BrowserLanding {
  /** Where the provider finally sent the browser: the redirect_uri with code&state, or error&state. */
  url: URL;
  /** The visible text of that page: for a loopback redirect_uri, what the client's callback served. */
  text: string;
  /** The HTTP status of that page; undefined when `blocked`. */
  status?: number;
  /** True when `url` is not on loopback: the browser was kept from loading it (text is ""). */
  blocked: boolean;
}

/**
 * Opens `authorizationUrl` in `page` and clicks through oidc-provider's real pages: fills the
 * Sign-in form with `login` (default "ada@example.com") and any password, then presses
 * Continue on the consent page, or "[ Cancel ]" when `deny`. Pages the session makes
 * unnecessary (already signed in, already consented) are simply not shown. Returns once the
 * browser has left the provider's origin: for a loopback redirect_uri the browser really loads
 * it, so `text` is the client's callback page.
 */
export async function approveInBrowser(
  page: Page,
  authorizationUrl: string,
  options: { login?: string; deny?: boolean } = {},
): Promise<BrowserLanding> {
  return await withNavigationLog(page, async (log) => {
    const origin = new URL(authorizationUrl).origin;
    const first = await navigate(
      page,
      log,
      () => page.goto(authorizationUrl, { waitUntil: "load" }),
    );
    return await clickThrough(page, log, origin, options, first);
  });
}

/**
 * Device flow in the browser: opens the provider's verification page (`verification_uri` with
 * `userCode`, or `verification_uri_complete` with `userCode` undefined), types the code if
 * given, confirms, signs in as `login` and consents; or presses "[ Abort ]" on the confirm page
 * when `deny`. Returns the text of the page the provider ended on ("Sign-in Success …" when
 * approved, "The Sign-in request was interrupted" when denied).
 */
export async function approveDeviceInBrowser(
  page: Page,
  verificationUrl: string,
  userCode: string | undefined,
  options: { login?: string; deny?: boolean } = {},
): Promise<string> {
  return await withNavigationLog(page, async (log) => {
    const origin = new URL(verificationUrl).origin;
    await navigate(page, log, () => page.goto(verificationUrl, { waitUntil: "load" }));
    if (userCode !== undefined) {
      await page.fill('input[name="user_code"]', userCode);
      await clickAndWait(page, log, 'button[form="op.deviceInputForm"]');
    }
    // verification_uri_complete posts the code by itself; either way the confirm page follows.
    await page.waitForSelector('button[form="op.deviceConfirmForm"][autofocus]');
    if (options.deny) {
      await clickAndWait(page, log, 'button[name="abort"]');
      return await page.innerText("body");
    }
    const confirmed = await clickAndWait(
      page,
      log,
      'button[form="op.deviceConfirmForm"][autofocus]',
    );
    const landing = await clickThrough(page, log, origin, { login: options.login }, confirmed);
    if (landing.blocked || landing.url.origin !== origin) {
      throw new Error(`device flow left the provider for ${landing.url}`);
    }
    return landing.text;
  });
}

/** The main frame's navigation requests, in order (redirect hops included). */
interface NavigationLog {
  last(): string | undefined;
}

async function withNavigationLog<T>(page: Page, fn: (log: NavigationLog) => Promise<T>) {
  let last: string | undefined;
  const listener = (request: PageRequest) => {
    if (request.isNavigationRequest() && request.frame() === page.mainFrame()) last = request.url();
  };
  page.on("request", listener);
  try {
    return await fn({ last: () => last });
  } finally {
    page.off("request", listener);
  }
}

type Navigation = { response: PageResponse | null } | { blocked: URL };

/** Runs a navigation; one that failed because it left loopback comes back as `blocked`. */
async function navigate(
  page: Page,
  log: NavigationLog,
  action: () => Promise<PageResponse | null>,
): Promise<Navigation> {
  try {
    return { response: await action() };
  } catch (error) {
    const target = log.last();
    if (target && !isLoopback(new URL(target)) && /net::ERR_/.test(String(error))) {
      // Let Chromium settle on its error page, or it interrupts the next navigation.
      await page.waitForURL((url) => url.protocol === "chrome-error:", { waitUntil: "load" })
        .catch(() => {});
      return { blocked: new URL(target) };
    }
    throw error;
  }
}

/** Clicks `selector` (a submit button or a link) and waits for the page it leads to. */
function clickAndWait(page: Page, log: NavigationLog, selector: string): Promise<Navigation> {
  return navigate(page, log, async () => {
    const [response] = await Promise.all([
      page.waitForNavigation({ waitUntil: "load" }),
      page.click(selector),
    ]);
    return response;
  });
}

async function clickThrough(
  page: Page,
  log: NavigationLog,
  origin: string,
  options: { login?: string; deny?: boolean },
  first: Navigation,
): Promise<BrowserLanding> {
  let navigation = first;
  for (let round = 0; round < 10; round++) {
    if ("blocked" in navigation) return { url: navigation.blocked, text: "", blocked: true };
    const url = new URL(page.url());
    const status = navigation.response?.status();
    if (url.origin !== origin) {
      return { url, text: await page.innerText("body"), status, blocked: false };
    }
    const prompts = page.locator('form input[name="prompt"]');
    const prompt = (await prompts.count()) ? await prompts.first().getAttribute("value") : null;
    if (prompt === "login") {
      await page.fill('input[name="login"]', options.login ?? "ada@example.com");
      await page.fill('input[name="password"]', "harness");
      navigation = await clickAndWait(page, log, "button.login-submit");
    } else if (prompt === "consent" && options.deny) {
      navigation = await clickAndWait(page, log, 'a:has-text("[ Cancel ]")');
    } else if (prompt === "consent") {
      navigation = await clickAndWait(page, log, "button.login-submit");
    } else {
      // Neither login nor consent: a final provider page (device success, or an error page).
      return { url, text: await page.innerText("body"), status, blocked: false };
    }
  }
  throw new Error(`the provider kept asking for login/consent at ${page.url()}`);
}
