/**
 * @module
 * Tokens encrypted at rest: AES-256-GCM (WebCrypto) under a key derived with
 * HKDF-SHA-256 from `SUBGATE_STORE_KEY`. A sealed value reads
 * `sg1:<key id>:<base64url of 12-byte IV and ciphertext>`; the key id (the
 * first 8 hex digits of a digest of the derived key, never the key) says
 * which key sealed it, so a rotation can list the new key first and the old
 * one after it (`SUBGATE_STORE_KEY="new,old"`): values are sealed with the
 * first and opened with whichever matches. Each value is bound to where it
 * belongs (`context`: the account's name) as GCM's additional data, so a
 * sealed token moved to another account does not open.
 */

export const STORE_KEY_ENV = "SUBGATE_STORE_KEY";

const PREFIX = "sg1:";
const MIN_KEY_LENGTH = 32;
const encoder = new TextEncoder();
const decoder = new TextDecoder();

export interface TokenCipher {
  /** The id of the key new values are sealed with. */
  readonly keyId: string;
  seal(plain: string, context: string): Promise<string>;
  /** The plain text; throws when no key opens it or it was changed. */
  open(sealed: string, context: string): Promise<string>;
}

/** Whether `value` is a sealed value (as opposed to a plain token). */
export function isSealed(value: unknown): value is string {
  return typeof value === "string" && value.startsWith(PREFIX);
}

/** Why `text` is too weak to be a store key, or undefined. */
export function weakKeyProblem(text: string): string | undefined {
  if (text.length < MIN_KEY_LENGTH) {
    return `${STORE_KEY_ENV} must be at least ${MIN_KEY_LENGTH} characters ` +
      `(make one with: openssl rand -base64 32)`;
  }
  const distinct = new Set(text).size;
  if (distinct < 12) {
    return `${STORE_KEY_ENV} repeats too few characters (${distinct} distinct) to be a random ` +
      `key (make one with: openssl rand -base64 32)`;
  }
  return undefined;
}

function toBase64Url(bytes: Uint8Array): string {
  let text = "";
  for (let i = 0; i < bytes.length; i += 0x8000) {
    text += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  }
  return btoa(text).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
}

function fromBase64Url(text: string): Uint8Array<ArrayBuffer> {
  const binary = atob(text.replace(/-/g, "+").replace(/_/g, "/"));
  const bytes = new Uint8Array(binary.length);
  for (let i = 0; i < binary.length; i++) bytes[i] = binary.charCodeAt(i);
  return bytes;
}

interface Key {
  id: string;
  key: CryptoKey;
}

async function deriveKey(text: string): Promise<Key> {
  const material = await crypto.subtle.importKey("raw", encoder.encode(text), "HKDF", false, [
    "deriveBits",
  ]);
  const bits = new Uint8Array(
    await crypto.subtle.deriveBits(
      {
        name: "HKDF",
        hash: "SHA-256",
        salt: encoder.encode("subgate token store"),
        info: encoder.encode("aes-256-gcm v1"),
      },
      material,
      256,
    ),
  );
  const digest = new Uint8Array(
    await crypto.subtle.digest("SHA-256", new Uint8Array([...encoder.encode("key id:"), ...bits])),
  );
  const id = [...digest.subarray(0, 4)].map((b) => b.toString(16).padStart(2, "0")).join("");
  const key = await crypto.subtle.importKey("raw", bits, "AES-GCM", false, ["encrypt", "decrypt"]);
  bits.fill(0);
  return { id, key };
}

/**
 * A cipher from the key text (`SUBGATE_STORE_KEY`): one key, or several separated by commas,
 * the first sealing. Throws with the reason when a key is weak.
 */
export async function createTokenCipher(keyText: string): Promise<TokenCipher> {
  const texts = keyText.split(",").map((part) => part.trim()).filter((part) => part !== "");
  if (texts.length === 0) throw new Error(`${STORE_KEY_ENV} is empty`);
  for (const text of texts) {
    const problem = weakKeyProblem(text);
    if (problem) throw new Error(problem);
  }
  const keys = await Promise.all(texts.map(deriveKey));
  return {
    keyId: keys[0].id,
    async seal(plain, context) {
      const iv = crypto.getRandomValues(new Uint8Array(12));
      const sealed = new Uint8Array(
        await crypto.subtle.encrypt(
          { name: "AES-GCM", iv, additionalData: encoder.encode(context) },
          keys[0].key,
          encoder.encode(plain),
        ),
      );
      const joined = new Uint8Array(iv.length + sealed.length);
      joined.set(iv);
      joined.set(sealed, iv.length);
      return `${PREFIX}${keys[0].id}:${toBase64Url(joined)}`;
    },
    async open(sealed, context) {
      if (!isSealed(sealed)) throw new Error("not an encrypted value");
      const [id, body] = sealed.slice(PREFIX.length).split(":");
      const key = keys.find((candidate) => candidate.id === id);
      if (!key || body === undefined) {
        throw new Error(
          `encrypted with key ${id}, which is not in ${STORE_KEY_ENV} (keys given: ${
            keys.map((k) => k.id).join(", ")
          })`,
        );
      }
      const bytes = fromBase64Url(body);
      try {
        const plain = await crypto.subtle.decrypt(
          { name: "AES-GCM", iv: bytes.subarray(0, 12), additionalData: encoder.encode(context) },
          key.key,
          bytes.subarray(12),
        );
        return decoder.decode(plain);
      } catch {
        throw new Error(`cannot decrypt with key ${id}: the value was changed or moved`);
      }
    },
  };
}

/** The token fields of an account record: the ones sealed at rest. */
export const SECRET_FIELDS = ["access_token", "refresh_token", "id_token", "api_key"] as const;

/** The record with its token fields sealed (plain ones only; sealed ones stay as they are). */
export async function sealRecord(
  cipher: TokenCipher,
  record: Record<string, unknown>,
  context: string,
): Promise<Record<string, unknown>> {
  const out = { ...record };
  for (const field of SECRET_FIELDS) {
    const value = out[field];
    if (typeof value === "string" && value !== "" && !isSealed(value)) {
      out[field] = await cipher.seal(value, `${context}#${field}`);
    }
  }
  return out;
}

/** The record with its sealed token fields opened. */
export async function openRecord(
  cipher: TokenCipher,
  record: Record<string, unknown>,
  context: string,
): Promise<Record<string, unknown>> {
  const out = { ...record };
  for (const field of SECRET_FIELDS) {
    const value = out[field];
    if (isSealed(value)) out[field] = await cipher.open(value, `${context}#${field}`);
  }
  return out;
}
