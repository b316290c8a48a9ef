/**
 * @module
 * Kimi Code: Moonshot's RFC 8628 device login, and its Chat Completions API
 * with the login's token.
 */
import type { IdentifyContext, Identity, TokenSet } from "../../oauth/login-spec.ts";
import { jwtClaims } from "../../oauth/jwt-claims.ts";
import { bearerChatUpstream } from "../../upstreams/bearer-chat.ts";
import type { ProviderDescriptor } from "../provider.ts";
import { kimiQuota } from "./quota.ts";

const BASE_URL = "https://api.kimi.com/coding/v1";

/** Kimi's token response names no user; its access token (a JWT) does. */
function identifyKimiAccount(tokens: TokenSet, context: IdentifyContext): Promise<Identity> {
  const claims = context.idTokenClaims ?? jwtClaims(tokens.access_token) ?? {};
  const id = (claims.email ?? claims.user_id ?? claims.sub) as string | undefined;
  return Promise.resolve({
    account: id ?? `${Date.now()}`,
    fields: { email: claims.email, user_id: claims.user_id ?? claims.sub, scope: tokens.scope },
  });
}

export const kimi: ProviderDescriptor<"kimi"> = {
  id: "kimi",
  title: "Kimi Code",
  fileTypes: ["kimi"],
  ownedBy: "moonshot",
  models: ["kimi-k2.6", "kimi-k2.5", "kimi-k2-thinking", "kimi-k2"],
  family: /^kimi-/i,
  baseUrl: BASE_URL,
  login: {
    clientId: "17e5f671-d194-4dfb-9706-5516cb48c098",
    tokenUrl: "https://auth.kimi.com/api/oauth/token",
    deviceUrl: "https://auth.kimi.com/api/oauth/device_authorization",
    scopes: [],
    device: {},
    defaultFlow: "device",
    refreshLeadSeconds: 5 * 60,
    refreshable: true,
    termsNote: "Kimi Code's subscription is sold for Moonshot's own coding tools and the clients " +
      "it lists; check its current terms before using it from other tools. subgate forwards each " +
      "request as your client made it and does not pose as Kimi's CLI.",
    identify: identifyKimiAccount,
  },
  quota: kimiQuota,
  upstream: (account, override) => bearerChatUpstream(account, override?.baseUrl ?? BASE_URL),
};
