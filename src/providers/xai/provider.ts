/**
 * @module
 * xAI Grok: xAI's RFC 8628 device login (`auth.x.ai`) with the public OAuth
 * client of xAI's Grok CLI, and xAI's OpenAI-compatible API (`api.x.ai/v1`:
 * Chat Completions and the model list) with the login's token as a Bearer
 * credential.
 *
 * Sources: CLIProxyAPI `internal/auth/xai/` (client id, scopes, issuer, the
 * device and token endpoints its OIDC discovery resolves, refresh with the
 * client id alone, rotating refresh tokens, a five-minute refresh lead);
 * `earendil-works/pi` #6460 (subscription tokens served by
 * `https://api.x.ai/v1`'s OpenAI-compatible completions). The endpoints are
 * fixed here rather than discovered at each login, like every other
 * provider's; `providers.xai.device-url` and `token-url` move them.
 */
import type { IdentifyContext, Identity, TokenSet } from "../../oauth/login-spec.ts";
import { jwtClaims } from "../../oauth/jwt-claims.ts";
import { bearerChatUpstream } from "../../upstreams/bearer-chat.ts";
import type { ProviderDescriptor } from "../provider.ts";

const BASE_URL = "https://api.x.ai/v1";

/** The id_token names the account (email, else subject); the access token is a JWT too. */
function identifyXaiAccount(tokens: TokenSet, context: IdentifyContext): Promise<Identity> {
  const claims = context.idTokenClaims ?? jwtClaims(tokens.access_token) ?? {};
  const email = typeof claims.email === "string" && claims.email ? claims.email : undefined;
  const subject = typeof claims.sub === "string" && claims.sub ? claims.sub : undefined;
  const account = email ?? subject;
  if (!account) throw new Error("xAI did not say which account logged in");
  return Promise.resolve({ account, fields: { email, sub: subject } });
}

export const xai: ProviderDescriptor<"xai"> = {
  id: "xai",
  title: "xAI Grok",
  fileTypes: ["xai", "grok"],
  ownedBy: "xai",
  models: ["grok-4.5", "grok-4", "grok-code-fast-1"],
  family: /^grok-/i,
  baseUrl: BASE_URL,
  login: {
    // Grok CLI's public client; xAI publishes no other for device logins.
    clientId: "b1a00492-073a-47ea-816f-4c329264a828",
    issuer: "https://auth.x.ai",
    tokenUrl: "https://auth.x.ai/oauth2/token",
    deviceUrl: "https://auth.x.ai/oauth2/device/code",
    scopes: ["openid", "profile", "email", "offline_access", "grok-cli:access", "api:access"],
    device: {},
    defaultFlow: "device",
    refreshLeadSeconds: 5 * 60,
    refreshable: true,
    termsNote: "xAI lets SuperGrok subscribers use Grok from tools it names (OpenCode, Hermes, " +
      "OpenClaw) through this shared public login, but has published no general permission " +
      "for other tools, and its Acceptable Use Policy forbids access by unauthorized automated " +
      "means; check your plan's terms first. subgate logs in with Grok CLI's public client id " +
      "(as those tools do) and calls xAI's public API, api.x.ai, with the token. It does not " +
      "pose as Grok CLI, so a plan xAI serves only through Grok CLI's own endpoint gets xAI's " +
      "refusal.",
    identify: identifyXaiAccount,
  },
  upstream: (account, override) => bearerChatUpstream(account, override?.baseUrl ?? BASE_URL),
};
