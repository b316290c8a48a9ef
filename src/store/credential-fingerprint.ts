/**
 * @module
 * A short digest of an account's credentials (tokens, key, base URL, headers),
 * so state tied to one set of credentials (a rest after a 401, a fetched model
 * list) is dropped once they change: a replaced token file, a refresh, an
 * edited config entry. Never printed; the digest is one-way.
 */
import { createHash } from "node:crypto";
import type { Account } from "./account.ts";

const cache = new WeakMap<object, string>();

export function credentialFingerprint(account: Account): string {
  const known = cache.get(account.credentials);
  if (known) return known;
  const digest = createHash("sha256").update(JSON.stringify(account.credentials)).digest("hex")
    .slice(0, 16);
  cache.set(account.credentials, digest);
  return digest;
}
