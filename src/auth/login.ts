/**
 * @module
 * Runs a provider's login: browser (loopback callback, PKCE), manual paste
 * (`code#state` from the provider's page) or device code, then identifies the
 * account and writes its file. The running server picks the file up itself.
 */
import { join } from "node:path";
import {
  accountFileName,
  buildAccountRecord,
  readAccountRecord,
  saveAccountFile,
} from "./account-file.ts";
import { listenForCallback } from "./callback-server.ts";
import { runCodexDeviceLogin } from "./codex-device.ts";
import { LoginError } from "./login-error.ts";
import type { Endpoints, LoginSpec, TokenSet } from "./login-spec.ts";
import {
  type AuthorizationStart,
  exchangeCode,
  oauth,
  oauthContext,
  pollDeviceToken,
  startAuthorization,
  startDeviceAuthorization,
} from "./oauth-client.ts";
import { openBrowser } from "./open-browser.ts";
import { createProgress } from "./progress.ts";
import { readLine } from "./read-line.ts";

export type LoginFlow = "browser" | "manual" | "device";

export interface LoginOptions {
  provider: string;
  title: string;
  spec: LoginSpec;
  endpoints: Endpoints;
  authDir: string;
  flow: LoginFlow;
  /** Print the URL instead of opening a browser. */
  noBrowser: boolean;
  callbackPort?: number;
  timeoutMs: number;
  say(line: string): void;
}

export interface LoginResult {
  account: string;
  file: string;
  expired?: string;
}

/** Parses what a person pastes: `code#state`, a callback URL, or its query string. */
export function parsePasted(text: string): URLSearchParams | undefined {
  const input = text.trim();
  if (!input) return undefined;
  if (/^https?:\/\//.test(input)) {
    const url = new URL(input);
    return url.searchParams.has("code") || url.searchParams.has("error")
      ? url.searchParams
      : undefined;
  }
  if (input.includes("code=") || input.includes("error=")) {
    return new URLSearchParams(input.replace(/^\?/, ""));
  }
  const [code, state] = input.split("#");
  return new URLSearchParams(state ? { code, state } : { code });
}

async function finish(
  options: LoginOptions,
  tokens: TokenSet,
  idTokenClaims: Record<string, unknown> | undefined,
): Promise<LoginResult> {
  const { spec, endpoints, provider } = options;
  let identity;
  try {
    identity = await spec.identify(tokens, {
      endpoints,
      idTokenClaims,
      say: options.say,
      fetch,
    });
  } catch (error) {
    if (error instanceof LoginError) throw error;
    throw new LoginError(provider, "identify", (error as Error).message);
  }
  const file = accountFileName(provider, identity.account);
  const previous = await readAccountRecord(join(options.authDir, file));
  const record = buildAccountRecord(provider, tokens, identity, Date.now(), previous);
  try {
    await saveAccountFile(options.authDir, file, record);
  } catch (error) {
    throw new LoginError(provider, "save", `cannot write ${file}: ${(error as Error).message}`);
  }
  return { account: identity.account, file, expired: record.expired as string | undefined };
}

function describeExchangeError(provider: string, error: unknown): LoginError {
  if (error instanceof LoginError) return error;
  if (error instanceof oauth.ResponseBodyError) {
    return new LoginError(
      provider,
      "exchange",
      `the token endpoint refused the code (${error.error}${
        error.error_description ? `: ${error.error_description}` : ""
      })`,
    );
  }
  if (error instanceof oauth.AuthorizationResponseError) {
    return new LoginError(provider, "consent", `the provider answered ${error.error}`);
  }
  return new LoginError(provider, "exchange", (error as Error).message);
}

/** The code exchange (state checked again by oauth4webapi), then the account file. */
async function exchangeAndSave(
  options: LoginOptions,
  parameters: URLSearchParams,
  start: AuthorizationStart,
  redirectUri: string,
): Promise<LoginResult> {
  const context = oauthContext(options.spec, options.endpoints);
  const exchanged = await exchangeCode(
    options.spec,
    context,
    parameters,
    start.state,
    redirectUri,
    start.verifier,
  ).catch((error) => {
    throw describeExchangeError(options.provider, error);
  });
  return await finish(options, exchanged.tokens, exchanged.idTokenClaims);
}

