/**
 * @module
 * The vendors' own CLI login files, as data: where each lives, how to read its
 * tokens, and how to write refreshed tokens back in the vendor's own layout
 * (every other field kept) for linked imports.
 */
import { join } from "node:path";
import { homeDir } from "../../config/paths.ts";
import type { ProviderId } from "../../providers/provider.ts";
import { jwtClaims } from "../../oauth/jwt-claims.ts";
import type { TokenSet } from "../../oauth/login-spec.ts";

type Json = Record<string, unknown>;

/** Tokens in subgate's (CLIProxyAPI's) field names. */
export interface VendorTokens {
  access_token: string;
  refresh_token?: string;
  id_token?: string;
  /** RFC 3339. */
  expired?: string;
  /** What the file itself says about the account, when it says anything. */
  hints: Json;
}

export interface VendorFile {
  tool: string;
  provider: ProviderId;
  title: string;
  /** Candidate paths, relative to the home directory, first match wins. */
  paths: string[];
  /** Single-use refresh tokens: the vendor CLI and subgate must not both refresh a copy. */
  singleUseRefresh: boolean;
  read(data: Json): VendorTokens | undefined;
  /** Returns the vendor file with new tokens; undefined when the tool has nothing to write. */
  write?(data: Json, tokens: TokenSet, now: number): Json;
}

function rfc3339(ms: number | undefined): string | undefined {
  return ms && Number.isFinite(ms)
    ? new Date(ms).toISOString().replace(/\.\d{3}Z$/, "Z")
    : undefined;
}

function jwtExpiry(token: unknown): string | undefined {
  const exp = jwtClaims(token)?.exp;
  return typeof exp === "number" ? rfc3339(exp * 1000) : undefined;
}

const str = (value: unknown) => typeof value === "string" && value ? value : undefined;

/** Google-style files (`expiry_date` in epoch ms): Gemini CLI and Qwen Code. */
function googleStyle(data: Json): VendorTokens | undefined {
  const access = str(data.access_token);
  if (!access) return undefined;
  return {
    access_token: access,
    refresh_token: str(data.refresh_token),
    id_token: str(data.id_token),
    expired: rfc3339(Number(data.expiry_date)),
    hints: { resource_url: data.resource_url },
  };
}

function writeGoogleStyle(data: Json, tokens: TokenSet, now: number): Json {
  return {
    ...data,
    access_token: tokens.access_token,
    ...(tokens.refresh_token ? { refresh_token: tokens.refresh_token } : {}),
    ...(tokens.id_token ? { id_token: tokens.id_token } : {}),
    ...(typeof tokens.expires_in === "number"
      ? { expiry_date: now + tokens.expires_in * 1000 }
      : {}),
  };
}

export const VENDOR_FILES: readonly VendorFile[] = [
  {
    tool: "claude-code",
    provider: "claude",
    title: "Claude Code",
    paths: [".claude/.credentials.json"],
    singleUseRefresh: true,
    read(data) {
      const oauth = data.claudeAiOauth as Json | undefined;
      const access = str(oauth?.accessToken);
      if (!oauth || !access) return undefined;
      return {
        access_token: access,
        refresh_token: str(oauth.refreshToken),
        expired: rfc3339(Number(oauth.expiresAt)),
        hints: { subscription_type: oauth.subscriptionType },
      };
    },
    write(data, tokens, now) {
      const oauth = { ...(data.claudeAiOauth as Json) };
      oauth.accessToken = tokens.access_token;
      if (tokens.refresh_token) oauth.refreshToken = tokens.refresh_token;
      if (typeof tokens.expires_in === "number") oauth.expiresAt = now + tokens.expires_in * 1000;
      return { ...data, claudeAiOauth: oauth };
    },
  },
  {
    tool: "codex",
    provider: "codex",
    title: "Codex CLI",
    paths: [".codex/auth.json"],
    singleUseRefresh: true,
    read(data) {
      const tokens = data.tokens as Json | undefined;
      const access = str(tokens?.access_token);
      if (!tokens || !access) return undefined;
      return {
        access_token: access,
        refresh_token: str(tokens.refresh_token),
        id_token: str(tokens.id_token),
        expired: jwtExpiry(access),
        hints: { account_id: tokens.account_id },
      };
    },
    write(data, tokens, now) {
      const next: Json = { ...(data.tokens as Json), access_token: tokens.access_token };
      if (tokens.refresh_token) next.refresh_token = tokens.refresh_token;
      if (tokens.id_token) next.id_token = tokens.id_token;
      return { ...data, tokens: next, last_refresh: new Date(now).toISOString() };
    },
  },
  {
    tool: "gemini-cli",
    provider: "gemini",
    title: "Gemini CLI",
    paths: [".gemini/oauth_creds.json"],
    singleUseRefresh: false,
    read: googleStyle,
    write: writeGoogleStyle,
  },
  {
    tool: "qwen-code",
    provider: "qwen",
    title: "Qwen Code",
    paths: [".qwen/oauth_creds.json"],
    singleUseRefresh: false,
    read: googleStyle,
    write: writeGoogleStyle,
  },
  {
    tool: "copilot",
    provider: "copilot",
    title: "GitHub Copilot (editor plugins)",
    paths: [".config/github-copilot/apps.json", ".config/github-copilot/hosts.json"],
    singleUseRefresh: false,
    read(data) {
      const entry = Object.entries(data).find(([key]) => key.startsWith("github.com"))?.[1] as
        | Json
        | undefined;
      const token = str(entry?.oauth_token);
      if (!token) return undefined;
      return { access_token: token, hints: { login: entry?.user } };
    },
  },
];

export function vendorFile(tool: string): VendorFile | undefined {
  return VENDOR_FILES.find((v) => v.tool === tool || v.provider === tool);
}

/** The first existing path of `vendor`, absolute. */
export async function findVendorPath(vendor: VendorFile): Promise<string | undefined> {
  for (const relative of vendor.paths) {
    const path = join(homeDir(), relative);
    try {
      if ((await Deno.stat(path)).isFile) return path;
    } catch { /* not there */ }
  }
  return undefined;
}
