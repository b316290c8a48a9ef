/**
 * @module
 * A vendor CLI's own login file, as data: where it lives, how to read its
 * tokens, and how to write refreshed tokens back in the vendor's own layout
 * (every other field kept) for linked imports. Each provider with a CLI
 * describes its file in its folder; `store/import/` reads and writes them.
 */
import { jwtClaims } from "../oauth/jwt-claims.ts";
import type { TokenSet } from "../oauth/login-spec.ts";
import type { Json } from "../ir/json.ts";

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
  /** The name `subgate import <tool>` takes. */
  tool: string;
  title: string;
  /** Candidate paths, relative to the home directory, first match wins. */
  paths: string[];
  /** Single-use refresh tokens: the vendor CLI and subgate must not both refresh a copy. */
  singleUseRefresh: boolean;
  read(data: Json): VendorTokens | undefined;
  /** Returns the vendor file with new tokens; undefined when the tool has nothing to write. */
  write?(data: Json, tokens: TokenSet, now: number): Json;
}

/** An epoch-ms time as RFC 3339 without fractions, or undefined. */
export function rfc3339(ms: number | undefined): string | undefined {
  return ms && Number.isFinite(ms)
    ? new Date(ms).toISOString().replace(/\.\d{3}Z$/, "Z")
    : undefined;
}

/** A JWT's `exp` as RFC 3339 (the token is subgate's own; no signature check). */
export function jwtExpiry(token: unknown): string | undefined {
  const exp = jwtClaims(token)?.exp;
  return typeof exp === "number" ? rfc3339(exp * 1000) : undefined;
}

/** A non-empty string, or undefined. */
export const str = (value: unknown) => typeof value === "string" && value ? value : undefined;

/** Google-style files (`expiry_date` in epoch ms): Gemini CLI and Qwen Code. */
export function readGoogleStyle(data: Json): VendorTokens | undefined {
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

export function writeGoogleStyle(data: Json, tokens: TokenSet, now: number): Json {
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
