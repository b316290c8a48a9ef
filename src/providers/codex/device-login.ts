/**
 * @module
 * Codex's device login. Not RFC 8628: the device endpoint hands back an
 * authorization code and its PKCE verifier once the user approves, and the
 * code is then exchanged like a browser login's. The login engine shows the
 * code and waits; this module speaks the protocol.
 */
import { LoginError } from "../../oauth/login-error.ts";
import type { DeviceAuthorization, DeviceContext, ExchangeResult } from "../../oauth/login-spec.ts";
import { exchangeCode, oauth, oauthContext } from "../../oauth/oauth-client.ts";
import type { Json } from "../../ir/json.ts";

/** Where the person enters the code, and the redirect URI the device's code was issued for. */
export interface CodexDeviceUrls {
  verificationUrl: string;
  codeRedirectUrl: string;
}

/** The device code lives 15 minutes; the endpoint does not say so itself. */
const EXPIRY_SECONDS = 15 * 60;

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

/** The user code and its id from the `usercode` endpoint. */
async function requestUserCode({ provider, endpoints }: DeviceContext) {
  const start = await postJson(
    provider,
    endpoints.deviceUrl!,
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
  const started = await start.json() as Json;
  const deviceAuthId = started.device_auth_id as string;
  const userCode = (started.user_code ?? started.usercode) as string;
  if (!deviceAuthId || !userCode) {
    throw new LoginError(provider, "device", "the device endpoint's answer lacks a code");
  }
  const interval = Math.max(1, Number.parseInt(String(started.interval ?? "5"), 10) || 5);
  return { deviceAuthId, userCode, interval };
}

/** The approved device's authorization code, exchanged with the verifier that came with it. */
async function exchangeApproval(
  { provider, spec, endpoints }: DeviceContext,
  approved: Json,
  codeRedirectUrl: string,
): Promise<ExchangeResult> {
  const code = approved.authorization_code as string | undefined;
  const verifier = approved.code_verifier as string | undefined;
  if (!code || !verifier) {
    throw new LoginError(provider, "device", "the approval lacks an authorization code");
  }
  try {
    return await exchangeCode(
      spec,
      oauthContext(spec, endpoints),
      new URLSearchParams({ code }),
      oauth.skipStateCheck,
      codeRedirectUrl,
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

/** Codex's device protocol, for its descriptor's `login.device.start`. */
export function codexDeviceLogin(urls: CodexDeviceUrls) {
  return async (context: DeviceContext): Promise<DeviceAuthorization> => {
    const { provider, endpoints } = context;
    const tokenUrl = endpoints.deviceUrl!.replace(/usercode$/, "token");
    const { deviceAuthId, userCode, interval } = await requestUserCode(context);
    return {
      userCode,
      verificationUri: urls.verificationUrl,
      openUri: urls.verificationUrl,
      expiresIn: EXPIRY_SECONDS,
      interval,
      async poll() {
        const poll = await postJson(
          provider,
          tokenUrl,
          { device_auth_id: deviceAuthId, user_code: userCode },
          endpoints.headers,
        );
        if (poll.ok) {
          return await exchangeApproval(context, await poll.json() as Json, urls.codeRedirectUrl);
        }
        await poll.body?.cancel();
        // 403 and 404 mean "not approved yet".
        if (poll.status === 403 || poll.status === 404) return "pending";
        throw new LoginError(
          provider,
          "device",
          `the device endpoint answered HTTP ${poll.status}`,
        );
      },
      timedOut: () =>
        new LoginError(
          provider,
          "device",
          "the code expired before it was approved; run the login again",
        ),
    };
  };
}
