/**
 * @module
 * The end every login flow shares: the provider names the account, and the
 * account file is written (keeping what a person set by hand in an earlier
 * file of the same account). The running server picks the file up itself.
 */
import { describeOAuthError } from "../oauth/describe-oauth-error.ts";
import { LoginError } from "../oauth/login-error.ts";
import type { TokenSet } from "../oauth/login-spec.ts";
import { type AuthorizationStart, exchangeCode, oauthContext } from "../oauth/oauth-client.ts";
import { accountFileName, buildAccountRecord } from "./account-file.ts";
import type { LoginOptions, LoginResult } from "./login-options.ts";
import { fileStorage, previousRecord } from "./refresh/token-storage.ts";

/** Identifies the account the tokens belong to and writes its file. */
export async function saveLogin(
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
  const previous = await previousRecord(options.backend, options.authDir, file);
  const record = buildAccountRecord(provider, tokens, identity, Date.now(), previous);
  try {
    await (options.backend ?? fileStorage(options.authDir)).save(file, record);
  } catch (error) {
    throw new LoginError(provider, "save", `cannot write ${file}: ${(error as Error).message}`);
  }
  return { account: identity.account, file, expired: record.expired as string | undefined };
}

/** The code exchange (state checked again by oauth4webapi), then the account file. */
export async function exchangeAndSave(
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
    throw describeOAuthError(options.provider, error);
  });
  return await saveLogin(options, exchanged.tokens, exchanged.idTokenClaims);
}
