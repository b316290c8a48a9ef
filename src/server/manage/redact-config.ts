/**
 * @module
 * The config without its secrets, for `GET /manage/config`, and the way back
 * for `PUT`. A secret is every value of a key-like name (`api-key`,
 * `api-keys`, `management-key`, `key`, `key-sha256`, any `*-token`,
 * `*-secret`, `password`), every header value (they often carry
 * credentials), and a URL holding a password or a key in its query.
 *
 * In the file's text each secret becomes `"<redacted:N>"`, N counting the
 * secrets in the order they appear. A text sent back may keep those
 * placeholders: each is replaced by the same secret of the file as it is now
 * (the caller proves the file has not changed since with the version it was
 * given). The secrets themselves never leave the server.
 */
import { isMap, isScalar, isSeq, LineCounter, type Node, parseDocument } from "yaml";
import type { ConfigProblem } from "../../config/validate.ts";

const SECRET_WORDS = new Set([
  "key",
  "keys",
  "token",
  "tokens",
  "secret",
  "password",
  "sha256",
  "authorization",
  "cookie",
]);

/** `api-key`, `managementKey`, `client_secret`, … : a name whose last word says secret. */
export function isSecretName(name: string): boolean {
  const words = name.replace(/([a-z0-9])([A-Z])/g, "$1-$2").toLowerCase().split(/[-_]/);
  return SECRET_WORDS.has(words.at(-1) ?? "");
}

/** A URL with a password (`https://user:pass@host`) or a key in its query. */
function isSecretUrl(value: string): boolean {
  return /^[a-z][a-z0-9+.-]*:\/\/[^/@\s]*:[^/@\s]*@/i.test(value) ||
    /^[a-z][a-z0-9+.-]*:\/\/\S*[?&](key|api_key|apikey|token|access_token)=/i.test(value);
}

export const REDACTED = "<redacted>";

/** The config in force as JSON, each secret replaced by "<redacted>". */
export function redactedValue(value: unknown, name = "", underHeaders = false): unknown {
  if (Array.isArray(value)) return value.map((item) => redactedValue(item, name, underHeaders));
  if (value && typeof value === "object") {
    return Object.fromEntries(
      Object.entries(value).map((
        [key, item],
      ) => [key, redactedValue(item, key, name === "headers")]),
    );
  }
  if (typeof value !== "string") return value;
  return underHeaders || isSecretName(name) || isSecretUrl(value) ? REDACTED : value;
}

interface Found {
  node: Node;
  path: string;
}

/** Every scalar of the document that holds a secret, in the order they appear. */
function secretScalars(root: Node | null): Found[] {
  const found: Found[] = [];
  const visit = (node: Node | null, name: string, path: string, underHeaders: boolean) => {
    if (node === null) return;
    if (isMap(node)) {
      for (const pair of node.items) {
        const key = isScalar(pair.key) ? String(pair.key.value) : "";
        const child = path ? `${path}.${key}` : key;
        visit(pair.value as Node | null, key, child, name === "headers");
      }
    } else if (isSeq(node)) {
      node.items.forEach((item, index) =>
        visit(item as Node | null, name, `${path}[${index}]`, underHeaders)
      );
    } else if (isScalar(node) && node.value !== null && node.value !== "") {
      const text = String(node.value);
      if (underHeaders || isSecretName(name) || isSecretUrl(text)) found.push({ node, path });
    }
  };
  visit(root, "", "", false);
  return found.sort((a, b) => a.node.range![0] - b.node.range![0]);
}

/** Replaces each found node's text, from the end so earlier offsets stay right. */
function replaced(text: string, found: Found[], by: (item: Found, index: number) => string) {
  let out = text;
  for (let index = found.length - 1; index >= 0; index--) {
    const [start, valueEnd] = found[index].node.range!;
    // A block scalar's range runs on to the next line's indentation: that stays.
    const end = start + out.slice(start, valueEnd).trimEnd().length;
    out = out.slice(0, start) + by(found[index], index) + out.slice(end);
  }
  return out;
}

export interface RedactedText {
  text: string;
  /** The secrets, by placeholder number minus one: kept on the server, never answered. */
  secrets: string[];
}

/** The file's text with its secrets as placeholders; unparseable text is withheld whole. */
export function redactConfigText(text: string): RedactedText | undefined {
  const doc = parseDocument(text);
  if (doc.errors.length) return undefined;
  const found = secretScalars(doc.contents as Node | null);
  return {
    text: replaced(text, found, (_, index) => `"<redacted:${index + 1}>"`),
    secrets: found.map((item) => String((item.node as { value: unknown }).value)),
  };
}

const PLACEHOLDER = /^<redacted(?::(\d+))?>$/;

/** Whether a text still holds placeholders to fill. */
export function hasPlaceholders(text: string): boolean {
  return /<redacted(:\d+)?>/.test(text);
}

/**
 * The text with its placeholders filled from `secrets`; the problems (key path and line) when
 * one names no secret, or the text is not YAML (the validator then says why).
 */
export function restoreSecrets(
  text: string,
  secrets: readonly string[],
): { text: string } | { problems: ConfigProblem[] } {
  const lines = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lines });
  if (doc.errors.length) return { text };
  const placeholders: Found[] = [];
  const visit = (node: Node | null, path: string) => {
    if (node === null) return;
    if (isMap(node)) {
      for (const pair of node.items) {
        const key = isScalar(pair.key) ? String(pair.key.value) : "";
        visit(pair.value as Node | null, path ? `${path}.${key}` : key);
      }
    } else if (isSeq(node)) {
      node.items.forEach((item, index) => visit(item as Node | null, `${path}[${index}]`));
    } else if (isScalar(node) && typeof node.value === "string" && PLACEHOLDER.test(node.value)) {
      placeholders.push({ node, path });
    }
  };
  visit(doc.contents as Node | null, "");
  const problems: ConfigProblem[] = [];
  for (const { node, path } of placeholders) {
    const number = Number(PLACEHOLDER.exec(String((node as { value: unknown }).value))![1]);
    if (!(number >= 1 && number <= secrets.length)) {
      problems.push({
        path,
        line: lines.linePos(node.range![0]).line,
        message: `${
          number ? `<redacted:${number}>` : "<redacted>"
        } names no secret of the config file as it is now: write the value itself`,
      });
    }
  }
  if (problems.length) return { problems };
  placeholders.sort((a, b) => a.node.range![0] - b.node.range![0]);
  return {
    text: replaced(text, placeholders, (item) => {
      const number = Number(PLACEHOLDER.exec(String((item.node as { value: unknown }).value))![1]);
      return JSON.stringify(secrets[number - 1]);
    }),
  };
}
