/**
 * @module
 * A real OAuth 2.0 / OpenID Connect authorization server on loopback, for login tests.
 *
 * It is `oidc-provider` (the certified Node.js implementation) configured the way the LLM
 * providers behave toward their CLI clients:
 *
 * - authorization code + PKCE (S256 required), refresh tokens and RFC 8628 device flow;
 * - public clients (`token_endpoint_auth_method: "none"`) unless a client has a secret, then
 *   `client_secret_post` (Google's installed-app flow sends the secret in the form);
 * - a refresh token on every code/device grant (no `offline_access` needed), rotated on every
 *   use; presenting an already-rotated refresh token answers `invalid_grant` and revokes the
 *   whole grant (so the newest refresh token dies too: reuse detection);
 * - the id_token (when `openid` is in scope) and userinfo carry `claims(login)`;
 * - unknown scopes and the providers' extra authorization parameters (`code=true`,
 *   `codex_cli_simplified_flow=true`, `access_type=offline`, …) are accepted: oidc-provider ignores
 *   parameters it does not know and drops scopes it does not know from the granted scope;
 * - the token endpoint also takes `application/json` bodies, as Anthropic's does (see
 *   {@link tokenEndpointFront});
 * - the device authorization response carries `interval`, and polling faster than it answers
 *   `slow_down` (oidc-provider itself never does: the front emulates RFC 8628 §3.5).
 *
 * Login and consent go through oidc-provider's own development interaction pages
 * (`features.devInteractions`): any login name with any password is accepted, and that name
 * becomes the account id (`sub`). `approve()` and `approveDevice()` drive those pages with
 * fetch and a cookie jar; tests/helpers/browser.ts drives them in Chromium.
 */
