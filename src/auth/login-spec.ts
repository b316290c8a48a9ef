/**
 * @module
 * How a provider logs in, as data: endpoints, client id, scopes, redirect,
 * extra parameters and the quirks of its token endpoint. Each provider's
 * folder holds one `LoginSpec`; `login.ts` runs any of them.
 */
import type { ProviderOverride } from "../config/config-types.ts";

/** What the token endpoint answered, as oauth4webapi hands it over. */
export type TokenSet = Record<string, unknown> & {
  access_token: string;
  refresh_token?: string;
  expires_in?: number;
  id_token?: string;
};

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

export type DeviceFlow =
  /** RFC 8628; `pkce` adds a code challenge (Qwen). */
  | { kind: "rfc8628"; pkce?: boolean }
  /** Codex's own device endpoints, ending in an authorization code. */
  | { kind: "codex"; verificationUrl: string; codeRedirectUrl: string };

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
  /** One paragraph on what the vendor's terms say about use outside its own tools. */
  termsNote: string;
  identify(tokens: TokenSet, context: IdentifyContext): Promise<Identity>;
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
  override: ProviderOverride | undefined,
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
