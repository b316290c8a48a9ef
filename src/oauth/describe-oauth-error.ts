/**
 * @module
 * An OAuth failure as a `LoginError` a person can act on: the token
 * endpoint's refusal and the authorization server's answer named, anything
 * else by its message.
 */
import { LoginError } from "./login-error.ts";
import { oauth } from "./oauth-client.ts";

export function describeOAuthError(provider: string, error: unknown): LoginError {
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
