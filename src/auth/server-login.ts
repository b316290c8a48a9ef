/**
 * @module
 * A login the running server performs for someone elsewhere (the management
 * API, its web console): it starts at once and hands back what the person
 * needs (a device code and where to enter it, or an address to open and how
 * to bring the answer back), then finishes in the background while its state
 * is asked for. The flows are the CLI's (`login.ts`): the same device
 * protocol, callback listener, code exchange and account file; only the
 * terminal is missing, so nothing is printed or read, and no browser is
 * opened on the server.
 *
 * - device: polled at the provider's pace until approved, denied or expired;
 * - browser: the provider's loopback callback is served on the server's
 *   127.0.0.1 (when that port is free), and the address the browser ends on
 *   may be pasted instead;
 * - manual: the provider's own page shows `code#state` to paste (Claude);
 *   without such a page, the address the browser ends on is pasted.
 */
import { LoginError } from "../oauth/login-error.ts";
import type { DeviceAuthorization, Endpoints, LoginSpec } from "../oauth/login-spec.ts";
import { startRfc8628Device } from "../oauth/rfc8628-device.ts";
import { startAuthorization } from "../oauth/oauth-client.ts";
import type { ProviderId } from "../providers/registry.ts";
import { redact } from "../log/redact.ts";
import { type CallbackListener, listenForCallback } from "./callback-server.ts";
import { waitForApproval } from "./device-login.ts";
import type { LoginFlow, LoginOptions, LoginResult } from "./login-options.ts";
import { parsePasted } from "./parse-pasted.ts";
import { exchangeAndSave, saveLogin } from "./save-login.ts";
import type { AccountBackend } from "./refresh/token-storage.ts";

export interface ServerLoginOptions {
  provider: ProviderId;
  title: string;
  spec: LoginSpec;
  endpoints: Endpoints;
  authDir: string;
  /** Where the account is saved: the auth dir by default, the shared database for teams. */
  backend?: AccountBackend;
  flow: LoginFlow;
  /** How long the login may wait for the person (a device code may end it sooner). */
  timeoutMs: number;
  /** The browser flow's callback port, instead of the provider's (which must accept it). */
  callbackPort?: number;
}

export type ServerLoginState =
  | { status: "pending" }
  | { status: "done"; result: LoginResult }
  | { status: "failed"; step: string; reason: string };

export interface ServerLogin {
  flow: LoginFlow;
  /** When the login gives up waiting (epoch ms). */
  expiresAt: number;
  /** Device flow: the code to enter, and where. */
  device?: {
    userCode: string;
    verificationUri: string;
    /** The address with the code filled in, where the provider offers one. */
    verificationUriComplete?: string;
    /** Seconds between the server's polls. */
    interval: number;
  };
  /** Browser and manual flows: the address to open, and how the answer comes back. */
  authorize?: {
    url: string;
    redirectUri: string;
    /** The callback is served on this server's 127.0.0.1 (a browser on this machine ends there). */
    listening: boolean;
    /** What to paste back: the `code#state` the provider's page shows, or the final address. */
    paste: "code#state" | "address";
  };
  state(): ServerLoginState;
  /** What the login said along the way (project setup, …), redacted. */
  notes(): string[];
  /** Settles when the login ends, either way. */
  finished: Promise<ServerLoginState>;
  /** A pasted `code#state`, callback address or query; resolves with the state after it. */
  deliver(pasted: string): Promise<ServerLoginState>;
  cancel(reason: string): void;
}

function describe(error: unknown): { step: string; reason: string } {
  if (error instanceof LoginError) return { step: error.step, reason: redact(error.message) };
  return { step: "login", reason: redact(error instanceof Error ? error.message : String(error)) };
}