import { Buffer } from "node:buffer";
import { createServer, type IncomingMessage, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { Provider } from "./npm.ts";

export interface OAuthClientSpec {
  client_id: string;
  client_secret?: string;
  /** Exact redirect URIs (http://127.0.0.1:…, http://localhost:…, https://…). */
  redirect_uris: string[];
  /** When given, the client may only be granted these (of the scopes the server knows). */
  scopes?: string[];
  /**
   * RFC 8252 §7.3: a loopback redirect URI matches whatever port the request uses, as Google's
   * installed-app flow does (oidc-provider's `application_type: "native"`). Default false: exact
   * match, as Anthropic's and OpenAI's fixed-port callbacks are.
   */
  loopbackAnyPort?: boolean;
}

export interface OAuthServerOptions {
  clients: OAuthClientSpec[];
  /** Default 3600. */
  accessTokenTtlSeconds?: number;
  /** Default 600 (tests set a few seconds to get expired_token). */
  deviceCodeTtlSeconds?: number;
  /** Seconds the device endpoint tells clients to wait between polls. Default 5 (RFC 8628). */
  deviceInterval?: number;
  /**
   * Answer `slow_down` to a device-code poll that comes sooner than the current interval after
   * the previous poll of the same device code (the first poll is never too soon). Default true.
   */
  enforceDeviceInterval?: boolean;
  /**
   * The interval the server actually enforces, when a test wants it stricter than the one it
   * advertises (to make a well-behaved client meet `slow_down`). Default: `deviceInterval`.
   */
  enforcedDeviceInterval?: number;
  /** Delay every token-endpoint answer by this much, so tests can overlap two clients' requests. */
  tokenDelayMs?: number;
  /** How much each `slow_down` adds to that device code's interval. Default 5 (RFC 8628 §3.5). */
  slowDownIncrementSeconds?: number;
  /**
   * Claims put in the id_token and userinfo for the logged-in account (e.g. email, or
   * {"https://api.openai.com/auth": {chatgpt_account_id: "acc-1"}}). Default `{ email: login,
   * email_verified: true }`. The claim names are learnt by calling it once with the default
   * login, so it must return the same names for every login.
   */
  claims?: (login: string) => Record<string, unknown>;
  /**
   * Extra members merged into every successful token response (e.g. Anthropic's
   * `account: { uuid, email_address }` and `organization`).
   */
  tokenResponseExtras?: (login: string, grantType: string) => Record<string, unknown>;
}

export interface OAuthServer {
  /** http://127.0.0.1:<port> */
  issuer: string;
  authorizeUrl: string;
  tokenUrl: string;
  /** The device authorization endpoint (RFC 8628 §3.1). */
  deviceUrl: string;
  /** Where the user enters a user code (the `verification_uri`). */
  verificationUrl: string;
  userinfoUrl: string;
  /** Every successful token-endpoint grant, in order. */
  grants: { grantType: string; clientId: string; at: number }[];
  /** Every token-endpoint error answered, in order (authorization_pending included). */
  tokenErrors: { error: string; grantType?: string }[];
  /**
   * Drives the consent UI without a browser (fetch + cookies): log in as `login` (default
   * "ada@example.com") and approve, or deny at the consent page. Returns the final redirect URL
   * the provider sends the user to (the client's redirect_uri with code&state, or
   * error=access_denied&state). Does NOT fetch that URL.
   */
  approve(authorizationUrl: string, options?: { login?: string; deny?: boolean }): Promise<URL>;
  /**
   * Completes device verification for a user code through the real pages (code entry, confirm,
   * login, consent); `deny` presses the confirm page's Abort instead, so the device's next poll
   * answers access_denied.
   */
  approveDevice(userCode: string, options?: { login?: string; deny?: boolean }): Promise<void>;
  close(): Promise<void>;
}

export const DEFAULT_LOGIN = "ada@example.com";

/** Scopes the real providers' CLIs ask for; granted when requested. Client scopes are added. */
const KNOWN_SCOPES = [
  "openid",
  "offline_access",
  "profile",
  "email",
  // Anthropic (Claude Code)
  "org:create_api_key",
  "user:profile",
  "user:inference",
  "user:sessions:claude_code",
  "user:mcp_servers",
  // OpenAI (Codex)
  "api.connectors.read",
  "api.connectors.invoke",
  // GitHub (Copilot)
  "read:user",
  "user:email",
  // Google (Gemini CLI / Code Assist)
  "https://www.googleapis.com/auth/cloud-platform",
  "https://www.googleapis.com/auth/userinfo.email",
  "https://www.googleapis.com/auth/userinfo.profile",
];

const PROFILE_CLAIMS = [
  "name",
  "family_name",
  "given_name",
  "middle_name",
  "nickname",
  "preferred_username",
  "profile",
  "picture",
  "website",
  "gender",
  "birthdate",
  "zoneinfo",
  "locale",
  "updated_at",
];

const DEVICE_GRANT = "urn:ietf:params:oauth:grant-type:device_code";
/** A poll this much earlier than the interval still counts as on time (timer/clock jitter). */
const POLL_TOLERANCE_MS = 100;

/** The part of a Koa context the front middleware uses (oidc-provider ships no types). */
interface KoaContext {
  method: string;
  path: string;
  req: IncomingMessage;
  status: number;
  body: unknown;
  get(header: string): string;
  set(header: string, value: string): void;
  oidc?: {
    client?: { clientId: string };
    entities?: Record<string, { accountId?: string } | undefined>;
  };
}

let signingKey: Promise<JsonWebKey & { kid: string }> | undefined;

/** One RS256 key per test process (2048-bit generation is the slow part of a start). */
function rsaSigningKey() {
  signingKey ??= (async () => {
    const pair = await crypto.subtle.generateKey(
      {
        name: "RSASSA-PKCS1-v1_5",
        modulusLength: 2048,
        publicExponent: new Uint8Array([1, 0, 1]),
        hash: "SHA-256",
      },
      true,
      ["sign", "verify"],
    );
    const jwk = await crypto.subtle.exportKey("jwk", pair.privateKey);
    delete jwk.key_ops;
    delete jwk.ext;
    return { ...jwk, kid: "harness-rs256", use: "sig", alg: "RS256" };
  })();
  return signingKey;
}

async function readAll(req: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

/**
 * Hands `body` to oidc-provider's body parser in place of the (already consumed) request
 * stream. oidc-provider reads bodies with `req.iterator()` while `req.readable` is true; both
 * are replaced on this one request object only.
 */
function replayBody(req: IncomingMessage, body: Buffer, contentType: string | undefined) {
  if (contentType === undefined) delete req.headers["content-type"];
  else req.headers["content-type"] = contentType;
  req.headers["content-length"] = String(body.length);
  delete req.headers["transfer-encoding"];
  Object.defineProperty(req, "readable", { value: true, configurable: true });
  Object.defineProperty(req, "iterator", {
    value: async function* () {
      yield body;
    },
    configurable: true,
  });
}

/**
 * oidc-provider warns on every construction that its in-memory adapter and devInteractions are
 * development-only; both are what a test server wants, so those two lines are dropped (every
 * other warning still prints). The constructor is synchronous, so the patch is short-lived.
 */
function quietly<T>(construct: () => T): T {
  const warn = console.warn;
  console.warn = (...args: unknown[]) => {
    const text = String(args[0]);
    if (/in-memory adapter is used|feature devInteractions is enabled/.test(text)) return;
    warn(...args);
  };
  try {
    return construct();
  } finally {
    console.warn = warn;
  }
}

function jsonError(ctx: KoaContext, status: number, error: string, description: string) {
  ctx.status = status;
  ctx.set("Cache-Control", "no-store");
  ctx.body = { error, error_description: description };
}

export async function startOAuthServer(options: OAuthServerOptions): Promise<OAuthServer> {
  const claimsFor = options.claims ??
    ((login: string) => ({ email: login, email_verified: true }));
  const extraClaimNames = Object.keys(claimsFor(DEFAULT_LOGIN)).filter((name) => name !== "sub");
  const scopes = new Set(KNOWN_SCOPES);
  for (const client of options.clients) for (const scope of client.scopes ?? []) scopes.add(scope);
  const deviceInterval = options.deviceInterval ?? 5;
  const enforceInterval = options.enforceDeviceInterval ?? true;
  const slowDownIncrement = options.slowDownIncrementSeconds ?? 5;
  const accessTtl = options.accessTokenTtlSeconds ?? 3600;
  const deviceTtl = options.deviceCodeTtlSeconds ?? 600;

  const grants: OAuthServer["grants"] = [];
  const tokenErrors: OAuthServer["tokenErrors"] = [];
  /** device_code → when it was last polled and the interval it must respect (ms). */
  const polls = new Map<string, { last: number; intervalMs: number }>();

  const signing = await rsaSigningKey();
  // The issuer needs the port, so listen first and plug the provider in afterwards.
  let handler: (req: IncomingMessage, res: import("node:http").ServerResponse) => void = (
    _req,
    res,
  ) => {
    res.statusCode = 503;
    res.end();
  };
  const server: Server = createServer((req, res) => handler(req, res));
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => resolve());
  });
  const { port } = server.address() as AddressInfo;
  const issuer = `http://127.0.0.1:${port}`;

  const day = 24 * 60 * 60;
  // deno-lint-ignore no-explicit-any -- oidc-provider ships no types
  let provider: any;
  try {
    provider = quietly(() =>
      new Provider(issuer, {
        clients: options.clients.map((client) => ({
          client_id: client.client_id,
          ...(client.client_secret === undefined ? { token_endpoint_auth_method: "none" } : {
            client_secret: client.client_secret,
            token_endpoint_auth_method: "client_secret_post",
          }),
          redirect_uris: client.redirect_uris,
          application_type: client.loopbackAnyPort ? "native" : "web",
          grant_types: ["authorization_code", "refresh_token", DEVICE_GRANT],
          response_types: ["code"],
          ...(client.scopes ? { scope: client.scopes.join(" ") } : {}),
        })),
        // Signing keys and cookie keys of our own, so oidc-provider does not fall back to (and warn
        // about) its development ones.
        jwks: { keys: [signing] },
        cookies: { keys: [crypto.randomUUID()] },
        features: {
          devInteractions: { enabled: true },
          deviceFlow: { enabled: true },
          // Real providers do not answer DPoP-bound tokens to these CLIs.
          dPoP: { enabled: false },
          revocation: { enabled: true },
        },
        responseTypes: ["code"],
        pkce: { required: () => true },
        scopes: [...scopes],
        // Every extra claim rides on `openid`, so it is in the id_token whenever openid is asked for
        // (and conformIdTokenClaims: false puts scope claims in the id_token even with an access
        // token issued alongside, as Google and OpenAI do).
        claims: {
          openid: ["sub", ...extraClaimNames],
          email: ["email", "email_verified"],
          profile: PROFILE_CLAIMS,
        },
        conformIdTokenClaims: false,
        findAccount: (_ctx: unknown, sub: string) => ({
          accountId: sub,
          claims: () => ({ ...claimsFor(sub), sub }),
        }),
        // Always a refresh token (no offline_access / prompt=consent dance) …
        issueRefreshToken: (_ctx: unknown, client: { grantTypeAllowed(type: string): boolean }) =>
          client.grantTypeAllowed("refresh_token"),
        // … rotated on every use (oidc-provider then rejects the old one and revokes the grant).
        rotateRefreshToken: true,
        // Tokens outlive the browser session that created them, as with the real providers.
        expiresWithSession: () => false,
        ttl: {
          AccessToken: accessTtl,
          AuthorizationCode: 60,
          DeviceCode: deviceTtl,
          IdToken: 3600,
          RefreshToken: 30 * day,
          Interaction: 600,
          Session: day,
          Grant: 30 * day,
          ClientCredentials: 600,
          BackchannelAuthenticationRequest: 600,
          PreAuthorizedCode: 600,
        },
      })
    );
    // oidc-provider validates static clients lazily; load them now so a bad spec fails here.
    for (const client of options.clients) {
      await provider.Client.find(client.client_id).catch(
        (error: { error_description?: string }) => {
          throw new Error(
            `client ${client.client_id} refused: ${error.error_description ?? error}`,
          );
        },
      );
    }
  } catch (error) {
    // A configuration oidc-provider refuses (e.g. a bad redirect URI): do not leak the listener.
    await new Promise((resolve) => server.close(resolve));
    throw error;
  }
  // Never behind a reverse proxy here.
  provider.proxy = false;

  const tokenPath = new URL(`${issuer}/token`).pathname;
  const devicePath = new URL(`${issuer}/device/auth`).pathname;
  provider.use((ctx: KoaContext, next: () => Promise<void>) => {
    if (ctx.method === "POST" && ctx.path === tokenPath) return tokenEndpointFront(ctx, next);
    if (ctx.method === "POST" && ctx.path === devicePath) return deviceEndpointFront(ctx, next);
    return next();
  });

  /**
   * In front of oidc-provider's token endpoint:
   * - JSON bodies: Anthropic's token endpoint takes `application/json`
   *   (`{"grant_type":"authorization_code","code":…,"redirect_uri":…,"client_id":…,
   *   "code_verifier":…,"state":…}`), oidc-provider only `application/x-www-form-urlencoded`.
   *   A JSON body is rewritten to the form encoding (dropping the non-standard `state`), so one
   *   server serves both encodings; form bodies pass through unchanged.
   * - `slow_down` for device-code polls sooner than the interval (RFC 8628 §3.5).
   * - records grants and errors, and merges `tokenResponseExtras`.
   */
  async function tokenEndpointFront(ctx: KoaContext, next: () => Promise<void>) {
    const raw = await readAll(ctx.req);
    const contentType = ctx.req.headers["content-type"];
    let form: URLSearchParams | undefined;
    if (contentType && /^application\/json\b/i.test(contentType)) {
      let json: unknown;
      try {
        json = JSON.parse(raw.toString("utf8"));
      } catch {
        json = undefined;
      }
      if (typeof json !== "object" || json === null || Array.isArray(json)) {
        jsonError(ctx, 400, "invalid_request", "request body is not a JSON object");
        tokenErrors.push({ error: "invalid_request" });
        return;
      }
      form = new URLSearchParams();
      for (const [key, value] of Object.entries(json)) {
        if (key === "state" || value === null || value === undefined) continue;
        form.set(key, typeof value === "string" ? value : JSON.stringify(value));
      }
      replayBody(ctx.req, Buffer.from(form.toString()), "application/x-www-form-urlencoded");
    } else {
      if (contentType && /^application\/x-www-form-urlencoded\b/i.test(contentType)) {
        form = new URLSearchParams(raw.toString("utf8"));
      }
      replayBody(ctx.req, raw, contentType);
    }
    const grantType = form?.get("grant_type") ?? undefined;

    if (grantType === DEVICE_GRANT && enforceInterval) {
      const deviceCode = form?.get("device_code") ?? "";
      const now = Date.now();
      const poll = polls.get(deviceCode);
      if (poll) {
        const tooSoon = now - poll.last < poll.intervalMs - POLL_TOLERANCE_MS;
        poll.last = now;
        if (tooSoon) {
          poll.intervalMs += slowDownIncrement * 1000;
          jsonError(
            ctx,
            400,
            "slow_down",
            `polled sooner than the interval; wait ${poll.intervalMs / 1000} s between polls`,
          );
          tokenErrors.push({ error: "slow_down", grantType });
          return;
        }
      } else if (deviceCode) {
        polls.set(deviceCode, {
          last: now,
          intervalMs: (options.enforcedDeviceInterval ?? deviceInterval) * 1000,
        });
      }
    }

    await next();
    if (options.tokenDelayMs) {
      await new Promise((resolve) => setTimeout(resolve, options.tokenDelayMs));
    }

    const body = ctx.body as Record<string, unknown> | undefined;
    if (ctx.status === 200 && body && typeof body.access_token === "string") {
      const clientId = ctx.oidc?.client?.clientId ?? form?.get("client_id") ?? "";
      grants.push({ grantType: grantType ?? "", clientId, at: Date.now() });
      if (options.tokenResponseExtras) {
        const login = ctx.oidc?.entities?.AccessToken?.accountId ??
          ctx.oidc?.entities?.Account?.accountId ?? "";
        Object.assign(body, options.tokenResponseExtras(login, grantType ?? ""));
      }
    } else if (body && typeof body.error === "string") {
      tokenErrors.push({ error: body.error, grantType });
    }
  }

  /** oidc-provider's device authorization response has no `interval`: add the configured one. */
  async function deviceEndpointFront(ctx: KoaContext, next: () => Promise<void>) {
    // Kimi's device endpoint takes a bare client_id; oidc-provider's device pages only complete
    // an openid request, so a scope-less request is treated as asking for openid.
    const raw = await readAll(ctx.req);
    const contentType = ctx.req.headers["content-type"];
    if (contentType && /^application\/x-www-form-urlencoded\b/i.test(contentType)) {
      const form = new URLSearchParams(raw.toString("utf8"));
      if (!form.has("scope")) form.set("scope", "openid");
      replayBody(ctx.req, Buffer.from(form.toString()), contentType);
    } else {
      replayBody(ctx.req, raw, contentType);
    }
    await next();
    const body = ctx.body as Record<string, unknown> | undefined;
    if (ctx.status === 200 && body && typeof body.device_code === "string") {
      body.interval = deviceInterval;
    }
  }

  handler = provider.callback();

  const approve = async (
    authorizationUrl: string,
    opts: { login?: string; deny?: boolean } = {},
  ): Promise<URL> => {
    const browser = new FormBrowser(issuer);
    const end = await browser.interact(
      await browser.get(new URL(authorizationUrl)),
      opts.login ?? DEFAULT_LOGIN,
      opts.deny ?? false,
    );
    if (end.kind !== "left") {
      throw new Error(`authorization ended on the provider (${end.status}): ${excerpt(end.text)}`);
    }
    return end.url;
  };

  const approveDevice = async (
    userCode: string,
    opts: { login?: string; deny?: boolean } = {},
  ): Promise<void> => {
    const browser = new FormBrowser(issuer);
    const entry = await browser.open(new URL(`${issuer}/device`));
    const input = parseForm(entry.text, "op.deviceInputForm");
    if (!input) throw new Error(`no user code form on ${entry.url}: ${excerpt(entry.text)}`);
    const confirmPage = await browser.post(input.action, { ...input.fields, user_code: userCode });
    const confirm = parseForm(confirmPage.text, "op.deviceConfirmForm");
    if (!confirm) {
      throw new Error(`user code ${userCode} not accepted: ${excerpt(confirmPage.text)}`);
    }
    if (opts.deny) {
      // The confirm page's "[ Abort ]" button: name=abort value=yes, submitting that form.
      const aborted = await browser.post(confirm.action, { ...confirm.fields, abort: "yes" });
      if (!/interrupted/i.test(aborted.text)) {
        throw new Error(`device abort not acknowledged: ${excerpt(aborted.text)}`);
      }
      return;
    }
    const end = await browser.interact(
      await browser.post(confirm.action, confirm.fields),
      opts.login ?? DEFAULT_LOGIN,
      false,
    );
    if (end.kind !== "page" || !/Sign-in Success/.test(end.text)) {
      throw new Error(
        end.kind === "left"
          ? `device flow left the provider for ${end.url}`
          : `device flow did not succeed (${end.status}): ${excerpt(end.text)}`,
      );
    }
  };

  let closed = false;
  return {
    issuer,
    authorizeUrl: `${issuer}/auth`,
    tokenUrl: `${issuer}/token`,
    deviceUrl: `${issuer}/device/auth`,
    verificationUrl: `${issuer}/device`,
    userinfoUrl: `${issuer}/me`,
    grants,
    tokenErrors,
    approve,
    approveDevice,
    async close() {
      if (closed) return;
      closed = true;
      polls.clear();
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
    },
  };
}

