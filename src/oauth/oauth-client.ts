/**
 * @module
 * Every OAuth step on oauth4webapi: PKCE authorization URLs, the code
 * exchange, refresh and the RFC 8628 device flow. Provider quirks (JSON token
 * bodies, errors sent with status 200) are adapted in `customFetch` so the
 * protocol handling stays oauth4webapi's.
 */
import * as oauth from "oauth4webapi";
import type { Endpoints, ExchangeResult, LoginSpec, TokenSet } from "./login-spec.ts";

export interface OAuthContext {
  as: oauth.AuthorizationServer;
  client: oauth.Client;
  auth: oauth.ClientAuth;
  options: oauth.HttpRequestOptions<"POST" | "GET", URLSearchParams>;
}

/** Re-encodes the form body oauth4webapi builds as JSON, for Anthropic's token endpoint. */
function asJsonRequest(init: RequestInit): RequestInit {
  const form = new URLSearchParams(
    init.body instanceof URLSearchParams ? init.body : String(init.body),
  );
  const headers = new Headers(init.headers);
  headers.set("content-type", "application/json");
  return { ...init, headers, body: JSON.stringify(Object.fromEntries(form)) };
}

/** GitHub answers `{"error":"authorization_pending"}` with 200; give it the status RFC 8628 expects. */
async function withErrorStatus(response: Response): Promise<Response> {
  if (response.status !== 200) return response;
  const text = await response.text();
  let body: unknown;
  try {
    body = JSON.parse(text);
  } catch {
    body = undefined;
  }
  const isError = body && typeof body === "object" && "error" in body && !("access_token" in body);
  return new Response(text, { status: isError ? 400 : 200, headers: response.headers });
}

/** `signal`, when given, ends every request of this context (a refresh's deadline). */
export function oauthContext(
  spec: LoginSpec,
  endpoints: Endpoints,
  signal?: AbortSignal,
): OAuthContext {
  const as: oauth.AuthorizationServer = {
    issuer: endpoints.issuer,
    authorization_endpoint: endpoints.authorizeUrl,
    token_endpoint: endpoints.tokenUrl,
    device_authorization_endpoint: endpoints.deviceUrl,
  };
  const client: oauth.Client = { client_id: endpoints.clientId };
  const auth = endpoints.clientSecret
    ? oauth.ClientSecretPost(endpoints.clientSecret)
    : oauth.None();
  const insecure = [endpoints.tokenUrl, endpoints.deviceUrl].some((url) =>
    url?.startsWith("http://")
  );
  const options: OAuthContext["options"] = {
    // Plain http is only ever configured for loopback test servers.
    [oauth.allowInsecureRequests]: insecure,
    headers: new Headers(endpoints.headers),
    signal,
    async [oauth.customFetch](url: string, init: RequestInit) {
      const isToken = url === endpoints.tokenUrl;
      const request = isToken && spec.tokenEncoding === "json" ? asJsonRequest(init) : init;
      const response = await fetch(url, request);
      return spec.errorsWithStatus200 ? await withErrorStatus(response) : response;
    },
  };
  return { as, client, auth, options };
}

export interface AuthorizationStart {
  url: URL;
  state: string;
  verifier: string;
}

export async function startAuthorization(
  spec: LoginSpec,
  endpoints: Endpoints,
  redirectUri: string,
): Promise<AuthorizationStart> {
  if (!endpoints.authorizeUrl) throw new Error("this provider has no browser login");
  const verifier = oauth.generateRandomCodeVerifier();
  const state = oauth.generateRandomState();
  const url = new URL(endpoints.authorizeUrl);
  for (const [key, value] of Object.entries(spec.authorizeParams ?? {})) {
    url.searchParams.set(key, value);
  }
  url.searchParams.set("response_type", "code");
  url.searchParams.set("client_id", endpoints.clientId);
  url.searchParams.set("redirect_uri", redirectUri);
  url.searchParams.set("scope", spec.scopes.join(" "));
  url.searchParams.set("code_challenge", await oauth.calculatePKCECodeChallenge(verifier));
  url.searchParams.set("code_challenge_method", "S256");
  url.searchParams.set("state", state);
  return { url, state, verifier };
}

function toTokenSet(result: oauth.TokenEndpointResponse): ExchangeResult {
  const claims = oauth.getValidatedIdTokenClaims(result);
  return {
    tokens: result as unknown as TokenSet,
    idTokenClaims: claims ? { ...claims } : undefined,
  };
}

/**
 * Exchanges an authorization code. `callbackParameters` are the redirect's
 * query (code and state); `state` is checked by oauth4webapi.
 */