/** Starts a login; throws a LoginError when it cannot even start (no such flow, provider down). */
export async function startServerLogin(options: ServerLoginOptions): Promise<ServerLogin> {
  const notes: string[] = [];
  const login: LoginOptions = {
    ...options,
    noBrowser: true,
    say: (line) => notes.push(redact(line)),
  };
  const cancel = new AbortController();
  let state: ServerLoginState = { status: "pending" };
  const settle = (outcome: Promise<LoginResult>): Promise<ServerLoginState> =>
    outcome.then(
      (result): ServerLoginState => state = { status: "done", result },
      (error): ServerLoginState => state = { status: "failed", ...describe(error) },
    );
  const cancelled = new Promise<never>((_, reject) => {
    cancel.signal.addEventListener("abort", () => {
      reject(new LoginError(options.provider, "cancelled", String(cancel.signal.reason)));
    });
  });
  cancelled.catch(() => {});
  const base = {
    flow: options.flow,
    state: () => state,
    notes: () => [...notes],
    cancel: (reason: string) => cancel.abort(reason),
  };

  if (options.flow === "device") {
    const device = await startDevice(options);
    const expiresAt = Date.now() + Math.min(device.expiresIn * 1000, options.timeoutMs);
    const approved = waitForApproval(device, options.timeoutMs, { signal: cancel.signal })
      .catch((error) => {
        if (!cancel.signal.aborted) throw error;
        throw new LoginError(options.provider, "cancelled", String(cancel.signal.reason));
      })
      .then((answer) => saveLogin(login, answer.tokens, answer.idTokenClaims));
    return {
      ...base,
      expiresAt,
      device: {
        userCode: device.userCode,
        verificationUri: device.verificationUri,
        verificationUriComplete: device.openUri !== device.verificationUri
          ? device.openUri
          : undefined,
        interval: device.interval,
      },
      finished: settle(approved),
      deliver: () => {
        throw new LoginError(options.provider, "callback", "a device login takes no pasted code");
      },
    };
  }

  const redirect = await startRedirect(options, login);
  const finished = settle(Promise.race([redirect.outcome, cancelled]));
  finished.finally(() => redirect.listener.close());
  return {
    ...base,
    expiresAt: Date.now() + options.timeoutMs,
    authorize: {
      url: redirect.url,
      redirectUri: redirect.redirectUri,
      listening: redirect.listener.listening,
      paste: redirect.paste,
    },
    finished,
    async deliver(pasted) {
      const parameters = pastedParameters(options.provider, pasted, redirect.paste);
      // Its failure is the login's, reported by `finished`.
      await redirect.listener.deliver(parameters).catch(() => {});
      return await finished;
    },
  };
}

/** The callback parameters in what was pasted; a LoginError saying what to paste otherwise. */
function pastedParameters(
  provider: string,
  pasted: string,
  paste: "code#state" | "address",
): URLSearchParams {
  const parameters = parsePasted(pasted);
  if (!parameters || (!parameters.get("code") && !parameters.get("error"))) {
    throw new LoginError(
      provider,
      "callback",
      paste === "code#state"
        ? "no code found: paste the whole code#state the provider's page shows"
        : "no code found: paste the whole address the browser ended on (it holds ?code=…&state=…)",
    );
  }
  if (!parameters.get("state") && !parameters.get("error")) {
    throw new LoginError(
      provider,
      "state",
      paste === "code#state"
        ? "the pasted code has no #state part: paste the whole code#state"
        : "the pasted address has no state: paste the whole address the browser ended on",
    );
  }
  return parameters;
}

async function startDevice(options: ServerLoginOptions): Promise<DeviceAuthorization> {
  const { spec, endpoints, provider } = options;
  if (!spec.device) {
    throw new LoginError(
      provider,
      "device",
      `${options.title} has no device login; use the browser or manual flow`,
    );
  }
  const start = spec.device.start ?? startRfc8628Device;
  return await start({ provider, spec, endpoints });
}

interface Redirect {
  listener: CallbackListener;
  /** The saved login, once the callback or a paste has been exchanged. */
  outcome: Promise<LoginResult>;
  url: string;
  redirectUri: string;
  paste: "code#state" | "address";
}

/** The authorization request and what brings its answer back (the callback, or a paste). */
async function startRedirect(options: ServerLoginOptions, login: LoginOptions): Promise<Redirect> {
  const { spec, endpoints, provider } = options;
  const manualPage = options.flow === "manual" ? endpoints.manualRedirectUrl : undefined;
  const callback = spec.callback;
  if (!manualPage && !callback) {
    throw new LoginError(
      provider,
      "callback",
      `${options.title} has no browser login; use the device flow`,
    );
  }
  const port = options.callbackPort ?? callback?.port ?? 0;
  const redirectUri = manualPage ?? `http://${callback!.host}:${port}${callback!.path}`;
  const start = await startAuthorization(spec, endpoints, redirectUri);
  let result: LoginResult | undefined;
  const listener = listenForCallback({
    provider,
    port,
    path: callback?.path ?? "/",
    expectedState: start.state,
    timeoutMs: options.timeoutMs,
    listen: options.flow === "browser" ? "optional" : "never",
    timedOutMessage: `nothing came back within ${
      Math.round(options.timeoutMs / 60_000)
    } min; start the login again`,
    onCode: async (parameters) => {
      result = await exchangeAndSave(login, parameters, start, redirectUri);
      return result.account;
    },
  });
  return {
    listener,
    outcome: listener.done.then(() => result!),
    url: start.url.href,
    redirectUri,
    paste: manualPage ? "code#state" : "address",
  };
}