// ---------------------------------------------------------------------------------------------
// Driving the provider's pages with fetch

interface Page {
  kind: "page";
  url: URL;
  status: number;
  text: string;
}
interface Redirect {
  kind: "redirect";
  url: URL;
  location: URL;
}
type Step = Page | Redirect;
type End = Page | { kind: "left"; url: URL };

function excerpt(html: string): string {
  return html.replace(/<style[\s\S]*?<\/style>/gi, "").replace(/<[^>]+>/g, " ").replace(
    /\s+/g,
    " ",
  ).trim().slice(0, 400);
}

function decodeEntities(text: string): string {
  return text.replace(/&#x([0-9a-f]+);/gi, (_, hex) => String.fromCodePoint(parseInt(hex, 16)))
    .replace(/&#(\d+);/g, (_, dec) => String.fromCodePoint(Number(dec)))
    .replace(/&quot;/g, '"').replace(/&#39;|&apos;/g, "'").replace(/&lt;/g, "<")
    .replace(/&gt;/g, ">").replace(/&amp;/g, "&");
}

function attribute(tag: string, name: string): string | undefined {
  const match = new RegExp(`\\s${name}="([^"]*)"`, "i").exec(tag);
  return match ? decodeEntities(match[1]) : undefined;
}

/** The first form (or the one with `id`) of a page: its action and hidden fields. */
function parseForm(
  html: string,
  id?: string,
): { action: URL; fields: Record<string, string>; tag: string } | undefined {
  for (const match of html.matchAll(/<form\b[^>]*>([\s\S]*?)<\/form>/gi)) {
    const tag = match[0].slice(0, match[0].indexOf(">") + 1);
    if (id !== undefined && attribute(tag, "id") !== id) continue;
    const action = attribute(tag, "action");
    if (!action) continue;
    const fields: Record<string, string> = {};
    for (const input of match[1].matchAll(/<input\b[^>]*>/gi)) {
      if (attribute(input[0], "type") !== "hidden") continue;
      const name = attribute(input[0], "name");
      if (name) fields[name] = attribute(input[0], "value") ?? "";
    }
    return { action: new URL(action), fields, tag };
  }
  return undefined;
}

/** fetch with a cookie jar and manual redirects: just enough of a browser for these pages. */
class FormBrowser {
  #cookies = new Map<string, string>();
  constructor(readonly issuer: string) {}

  async #send(url: URL, init: RequestInit): Promise<Step> {
    const headers = new Headers(init.headers);
    if (this.#cookies.size) {
      headers.set("cookie", [...this.#cookies].map(([k, v]) => `${k}=${v}`).join("; "));
    }
    const response = await fetch(url, { ...init, headers, redirect: "manual" });
    for (const line of response.headers.getSetCookie()) {
      const [pair, ...attributes] = line.split(";");
      const eq = pair.indexOf("=");
      const name = pair.slice(0, eq).trim();
      const expired = attributes.some((a) => {
        const [key, value = ""] = a.trim().split("=");
        if (/^max-age$/i.test(key)) return Number(value) <= 0;
        if (/^expires$/i.test(key)) return Date.parse(value) <= Date.now();
        return false;
      });
      if (expired) this.#cookies.delete(name);
      else this.#cookies.set(name, pair.slice(eq + 1).trim());
    }
    const text = await response.text();
    const location = response.headers.get("location");
    if (response.status >= 300 && response.status < 400 && location) {
      return { kind: "redirect", url, location: new URL(location, url) };
    }
    return { kind: "page", url, status: response.status, text };
  }

  get(url: URL): Promise<Step> {
    return this.#send(url, { method: "GET" });
  }

  /** GET, following redirects that stay on the provider. */
  open(url: URL): Promise<Page> {
    return this.get(url).then((step) => this.#follow(step));
  }

  post(url: URL, fields: Record<string, string>): Promise<Page> {
    return this.#send(url, {
      method: "POST",
      headers: { "content-type": "application/x-www-form-urlencoded" },
      body: new URLSearchParams(fields).toString(),
    }).then((step) => this.#follow(step));
  }

  /** Follows redirects that stay on the provider; stops at a page (or at leaving). */
  async #follow(step: Step): Promise<Page> {
    for (let hops = 0; step.kind === "redirect"; hops++) {
      if (hops > 20) throw new Error(`too many redirects at ${step.url}`);
      if (step.location.origin !== new URL(this.issuer).origin) {
        // Surface as a page-less step: interact() turns it into "left".
        throw new LeftProvider(step.location);
      }
      step = await this.get(step.location);
    }
    return step;
  }

  /**
   * From `first` on, answers the login and consent pages until the provider redirects away
   * (returns the target, unfetched) or shows a page that is neither (returns it).
   */
  async interact(first: Step, login: string, deny: boolean): Promise<End> {
    let step = first;
    for (let rounds = 0; rounds < 10; rounds++) {
      let page: Page;
      try {
        page = await this.#follow(step);
      } catch (error) {
        if (error instanceof LeftProvider) return { kind: "left", url: error.url };
        throw error;
      }
      const form = parseForm(page.text);
      const prompt = form?.fields.prompt;
      if (!form || (prompt !== "login" && prompt !== "consent")) return page;
      if (prompt === "login") {
        step = await this.#send(form.action, {
          method: "POST",
          headers: { "content-type": "application/x-www-form-urlencoded" },
          body: new URLSearchParams({ prompt: "login", login, password: "harness" }).toString(),
        });
      } else if (deny) {
        // The "[ Cancel ]" link of the interaction page: /interaction/:uid/abort.
        const cancel = /<a href="([^"]*)">\[ Cancel \]<\/a>/.exec(page.text);
        if (!cancel) throw new Error(`no Cancel link on the consent page: ${excerpt(page.text)}`);
        step = await this.get(new URL(decodeEntities(cancel[1]), page.url));
      } else {
        step = await this.#send(form.action, {
          method: "POST",
          headers: { "content-type": "application/x-www-form-urlencoded" },
          body: new URLSearchParams({ prompt: "consent" }).toString(),
        });
      }
    }
    throw new Error("the provider kept asking for login/consent");
  }
}

class LeftProvider extends Error {
  constructor(readonly url: URL) {
    super(`left the provider for ${url}`);
  }
}