export async function exchangeCode(
  spec: LoginSpec,
  context: OAuthContext,
  callbackParameters: URLSearchParams,
  expectedState: string | typeof oauth.skipStateCheck,
  redirectUri: string,
  verifier: string,
): Promise<ExchangeResult> {
  const parameters = oauth.validateAuthResponse(
    context.as,
    context.client,
    callbackParameters,
    expectedState,
  );
  const state = callbackParameters.get("state");
  const response = await oauth.authorizationCodeGrantRequest(
    context.as,
    context.client,
    context.auth,
    parameters,
    redirectUri,
    verifier,
    {
      ...context.options,
      additionalParameters: spec.sendStateOnExchange && state ? { state } : undefined,
    },
  );
  return toTokenSet(
    await oauth.processAuthorizationCodeResponse(context.as, context.client, response, {
      expectedNonce: oauth.expectNoNonce,
      requireIdToken: false,
    }),
  );
}

/** The tokens a token answer carries, read as sent, before any check. */
export type RawTokens = Partial<TokenSet>;

/** A successful token answer's tokens, or undefined when it carries none (or is an error). */
async function rawTokens(response: Response): Promise<RawTokens | undefined> {
  if (!response.ok) return undefined;
  let body: unknown;
  try {
    body = await response.clone().json();
  } catch {
    return undefined;
  }
  if (!body || typeof body !== "object") return undefined;
  const raw = body as Record<string, unknown>;
  const text = (key: string) => typeof raw[key] === "string" && raw[key] ? raw[key] : undefined;
  if (!text("refresh_token") && !text("access_token")) return undefined;
  return {
    ...raw,
    access_token: text("access_token") as string,
    refresh_token: text("refresh_token") as string | undefined,
    id_token: text("id_token") as string | undefined,
    expires_in: typeof raw.expires_in === "number" ? raw.expires_in : undefined,
  };
}

/**
 * Refreshes the tokens. `keep` receives the answer's tokens before oauth4webapi checks them: the
 * token server has rotated the refresh token by then, so it must be kept even when the answer
 * then fails a check (a wrong id_token issuer, a missing token_type).
 */
export async function refreshTokens(
  spec: LoginSpec,
  context: OAuthContext,
  refreshToken: string,
  keep: (raw: RawTokens) => Promise<void>,
): Promise<ExchangeResult> {
  const response = await oauth.refreshTokenGrantRequest(
    context.as,
    context.client,
    context.auth,
    refreshToken,
    { ...context.options, additionalParameters: spec.refreshParams },
  );
  const raw = await rawTokens(response);
  if (raw) await keep(raw);
  return toTokenSet(await oauth.processRefreshTokenResponse(context.as, context.client, response));
}

export interface DeviceStart {
  deviceCode: string;
  userCode: string;
  verificationUri: string;
  verificationUriComplete?: string;
  expiresIn: number;
  interval: number;
  verifier?: string;
}

export async function startDeviceAuthorization(
  spec: LoginSpec,
  context: OAuthContext,
): Promise<DeviceStart> {
  const parameters: Record<string, string> = spec.scopes.length
    ? { scope: spec.scopes.join(" ") }
    : {};
  let verifier: string | undefined;
  if (spec.device?.pkce) {
    verifier = oauth.generateRandomCodeVerifier();
    parameters.code_challenge = await oauth.calculatePKCECodeChallenge(verifier);
    parameters.code_challenge_method = "S256";
  }
  const response = await oauth.deviceAuthorizationRequest(
    context.as,
    context.client,
    context.auth,
    parameters,
    context.options,
  );
  const result = await oauth.processDeviceAuthorizationResponse(
    context.as,
    context.client,
    response,
  );
  return {
    deviceCode: result.device_code,
    userCode: result.user_code,
    verificationUri: result.verification_uri,
    verificationUriComplete: result.verification_uri_complete,
    expiresIn: result.expires_in,
    interval: result.interval ?? 5,
    verifier,
  };
}

/** One poll of the token endpoint: tokens, or the RFC 8628 error code. */
export async function pollDeviceToken(
  context: OAuthContext,
  device: DeviceStart,
): Promise<ExchangeResult | { error: string; description?: string }> {
  const response = await oauth.deviceCodeGrantRequest(
    context.as,
    context.client,
    context.auth,
    device.deviceCode,
    {
      ...context.options,
      additionalParameters: device.verifier ? { code_verifier: device.verifier } : undefined,
    },
  );
  try {
    return toTokenSet(await oauth.processDeviceCodeResponse(context.as, context.client, response));
  } catch (error) {
    if (error instanceof oauth.ResponseBodyError) {
      return { error: error.error, description: error.error_description };
    }
    throw error;
  }
}

export { oauth };
