/**
 * @module
 * Account files as CLIProxyAPI writes them (`type`, `access_token`,
 * `refresh_token`, `expired` RFC 3339, `email`, …), named
 * `<provider>-<account>.json`, written atomically with mode 0600.
 */
import { dirname, join } from "node:path";
import { readRegularFile } from "../fs/read-regular-file.ts";
import { ensurePrivateDir, writeFileAtomic } from "../fs/write-file-atomic.ts";
import type { Identity, TokenSet } from "../oauth/login-spec.ts";
import type { ProviderId } from "../providers/registry.ts";
import { accountFileText, openFromFile } from "../store/file-cipher.ts";

/** Keys a person may have set by hand; a new login keeps them. */
const KEPT_KEYS = ["disabled", "excluded_models", "prefix", "note", "priority", "headers"];

/** Markers of a failed refresh that a fresh login clears. */
export const STATUS_KEYS = ["needs_login", "last_error"];

export function accountFileName(provider: ProviderId, account: string): string {
  const safe = account.trim().replace(/[^A-Za-z0-9@._+-]+/g, "_").replace(/^\.+/, "") || "account";
  return `${provider}-${safe}.json`;
}

/** The RFC 3339 expiry for `expires_in` seconds from `now`. */
export function expiryFrom(expiresIn: unknown, now: number): string | undefined {
  return typeof expiresIn === "number" && expiresIn > 0
    ? new Date(now + expiresIn * 1000).toISOString().replace(/\.\d{3}Z$/, "Z")
    : undefined;
}

/** Merges a token response into a record, keeping the refresh token when none is returned. */
export function applyTokens(
  record: Record<string, unknown>,
  tokens: TokenSet,
  now: number,
): Record<string, unknown> {
  const next: Record<string, unknown> = { ...record, access_token: tokens.access_token };
  if (tokens.refresh_token) next.refresh_token = tokens.refresh_token;
  if (tokens.id_token) next.id_token = tokens.id_token;
  if (typeof tokens.token_type === "string") next.token_type = tokens.token_type;
  const expired = expiryFrom(tokens.expires_in, now);
  if (expired) next.expired = expired;
  next.last_refresh = new Date(now).toISOString().replace(/\.\d{3}Z$/, "Z");
  for (const key of STATUS_KEYS) delete next[key];
  return next;
}

export function buildAccountRecord(
  provider: ProviderId,
  tokens: TokenSet,
  identity: Identity,
  now: number,
  previous?: Record<string, unknown>,
): Record<string, unknown> {
  const kept = Object.fromEntries(
    KEPT_KEYS.filter((key) => previous && key in previous).map((key) => [key, previous![key]]),
  );
  return applyTokens({ type: provider, ...kept, ...identity.fields }, tokens, now);
}

export async function saveAccountFile(
  authDir: string,
  fileName: string,
  record: Record<string, unknown>,
): Promise<string> {
  await ensurePrivateDir(authDir);
  const path = join(authDir, fileName);
  await writeFileAtomic(path, await accountFileText(record));
  return path;
}

/**
 * The account file at `path` as JSON, or undefined when it is missing, invalid, or not a regular
 * file inside its directory (account files sit directly in the auth dir, so that is the auth dir):
 * the same rule the auth store loads by.
 */
export async function readAccountRecord(
  path: string,
): Promise<Record<string, unknown> | undefined> {
  const read = await readRegularFile(path, {
    inside: { dir: dirname(path), label: "the auth dir" },
  });
  if (!read.ok) return undefined;
  try {
    const data = JSON.parse(read.text);
    return data && typeof data === "object" && !Array.isArray(data)
      ? await openFromFile(data)
      : undefined;
  } catch {
    return undefined;
  }
}
