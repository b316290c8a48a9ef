/**
 * @module
 * Gemini through Gemini CLI's Google login: Google's OAuth login with its
 * Code Assist project, Gemini CLI's login file, and Code Assist's API.
 */
import type { ProviderDescriptor } from "../provider.ts";
import { readGoogleStyle, writeGoogleStyle } from "../vendor-file.ts";
import { codeAssistUpstream } from "../../upstreams/code-assist.ts";
import { VERSION } from "../../version.ts";
import { identifyGeminiAccount } from "./identify.ts";
import { geminiQuota } from "./quota.ts";

const BASE_URL = "https://cloudcode-pa.googleapis.com/v1internal";

export const gemini: ProviderDescriptor<"gemini"> = {
  id: "gemini",
  title: "Gemini (Code Assist)",
  fileTypes: ["gemini", "gemini-cli"],
  ownedBy: "google",
  models: ["gemini-3.1-pro-preview", "gemini-3-flash", "gemini-2.5-pro", "gemini-2.5-flash"],
  family: /^(gemini-|gemma-|learnlm-)/i,
  baseUrl: BASE_URL,
  apiUrl: "https://www.googleapis.com/oauth2/v2/userinfo",
  login: {
    clientId: "681255809395-oo8ft2oprdrnp9e3aqf6av3hmdib135j.apps.googleusercontent.com",
    // Gemini CLI's installed-app secret: public by design, required by Google's token endpoint.
    clientSecret: "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",
    issuer: "https://accounts.google.com",
    authorizeUrl: "https://accounts.google.com/o/oauth2/v2/auth",
    tokenUrl: "https://oauth2.googleapis.com/token",
    scopes: [
      "https://www.googleapis.com/auth/cloud-platform",
      "https://www.googleapis.com/auth/userinfo.email",
      "https://www.googleapis.com/auth/userinfo.profile",
    ],
    callback: { host: "127.0.0.1", port: 8085, path: "/oauth2callback" },
    // offline + consent: Google only issues a refresh token when asked this way.
    authorizeParams: { access_type: "offline", prompt: "consent" },
    defaultFlow: "browser",
    refreshLeadSeconds: 5 * 60,
    refreshable: true,
    termsNote: "This login serves paid Gemini Code Assist accounts (Standard and Enterprise): " +
      "since June 2026 Code Assist no longer accepts free-tier and Google One consumer accounts " +
      "through Gemini CLI's login. With a personal Google plan, use `subgate login antigravity` " +
      "instead (the same backend, with the same risk below). Google's Gemini CLI FAQ says this " +
      "OAuth login may not be used from third-party software, and accounts have been suspended " +
      "over it; where you can, use a Gemini API key (gemini-api-key). subgate forwards each " +
      "request as your client made it and does not pose as Gemini CLI.",
    identify: identifyGeminiAccount,
  },
  vendorFile: {
    tool: "gemini-cli",
    title: "Gemini CLI",
    paths: [".gemini/oauth_creds.json"],
    singleUseRefresh: false,
    read: readGoogleStyle,
    write: writeGoogleStyle,
  },
  quota: geminiQuota,
  upstream: (account, override) =>
    codeAssistUpstream(account, override?.baseUrl ?? BASE_URL, `subgate/${VERSION}`),
};
