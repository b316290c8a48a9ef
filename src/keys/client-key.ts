/**
 * @module
 * A client key as the server knows it at run time, whichever source it comes
 * from (the config's `api-keys`, or `keys.json` for keys created through the
 * API): its name, its policy (model allowlist, limits, expiry) and the
 * SHA-256 of the key it is presented with. The key itself is never kept.
 */
import { createHash } from "node:crypto";
import type { KeyLimits } from "../config/config-types.ts";
import { matchesModel } from "../models/match-model.ts";

export type { KeyLimits };

export interface ClientKey {
  /** Not secret: logs, the usage ledger and refusals name the key by it. */
  name: string;
  source: "config" | "stored";
  /** Model-name patterns the key may use; absent: every model. */
  models?: readonly string[];
  limits: KeyLimits;
  /** When the key stops working (epoch ms). */
  expires?: number;
  /** SHA-256 of the key. */
  digest: Uint8Array;
}

/**
 * SHA-256 of a key, so keys of any length compare as equal-length digests. node:crypto's
 * synchronous hash: WebCrypto's async digest cost a third of a proxied request's CPU time.
 */
export function digestOf(key: string): Uint8Array {
  return createHash("sha256").update(key).digest();
}

export function hexDigestOf(key: string): string {
  return createHash("sha256").update(key).digest("hex");
}

export function bytesOfHex(hex: string): Uint8Array {
  const bytes = new Uint8Array(hex.length / 2);
  for (let i = 0; i < bytes.length; i++) bytes[i] = parseInt(hex.slice(2 * i, 2 * i + 2), 16);
  return bytes;
}

/**
 * Whether the key may use `model`: a pattern matches the name as the client sent it, or the
 * name after a `provider/` pin (`claude/claude-sonnet-4-6` is a `claude-*` model).
 */
export function mayUse(key: ClientKey, model: string): boolean {
  if (!key.models) return true;
  const slash = model.indexOf("/");
  const pinned = slash === -1 ? undefined : model.slice(slash + 1);
  return key.models.some((pattern) =>
    matchesModel(pattern, model) || (pinned !== undefined && matchesModel(pattern, pinned))
  );
}

/**
 * What may be shown of a key to tell it apart: `sg-…abcd` (its first three and last four
 * characters), only for keys long enough that this gives nothing useful away.
 */
export function displayPrefix(key: string): string | undefined {
  return key.length >= 24 ? `${key.slice(0, 3)}…${key.slice(-4)}` : undefined;
}
