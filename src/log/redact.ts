/**
 * @module
 * Token redaction for every line subgate prints. Secrets reach logs through
 * error messages and echoed headers, so every log line passes through here.
 */

// Shapes of credentials subgate handles: provider tokens with known prefixes,
// JWTs, Bearer values and key/secret-looking JSON or query fields.
const PATTERNS: RegExp[] = [
  /\b(sk-ant-[a-z]{3}\d{2}-)[A-Za-z0-9_-]{8,}/g,
  /\b(sk-(?:proj-)?)[A-Za-z0-9_-]{16,}/g,
  /\b(ya29\.)[A-Za-z0-9_.-]{8,}/g,
  /\b(1\/\/)[A-Za-z0-9_-]{16,}/g,
  /\b(gh[opsu]_)[A-Za-z0-9]{16,}/g,
  /\b(AIza)[A-Za-z0-9_-]{20,}/g,
  /\b(eyJ)[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]*/g,
  /\b(Bearer\s+)[^\s"',;]{6,}/gi,
  /("?(?:access_token|refresh_token|id_token|api[-_]?key|client_secret|token|password|secret)"?\s*[:=]\s*"?)[A-Za-z0-9._~+/=-]{8,}/gi,
  /([?&](?:key|auth_token|access_token)=)[^&\s"']+/gi,
];

// Every pattern at once, case-insensitive (so it finds at least what they find): most lines hold
// nothing credential-shaped and are scanned once instead of once per pattern.
const ANY = new RegExp(PATTERNS.map((pattern) => pattern.source).join("|"), "i");

/** Replaces anything that looks like a credential with its prefix and `[redacted]`. */
export function redact(text: string): string {
  if (!ANY.test(text)) return text;
  let out = text;
  for (const pattern of PATTERNS) out = out.replace(pattern, "$1[redacted]");
  return out;
}
