/**
 * @module
 * The browser login: PKCE authorization in the person's browser, which
 * returns to a loopback callback on this machine. On a machine without a
 * browser the address is printed, and the address the browser ends on may be
 * pasted here instead.
 */
import { LoginError } from "../oauth/login-error.ts";
import { startAuthorization } from "../oauth/oauth-client.ts";
import { type CallbackListener, listenForCallback } from "./callback-server.ts";
import type { LoginOptions, LoginResult } from "./login-options.ts";
import { openBrowser } from "./open-browser.ts";
import { parsePasted } from "./parse-pasted.ts";
import { readLine } from "./read-line.ts";
import { exchangeAndSave } from "./save-login.ts";

/** A pasted callback address completes the login like the callback itself. */
async function acceptPastedCallback(listener: CallbackListener): Promise<void> {
  for (let line = await readLine(); line !== null; line = await readLine()) {
    const parameters = parsePasted(line);
    if (parameters) {
      await listener.deliver(parameters).catch(() => {});
      return;
    }
  }
}

/** Opens the browser, or says where to go and how to bring the answer back. */
async function sendToBrowser(
  options: LoginOptions,
  url: URL,
  redirectUri: string,
  port: number,
  listener: CallbackListener,
): Promise<void> {
  const opened = !options.noBrowser && await openBrowser(url.href);
  if (opened) {
    options.say(`Opened your browser. If it did not open, visit:\n\n  ${url.href}\n`);
    return;
  }
  options.say(`Open this address in a browser and approve:\n\n  ${url.href}\n`);
  options.say(
    `The browser then returns to ${redirectUri} on this machine. On a remote or headless ` +
      `machine, forward the port first (ssh -L ${port}:127.0.0.1:${port} <this host>), or ` +
      `paste here the address the browser ends on.` +
      (options.spec.device ? " The device login (--device) needs no browser here at all." : ""),
  );
  void acceptPastedCallback(listener);
}

export async function browserLogin(options: LoginOptions): Promise<LoginResult> {
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
    await sendToBrowser(options, start.url, redirectUri, port, listener);
    options.say(`Waiting for the browser (up to ${Math.round(options.timeoutMs / 1000)} s)…`);
    await listener.done;
    return result!;
  } finally {
    await listener.close();
  }
}
