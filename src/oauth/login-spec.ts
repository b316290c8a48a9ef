/**
 * @module
 * How a provider logs in, as data: endpoints, client id, scopes, redirect,
 * extra parameters and the quirks of its token endpoint. Each provider's
 * folder holds one `LoginSpec`; `auth/login.ts` runs any of them and
 * `auth/refresh/` refreshes their tokens.
 */

/** What the token endpoint answered, as oauth4webapi hands it over. */
export type TokenSet = Record<string, unknown> & {
  access_token: string;
  refresh_token?: string;
  expires_in?: number;
  id_token?: string;
};

/** Tokens from the token endpoint, with the id_token's claims once oauth4webapi checked them. */
export interface ExchangeResult {
  tokens: TokenSet;
  idTokenClaims?: Record<string, unknown>;
}

/** Who logged in, and what else goes into the account file. */
export interface Identity {
  /** Email or stable account id: names the file `<provider>-<account>.json`. */
  account: string;
  /** Provider-specific fields stored with the tokens (CLIProxyAPI's names). */
  fields: Record<string, unknown>;
}

export interface IdentifyContext {
  endpoints: Endpoints;
  /** The validated id_token claims, when the provider sent one. */
  idTokenClaims?: Record<string, unknown>;
  /** Progress lines for a person waiting (project discovery, …). */
  say(line: string): void;
  fetch: typeof fetch;
}

/** What a device protocol is started with. */
export interface DeviceContext {
  provider: string;
  spec: LoginSpec;
  endpoints: Endpoints;
}

/** One answer of the token endpoint while the person has not approved yet. */
export type DeviceWait = "pending" | "slow_down";

/**
 * A started device login: the code the person enters and where, and how to ask whether they
 * approved. The login engine shows the code, opens the browser and waits; a refusal (denied,
 * expired) is thrown by `poll` as a `LoginError`.
 */
export interface DeviceAuthorization {
  userCode: string;
  /** Shown with the code. */
  verificationUri: string;
  /** Opened in the browser (with the code filled in, where the provider offers that). */
  openUri: string;
  /** Seconds the code lives. */
  expiresIn: number;
  /** Seconds between polls. */
  interval: number;
  poll(): Promise<ExchangeResult | DeviceWait>;
  /** The error when the wait ends before the person approved. */
  timedOut(): Error;
}

/** A device-code login: RFC 8628 unless the provider brings its own protocol. */
export interface DeviceFlow {
  /** RFC 8628 with a PKCE code challenge (Qwen). */
  pkce?: boolean;
  /**
   * The provider's own device protocol instead of RFC 8628 (Codex's ends in an authorization
   * code): starts it and hands back the code to show and how to poll.
   */
  start?(context: DeviceContext): Promise<DeviceAuthorization>;
}

export interface LoginSpec {
  clientId: string;
  /** Installed-app secrets are public by design (Google's). */
  clientSecret?: string;
  /** Expected `iss` of id_tokens; defaults to the token endpoint's origin. */
  issuer?: string;
  authorizeUrl?: string;
  tokenUrl: string;
  deviceUrl?: string;
  scopes: string[];
  /** Loopback callback (browser flow). */
  callback?: { host: "localhost" | "127.0.0.1"; port: number; path: string };
  /** Where the provider shows `code#state` for the user to paste (`--no-browser`). */
  manualRedirectUrl?: string;
  /** Extra authorization-request parameters. */
  authorizeParams?: Record<string, string>;
  /** Extra refresh-request parameters. */
  refreshParams?: Record<string, string>;
  /** Anthropic's token endpoint takes JSON bodies; everyone else's takes forms. */
  tokenEncoding?: "form" | "json";
  /** Anthropic wants the authorization `state` in the code exchange too. */
  sendStateOnExchange?: boolean;
  /** GitHub answers device-flow errors with status 200. */
  errorsWithStatus200?: boolean;
  device?: DeviceFlow;
  /** Which flow `login` runs without flags. */
  defaultFlow: "browser" | "device";
  /** Refresh this long before expiry, unless the config says otherwise. */
  refreshLeadSeconds: number;
  /** Tokens without a refresh token never expire (GitHub's); nothing to refresh. */
  refreshable: boolean;
  /**
   * Error codes besides `invalid_grant` with which the token endpoint refuses a refresh token
   * for good (Codex: `refresh_token_reused`, …): the account then needs a new login.
   */
  deadRefreshCodes?: readonly string[];
  /** One paragraph on what the vendor's terms say about use outside its own tools. */
  termsNote: string;
  identify(tokens: TokenSet, context: IdentifyContext): Promise<Identity>;
}

/**
 * What the config may change of a login (`providers.<name>`): config's own override type has
 * these fields and more, and is passed as it is.
 */
export interface EndpointOverrides {
  baseUrl?: string;
  apiUrl?: string;
  authorizeUrl?: string;
  tokenUrl?: string;
  deviceUrl?: string;
  manualRedirectUrl?: string;
  issuer?: string;
  clientId?: string;
  /** Seconds before expiry to refresh tokens. */
  refreshLead?: number;
  /** Extra headers on every request to the login's endpoints. */
  headers?: Record<string, string>;
}

/** The endpoints in force: the spec's, with `providers.<name>` overrides applied. */
export interface Endpoints {
  clientId: string;
  clientSecret?: string;
  issuer: string;
  authorizeUrl?: string;
  tokenUrl: string;
  deviceUrl?: string;
  manualRedirectUrl?: string;
  baseUrl?: string;
  apiUrl?: string;
  headers: Record<string, string>;
  refreshLeadSeconds: number;
}

export function resolveEndpoints(
  spec: LoginSpec,
  defaults: { baseUrl?: string; apiUrl?: string },
  override: EndpointOverrides | undefined,
): Endpoints {
  const tokenUrl = override?.tokenUrl ?? spec.tokenUrl;
  return {
    clientId: override?.clientId ?? spec.clientId,
    clientSecret: spec.clientSecret,
    issuer: override?.issuer ?? spec.issuer ?? new URL(tokenUrl).origin,
    authorizeUrl: override?.authorizeUrl ?? spec.authorizeUrl,
    tokenUrl,
    deviceUrl: override?.deviceUrl ?? spec.deviceUrl,
    manualRedirectUrl: override?.manualRedirectUrl ?? spec.manualRedirectUrl,
    baseUrl: override?.baseUrl ?? defaults.baseUrl,
    apiUrl: override?.apiUrl ?? defaults.apiUrl,
    headers: override?.headers ?? {},
    refreshLeadSeconds: override?.refreshLead ?? spec.refreshLeadSeconds,
  };
}
