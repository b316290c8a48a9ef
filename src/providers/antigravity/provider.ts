/**
 * @module
 * Antigravity: Google's login for the Antigravity IDE and CLI (Google OAuth
 * with PKCE, a loopback callback), its Code Assist project, and its API:
 * Gemini, Claude and GPT-OSS models on a Google account, in Code Assist's
 * envelope (`upstream.ts`), with its model list and per-family quota from
 * `fetchAvailableModels` (`quota.ts`).
 *
 * Sources: CLIProxyAPI `internal/auth/antigravity/` (client, scopes,
 * callback, project discovery), its Antigravity executor (endpoints,
 * envelope), and the public reports named in `client.ts` and `upstream.ts`.
 */
import type { ProviderDescriptor } from "../provider.ts";
import { identifyAntigravityAccount } from "./identify.ts";
import { antigravityQuota } from "./quota.ts";
import { antigravityUpstream } from "./upstream.ts";

/** The daily track of Code Assist, which CLIProxyAPI sends consumer Antigravity logins to. */
const BASE_URL = "https://daily-cloudcode-pa.googleapis.com/v1internal";

export const antigravity: ProviderDescriptor<"antigravity"> = {
  id: "antigravity",
  title: "Antigravity",
  fileTypes: ["antigravity"],
  ownedBy: "antigravity",
  models: [
    "gemini-3.1-pro-high",
    "gemini-3.1-pro-low",
    "gemini-3-flash",
    "claude-sonnet-4-6",
    "claude-opus-4-6-thinking",
    "gpt-oss-120b-medium",
  ],
  // Serves Google's, Anthropic's and OpenAI's models: a name no list knows yet is tried here
  // after the accounts of the vendor that owns it.
  aggregates: true,
  baseUrl: BASE_URL,
  apiUrl: "https://www.googleapis.com/oauth2/v2/userinfo",
  login: {
    // Antigravity's installed-app client, the one its service serves Antigravity's quota to;
    // the secret is public by design and Google's token endpoint requires it.
    clientId: "1071006060591-tmhssin2h21lcre235vtolojh4g403ep.apps.googleusercontent.com",
    clientSecret: "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",
    issuer: "https://accounts.google.com",
    authorizeUrl: "https://accounts.google.com/o/oauth2/v2/auth",
    tokenUrl: "https://oauth2.googleapis.com/token",
    scopes: [
      "https://www.googleapis.com/auth/cloud-platform",
      "https://www.googleapis.com/auth/userinfo.email",
      "https://www.googleapis.com/auth/userinfo.profile",
      "https://www.googleapis.com/auth/cclog",
      "https://www.googleapis.com/auth/experimentsandconfigs",
    ],
    callback: { host: "localhost", port: 51121, path: "/oauth-callback" },
    // offline + consent: Google only issues a refresh token when asked this way.
    authorizeParams: { access_type: "offline", prompt: "consent" },
    defaultFlow: "browser",
    refreshLeadSeconds: 5 * 60,
    refreshable: true,
    termsNote: "Antigravity's login reaches the same Code Assist backend as Gemini CLI's and " +
      "carries the same risk: Google says these OAuth logins may not be used from third-party " +
      "software, and users report whole Google accounts suspended over it (one reason " +
      "NousResearch/hermes-agent removed both logins). Use it only if you accept that risk for " +
      "this Google account. The service admits only clients that name a current Antigravity " +
      "version, so subgate sends `User-Agent: antigravity/<version> <os>/<arch>` (this machine's " +
      "OS and CPU) and nothing else of Antigravity's; it forwards each request as your client " +
      "made it.",
    identify: identifyAntigravityAccount,
  },
  quota: antigravityQuota,
  upstream: (account, override) =>
    antigravityUpstream(account, override?.baseUrl ?? BASE_URL, override?.headers),
};
