/**
 * @module
 * Codex's device login. Not RFC 8628: the device endpoint hands back an
 * authorization code and its PKCE verifier once the user approves, and the
 * code is then exchanged like a browser login's.
 */
import type { LoginOptions } from "./login.ts";
import { LoginError } from "./login-error.ts";
import type { DeviceFlow } from "./login-spec.ts";
import { exchangeCode, type ExchangeResult, oauth, oauthContext } from "./oauth-client.ts";
import { openBrowser } from "./open-browser.ts";
import { createProgress } from "./progress.ts";

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const EXPIRY_MS = 15 * 60 * 1000;

async function postJson(
  provider: string,
  url: string,
  body: unknown,
  headers: Record<string, string>,
) {
  try {
    return await fetch(url, {
      method: "POST",
      headers: { ...headers, "content-type": "application/json", accept: "application/json" },
      body: JSON.stringify(body),
    });
  } catch (error) {
    throw new LoginError(
      provider,
      "device",
      `cannot reach the device endpoint: ${(error as Error).message}`,
    );
  }
}

export async function runCodexDeviceLogin(
  options: LoginOptions,
  device: Extract<DeviceFlow, { kind: "codex" }>,
): Promise<ExchangeResult> {
  const { endpoints, provider } = options;
  const userCodeUrl = endpoints.deviceUrl!;
  const tokenUrl = userCodeUrl.replace(/usercode$/, "token");
  const start = await postJson(
    provider,
    userCodeUrl,
    { client_id: endpoints.clientId },
    endpoints.headers,
  );
  if (start.status === 404) {
    await start.body?.cancel();
    throw new LoginError(
      provider,
      "device",
      "device login is not enabled for this account; use the browser login",
    );
  }
  if (!start.ok) {
    await start.body?.cancel();
    throw new LoginError(provider, "device", `the device endpoint answered HTTP ${start.status}`);
  }
  const started = await start.json() as Record<string, unknown>;
  const deviceAuthId = started.device_auth_id as string;
  const userCode = (started.user_code ?? started.usercode) as string;
  if (!deviceAuthId || !userCode) {
    throw new LoginError(provider, "device", "the device endpoint's answer lacks a code");
  }
  const interval = Math.max(1, Number.parseInt(String(started.interval ?? "5"), 10) || 5);

  options.say(`Open ${device.verificationUrl} and enter the code:\n\n  ${userCode}\n`);
  if (!options.noBrowser && await openBrowser(device.verificationUrl)) {
    options.say("(Opened your browser.)");
  }
  const deadline = Date.now() + Math.min(EXPIRY_MS, options.timeoutMs);
  const progress = createProgress("Waiting for approval");
  let approved: Record<string, unknown> | undefined;
  try {
    while (!approved) {
      const waitUntil = Date.now() + interval * 1000;
      while (Date.now() < waitUntil) {
        progress.tick(Math.max(0, (deadline - Date.now()) / 1000));
        await sleep(Math.min(250, waitUntil - Date.now()));
      }
      const poll = await postJson(
        provider,
        tokenUrl,
        { device_auth_id: deviceAuthId, user_code: userCode },
        endpoints.headers,
      );
      if (poll.ok) {
        approved = await poll.json() as Record<string, unknown>;
      } else {
        await poll.body?.cancel();
        // 403 and 404 mean "not approved yet".
        if (poll.status !== 403 && poll.status !== 404) {
          throw new LoginError(
            provider,
            "device",
            `the device endpoint answered HTTP ${poll.status}`,
          );
        }
      }
      if (!approved && Date.now() >= deadline) {
        throw new LoginError(
          provider,
          "device",
          "the code expired before it was approved; run the login again",
        );
      }
    }
  } finally {
    progress.done();
  }
  const code = approved.authorization_code as string | undefined;
  const verifier = approved.code_verifier as string | undefined;
  if (!code || !verifier) {
    throw new LoginError(provider, "device", "the approval lacks an authorization code");
  }
  const context = oauthContext(options.spec, endpoints);
  try {
    return await exchangeCode(
      options.spec,
      context,
      new URLSearchParams({ code }),
      oauth.skipStateCheck,
      device.codeRedirectUrl,
      verifier,
    );
  } catch (error) {
    if (error instanceof oauth.ResponseBodyError) {
      throw new LoginError(
        provider,
        "exchange",
        `the token endpoint refused the code (${error.error})`,
      );
    }
    throw error;
  }
}