async function browserLogin(options: LoginOptions): Promise<LoginResult> {
  const { spec, endpoints, provider } = options;
  const callback = spec.callback;
  if (!callback) {
    throw new LoginError(
      provider,
      "callback",
      `${options.title} has no browser login; use --device`,
    );
  }
  const port = options.callbackPort ?? callback.port;
  const redirectUri = `http://${callback.host}:${port}${callback.path}`;
  const start = await startAuthorization(spec, endpoints, redirectUri);
  let result: LoginResult | undefined;
  const listener = listenForCallback({
    provider,
    port,
    path: callback.path,
    expectedState: start.state,
    timeoutMs: options.timeoutMs,
    async onCode(parameters) {
      result = await exchangeAndSave(options, parameters, start, redirectUri);
      return result.account;
    },
  });
  try {
    const opened = !options.noBrowser && await openBrowser(start.url.href);
    if (opened) {
      options.say(`Opened your browser. If it did not open, visit:\n\n  ${start.url.href}\n`);
    } else {
      options.say(`Open this address in a browser and approve:\n\n  ${start.url.href}\n`);
      options.say(
        `The browser then returns to ${redirectUri} on this machine. On a remote or headless ` +
          `machine, forward the port first (ssh -L ${port}:127.0.0.1:${port} <this host>), or ` +
          `paste here the address the browser ends on.` +
          (spec.device ? " The device login (--device) needs no browser here at all." : ""),
      );
      // A pasted callback address completes the login like the callback itself.
      (async () => {
        for (let line = await readLine(); line !== null; line = await readLine()) {
          const parameters = parsePasted(line);
          if (parameters) {
            await listener.deliver(parameters).catch(() => {});
            return;
          }
        }
      })();
    }
    options.say(`Waiting for the browser (up to ${Math.round(options.timeoutMs / 1000)} s)…`);
    await listener.done;
    return result!;
  } finally {
    await listener.close();
  }
}

async function manualLogin(options: LoginOptions): Promise<LoginResult> {
  const { spec, endpoints, provider } = options;
  const redirectUri = endpoints.manualRedirectUrl;
  if (!redirectUri) return await browserLogin({ ...options, noBrowser: true });
  const start = await startAuthorization(spec, endpoints, redirectUri);
  options.say(`Open this address in any browser and approve:\n\n  ${start.url.href}\n`);
  options.say("Then paste the code the page shows (it looks like code#state) and press Enter:");
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() =>
      reject(
        new LoginError(
          provider,
          "timeout",
          `no code pasted within ${Math.round(options.timeoutMs / 1000)} s; run the login again`,
        ),
      ), options.timeoutMs);
  });
  try {
    const line = await Promise.race([readLine(), timeout]);
    const parameters = line === null ? undefined : parsePasted(line);
    if (!parameters?.get("code") && !parameters?.get("error")) {
      throw new LoginError(provider, "callback", "no code was pasted; run the login again");
    }
    if (parameters.get("error")) {
      throw new LoginError(
        provider,
        "consent",
        "access was denied in the browser; nothing was saved.",
      );
    }
    if (parameters.get("state") !== start.state) {
      throw new LoginError(
        provider,
        "state",
        "the pasted code belongs to another login (its state does not match); nothing was saved. " +
          "Paste the whole code#state from this login's page.",
      );
    }
    return await exchangeAndSave(options, parameters, start, redirectUri);
  } finally {
    clearTimeout(timer);
  }
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function deviceLogin(options: LoginOptions): Promise<LoginResult> {
  const { spec, endpoints, provider } = options;
  if (!spec.device) {
    throw new LoginError(
      provider,
      "device",
      `${options.title} has no device login; use the browser login (with --no-browser on a headless machine)`,
    );
  }
  if (spec.device.kind === "codex") {
    const exchanged = await runCodexDeviceLogin(options, spec.device);
    return await finish(options, exchanged.tokens, exchanged.idTokenClaims);
  }
  const context = oauthContext(spec, endpoints);
  const device = await startDeviceAuthorization(spec, context).catch((error) => {
    throw new LoginError(
      provider,
      "device",
      `cannot start the device login: ${describeExchangeError(provider, error).message}`,
    );
  });
  const visit = device.verificationUriComplete ?? device.verificationUri;
  options.say(`Open ${device.verificationUri} and enter the code:\n\n  ${device.userCode}\n`);
  if (!options.noBrowser && await openBrowser(visit)) options.say("(Opened your browser.)");
  const deadline = Date.now() + Math.min(device.expiresIn * 1000, options.timeoutMs);
  let interval = device.interval;
  const progress = createProgress("Waiting for approval");
  try {
    while (true) {
      const waitUntil = Date.now() + interval * 1000;
      while (Date.now() < waitUntil) {
        progress.tick(Math.max(0, (deadline - Date.now()) / 1000));
        await sleep(Math.min(250, waitUntil - Date.now()));
      }
      const answer = await pollDeviceToken(context, device);
      if ("tokens" in answer) return await finish(options, answer.tokens, answer.idTokenClaims);
      switch (answer.error) {
        case "authorization_pending":
          break;
        case "slow_down":
          // RFC 8628: add 5 seconds to the interval on every slow_down.
          interval += 5;
          break;
        case "expired_token":
          throw new LoginError(
            provider,
            "device",
            "the code expired before it was approved; run the login again",
          );
        case "access_denied":
          throw new LoginError(
            provider,
            "consent",
            "access was denied in the browser; nothing was saved.",
          );
        default:
          throw new LoginError(
            provider,
            "device",
            `the provider answered ${answer.error}${
              answer.description ? `: ${answer.description}` : ""
            }`,
          );
      }
      if (Date.now() >= deadline) {
        throw new LoginError(
          provider,
          "timeout",
          "the code was not approved in time; run the login again",
        );
      }
    }
  } finally {
    progress.done();
  }
}

export async function runLogin(options: LoginOptions): Promise<LoginResult> {
  switch (options.flow) {
    case "device":
      return await deviceLogin(options);
    case "manual":
      return await manualLogin(options);
    case "browser":
      return await browserLogin(options);
  }
}
