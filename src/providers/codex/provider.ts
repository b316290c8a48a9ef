/**
 * @module
 * ChatGPT plans through Codex's login: OpenAI's OAuth login (and its own
 * device protocol), Codex CLI's login file, and the ChatGPT backend's
 * Responses endpoint.
 */
import type { IdentifyContext, Identity, TokenSet } from "../../oauth/login-spec.ts";
import { jwtClaims } from "../../oauth/jwt-claims.ts";
import type { ProviderDescriptor } from "../provider.ts";
import { codexDeviceLogin } from "./device-login.ts";
import { codexBackendUpstream } from "./upstream.ts";
import { codexCliFile } from "./vendor-file.ts";
import { codexQuota } from "./quota.ts";

const BASE_URL = "https://chatgpt.com/backend-api/codex";

const AUTH_CLAIM = "https://api.openai.com/auth";
const PROFILE_CLAIM = "https://api.openai.com/profile";

/** The ChatGPT account id and plan live in the id_token under OpenAI's claim namespace. */
function identifyCodexAccount(tokens: TokenSet, context: IdentifyContext): Promise<Identity> {
  const claims = context.idTokenClaims ?? jwtClaims(tokens.id_token) ?? {};
  const auth = (claims[AUTH_CLAIM] ?? {}) as Record<string, unknown>;
  const profile = (claims[PROFILE_CLAIM] ?? {}) as Record<string, unknown>;
  const email = (claims.email ?? profile.email) as string | undefined;
  const accountId = auth.chatgpt_account_id as string | undefined;
  if (!accountId) {
    return Promise.reject(new Error("the id_token carries no ChatGPT account id"));
  }
  return Promise.resolve({
    account: email ?? accountId,
    fields: { email, account_id: accountId, plan_type: auth.chatgpt_plan_type },
  });
}

export const codex: ProviderDescriptor<"codex"> = {
  id: "codex",
  title: "ChatGPT (Codex)",
  fileTypes: ["codex", "openai"],
  ownedBy: "openai",
  models: ["gpt-5.5", "gpt-5.4", "gpt-5.4-mini", "gpt-5.3-codex", "gpt-5.2-codex"],
  family: /^(gpt-|o\d|codex-|chatgpt-|computer-use-)/i,
  baseUrl: BASE_URL,
  login: {
    clientId: "app_EMoamEEZ73f0CkXaXp7hrann",
    issuer: "https://auth.openai.com",
    authorizeUrl: "https://auth.openai.com/oauth/authorize",
    tokenUrl: "https://auth.openai.com/oauth/token",
    deviceUrl: "https://auth.openai.com/api/accounts/deviceauth/usercode",
    scopes: ["openid", "profile", "email", "offline_access"],
    callback: { host: "localhost", port: 1455, path: "/auth/callback" },
    authorizeParams: { id_token_add_organizations: "true", codex_cli_simplified_flow: "true" },
    refreshParams: { scope: "openid profile email" },
    device: {
      start: codexDeviceLogin({
        verificationUrl: "https://auth.openai.com/codex/device",
        codeRedirectUrl: "https://auth.openai.com/deviceauth/callback",
      }),
    },
    defaultFlow: "browser",
    // Access tokens last about ten days; each refresh token works once.
    refreshLeadSeconds: 5 * 86400,
    refreshable: true,
    // A spent or revoked refresh token comes back with these codes instead of invalid_grant.
    deadRefreshCodes: [
      "refresh_token_reused",
      "refresh_token_expired",
      "refresh_token_invalidated",
    ],
    termsNote: "OpenAI's stance on ChatGPT-plan logins outside its own Codex apps is mixed: its " +
      "Codex for Open Source page names third-party tools such as OpenCode and Cline, while the " +
      "plan's terms are written for OpenAI's apps and OpenAI may limit accounts it sees misused. " +
      "subgate forwards each request as your client made it and does not pose as the Codex CLI.",
    identify: identifyCodexAccount,
  },
  vendorFile: codexCliFile,
  quota: codexQuota,
  upstream: (account, override) => codexBackendUpstream(account, override?.baseUrl ?? BASE_URL),
};
