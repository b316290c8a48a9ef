/**
 * @module
 * Claude through a Pro/Max login: Anthropic's OAuth login, Claude Code's
 * login file, and the Messages API with the login's token.
 */
import type { ProviderDescriptor } from "../provider.ts";
import { identifyClaudeAccount } from "./identify.ts";
import { claudeOAuthUpstream } from "./upstream.ts";
import { claudeCodeFile } from "./vendor-file.ts";
import { claudeQuota } from "./quota.ts";

const BASE_URL = "https://api.anthropic.com";

const SCOPES = [
  "user:profile",
  "user:inference",
  "user:sessions:claude_code",
  "user:mcp_servers",
  "user:file_upload",
];

export const claude: ProviderDescriptor<"claude"> = {
  id: "claude",
  title: "Claude (Pro/Max)",
  fileTypes: ["claude", "anthropic"],
  ownedBy: "anthropic",
  models: [
    "claude-opus-4-6",
    "claude-sonnet-4-6",
    "claude-opus-4-5-20251101",
    "claude-sonnet-4-5-20250929",
    "claude-haiku-4-5-20251001",
  ],
  family: /^claude-/i,
  baseUrl: BASE_URL,
  login: {
    clientId: "9d1c250a-e61b-44d9-88ed-5944d1962f5e",
    authorizeUrl: "https://claude.ai/oauth/authorize",
    tokenUrl: "https://platform.claude.com/v1/oauth/token",
    scopes: SCOPES,
    callback: { host: "localhost", port: 54545, path: "/callback" },
    manualRedirectUrl: "https://platform.claude.com/oauth/code/callback",
    authorizeParams: { code: "true" },
    refreshParams: { scope: SCOPES.join(" ") },
    tokenEncoding: "json",
    sendStateOnExchange: true,
    defaultFlow: "browser",
    // Access tokens live 8 hours and each refresh token works once.
    refreshLeadSeconds: 4 * 3600,
    refreshable: true,
    termsNote: "Anthropic's terms (updated February 2026) say OAuth tokens from Claude Free, Pro " +
      "and Max are meant only for Claude Code and Claude.ai; using them in any other product, " +
      "tool or service, the Agent SDK included, is not permitted, and since January 2026 " +
      'Anthropic refuses such tokens from other tools ("This credential is only authorized for ' +
      'use with Claude Code"). subgate forwards each request as your client made it and never ' +
      "dresses another client up as Claude Code: from Claude Code itself this is the same " +
      "traffic; from other clients expect refusals, and any risk to the account is yours. For " +
      "other clients an Anthropic API key (claude-api-key) is the supported way.",
    identify: identifyClaudeAccount,
  },
  vendorFile: claudeCodeFile,
  quota: claudeQuota,
  upstream: (account, override) => claudeOAuthUpstream(account, override?.baseUrl ?? BASE_URL),
};
