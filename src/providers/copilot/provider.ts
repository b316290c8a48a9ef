/**
 * @module
 * GitHub Copilot: GitHub's device login for the Copilot editor plugins' app,
 * the plugins' login file, and Copilot's APIs through a Copilot token.
 */
import type { IdentifyContext, Identity, TokenSet } from "../../oauth/login-spec.ts";
import { VERSION } from "../../version.ts";
import type { ProviderDescriptor } from "../provider.ts";
import { copilotUpstream } from "./upstream.ts";
import { copilotPluginFile } from "./vendor-file.ts";
import { copilotQuota } from "./quota.ts";

const API_URL = "https://api.github.com";

/**
 * The GitHub login names the account; the Copilot token exchange proves the
 * account has Copilot before the login is saved.
 */
async function identifyCopilotAccount(
  tokens: TokenSet,
  context: IdentifyContext,
): Promise<Identity> {
  const headers = {
    authorization: `token ${tokens.access_token}`,
    accept: "application/json",
    "user-agent": `subgate/${VERSION}`,
  };
  const user = await context.fetch(`${context.endpoints.apiUrl}/user`, { headers });
  if (!user.ok) {
    await user.body?.cancel();
    throw new Error(`GitHub's user endpoint answered HTTP ${user.status}`);
  }
  const profile = await user.json() as Record<string, unknown>;
  const exchange = await context.fetch(`${context.endpoints.apiUrl}/copilot_internal/v2/token`, {
    headers,
  });
  await exchange.body?.cancel();
  if (exchange.status === 401 || exchange.status === 403 || exchange.status === 404) {
    throw new Error(`GitHub account ${profile.login} has no active Copilot subscription`);
  }
  if (!exchange.ok) throw new Error(`the Copilot token exchange answered HTTP ${exchange.status}`);
  return {
    account: String(profile.login),
    fields: { login: profile.login, email: profile.email ?? undefined },
  };
}

export const copilot: ProviderDescriptor<"copilot"> = {
  id: "copilot",
  title: "GitHub Copilot",
  fileTypes: ["copilot", "github-copilot"],
  ownedBy: "github-copilot",
  models: ["gpt-4.1", "gpt-5-mini", "claude-sonnet-4.5", "gemini-2.5-pro"],
  aggregates: true,
  baseUrl: "https://api.githubcopilot.com",
  apiUrl: API_URL,
  login: {
    // The Copilot editor plugins' GitHub app, which Copilot's token exchange accepts.
    clientId: "Iv1.b507a08c87ecfe98",
    tokenUrl: "https://github.com/login/oauth/access_token",
    deviceUrl: "https://github.com/login/device/code",
    scopes: ["read:user"],
    errorsWithStatus200: true,
    device: {},
    defaultFlow: "device",
    refreshLeadSeconds: 0,
    // GitHub tokens from this flow last until revoked.
    refreshable: false,
    termsNote: "GitHub allows Copilot in supported editors and in some third-party tools, but " +
      "warns that excessive automated or scripted use can trigger abuse detection and suspend " +
      "Copilot access. subgate forwards each request as your client made it; keep use to what " +
      "you would do by hand.",
    identify: identifyCopilotAccount,
  },
  vendorFile: copilotPluginFile,
  quota: copilotQuota,
  // Copilot's token exchange names the API host; `base-url` replaces it (tests, proxies).
  upstream: (account, override) =>
    copilotUpstream(account, override?.apiUrl ?? API_URL, override?.baseUrl),
};
