/**
 * @module
 * The RFC 8628 device login on oauth4webapi (Copilot, Kimi, Qwen): the device
 * authorization request, then polls of the token endpoint whose error codes
 * say whether to wait, slow down, or give up.
 */
import { describeOAuthError } from "./describe-oauth-error.ts";
import { LoginError } from "./login-error.ts";
import type { DeviceAuthorization, DeviceContext } from "./login-spec.ts";
import { oauthContext, pollDeviceToken, startDeviceAuthorization } from "./oauth-client.ts";

export async function startRfc8628Device(
  { provider, spec, endpoints }: DeviceContext,
): Promise<DeviceAuthorization> {
  const context = oauthContext(spec, endpoints);
  const device = await startDeviceAuthorization(spec, context).catch((error) => {
    throw new LoginError(
      provider,
      "device",
      `cannot start the device login: ${describeOAuthError(provider, error).message}`,
    );
  });
  return {
    userCode: device.userCode,
    verificationUri: device.verificationUri,
    openUri: device.verificationUriComplete ?? device.verificationUri,
    expiresIn: device.expiresIn,
    interval: device.interval,
    async poll() {
      const answer = await pollDeviceToken(context, device);
      if ("tokens" in answer) return answer;
      switch (answer.error) {
        case "authorization_pending":
          return "pending";
        case "slow_down":
          return "slow_down";
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
    },
    timedOut: () =>
      new LoginError(provider, "timeout", "the code was not approved in time; run the login again"),
  };
}
