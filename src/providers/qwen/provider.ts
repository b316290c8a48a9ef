/**
 * @module
 * Qwen Code: Qwen's RFC 8628 device login (with PKCE), Qwen Code's login
 * file, and its Chat Completions API on the account's own host.
 */
import type { IdentifyContext, Identity, TokenSet } from "../../oauth/login-spec.ts";
import { jwtClaims } from "../../oauth/jwt-claims.ts";
import type { ProviderDescriptor } from "../provider.ts";
import { readGoogleStyle, writeGoogleStyle } from "../vendor-file.ts";
import { qwenUpstream } from "./upstream.ts";

const BASE_URL = "https://dashscope.aliyuncs.com/compatible-mode/v1";

/** Qwen may send an id_token; otherwise the access token's subject names the account. */
function identifyQwenAccount(tokens: TokenSet, context: IdentifyContext): Promise<Identity> {
  const claims = context.idTokenClaims ?? jwtClaims(tokens.access_token) ?? {};
  const id = (claims.email ?? claims.sub) as string | undefined;
  return Promise.resolve({
    account: id ?? `${Date.now()}`,
    fields: { email: claims.email, resource_url: tokens.resource_url },
  });
}

export const qwen: ProviderDescriptor<"qwen"> = {
  id: "qwen",
  title: "Qwen Code",
  fileTypes: ["qwen"],
  ownedBy: "qwen",
  models: ["qwen3-coder-plus", "qwen3-coder-flash"],
  family: /^(qwen|qwq-)/i,
  baseUrl: BASE_URL,
  login: {
    clientId: "f0304373b74a44d2b584a3fb70ca9e56",
    tokenUrl: "https://chat.qwen.ai/api/v1/oauth2/token",
    deviceUrl: "https://chat.qwen.ai/api/v1/oauth2/device/code",
    scopes: ["openid", "profile", "email", "model.completion"],
    device: { pkce: true },
    defaultFlow: "device",
    refreshLeadSeconds: 20 * 60,
    refreshable: true,
    termsNote: "Qwen's free OAuth tier ended on 15 April 2026 (QwenLM/qwen-code #3203): Qwen " +
      "Code no longer offers this login, and free-tier tokens are refused with HTTP 401 " +
      '"invalid access token or token expired". This login still completes and refreshes, ' +
      "for any account Qwen still serves through it. What still works for Qwen models is an " +
      "API key: Alibaba Cloud Model Studio (its Coding Plan included), OpenRouter or Fireworks, " +
      "as an openai-compatibility entry in config.yaml. subgate does not pose as Qwen Code.",
    identify: identifyQwenAccount,
  },
  vendorFile: {
    tool: "qwen-code",
    title: "Qwen Code",
    paths: [".qwen/oauth_creds.json"],
    singleUseRefresh: false,
    read: readGoogleStyle,
    write: writeGoogleStyle,
  },
  upstream: (account, override) => qwenUpstream(account, override?.baseUrl, BASE_URL),
};
