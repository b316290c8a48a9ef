/**
 * @module
 * The manual login (`--no-browser` where the provider shows the code on its
 * own page): the address is printed, the person approves in any browser and
 * pastes back the `code#state` the page shows. A provider without such a page
 * gets the browser login with the address printed.
 */
import { LoginError } from "../oauth/login-error.ts";
import { startAuthorization } from "../oauth/oauth-client.ts";
import { browserLogin } from "./browser-login.ts";
import type { LoginOptions, LoginResult } from "./login-options.ts";
import { parsePasted } from "./parse-pasted.ts";
import { readLine } from "./read-line.ts";
import { exchangeAndSave } from "./save-login.ts";

export async function manualLogin(options: LoginOptions): Promise<LoginResult> {
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
