/**
 * @module
 * Text from disk (file names, account labels, paths) made safe to print. A
 * file name may hold ESC, newlines or other control characters: printed raw,
 * they move the cursor, recolour the terminal or forge a new log line. Every
 * such character is written as a visible escape instead (`\n`, `\u001b`).
 */
import { redact } from "./redact.ts";

// C0 controls, DEL, C1 controls (U+009B is a one-byte CSI on some terminals), the Unicode line
// and paragraph separators, and the bidirectional controls that reorder what the eye reads.
// deno-lint-ignore no-control-regex -- matching control characters is the point
const CONTROL = /[\u0000-\u001f\u007f-\u009f\u061c\u200e\u200f\u2028-\u202e\u2066-\u2069]/g;
const TEST = new RegExp(CONTROL.source);

const NAMED: Record<string, string> = { "\n": "\\n", "\r": "\\r", "\t": "\\t" };

function escapeOne(char: string): string {
  return NAMED[char] ?? `\\u${char.charCodeAt(0).toString(16).padStart(4, "0")}`;
}

/** Whether `text` holds a character `printable` would escape. */
export function hasControl(text: string): boolean {
  return TEST.test(text);
}

/** `text` with every control character written as a JSON-style escape; other text unchanged. */
export function printable(text: string): string {
  return hasControl(text) ? text.replace(CONTROL, escapeOne) : text;
}

/**
 * A line that may also carry a secret (an upstream's message): redacted before it is escaped,
 * since an escape glued to a token (`\nsk-ant-…`) would hide the token's word boundary.
 */
export function printableRedacted(text: string): string {
  return printable(redact(text));
}
