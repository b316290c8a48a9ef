/**
 * @module
 * What is wrong with a body that is not JSON, and where. V8's `JSON.parse`
 * says "at position N (line L column C)" for most mistakes, but for an
 * unexpected token it quotes a piece of the text instead (which may hold a
 * secret, and lands in the log) and for a text that ends too soon it says
 * nothing of where: for those the position is found here.
 */
import { apiError } from "../errors/api-error.ts";

const SPACE = /[ \t\n\r]*/y;
// deno-lint-ignore no-control-regex -- JSON strings may not hold control characters unescaped.
const STRING = /"(?:[^"\\\u0000-\u001f]|\\(?:["\\/bfnrt]|u[0-9a-fA-F]{4}))*"/y;
const NUMBER = /-?(?:0|[1-9][0-9]*)(?:\.[0-9]+)?(?:[eE][+-]?[0-9]+)?/y;
const LITERAL = /true|false|null/y;

/**
 * The offset of the first character that breaks `text` as JSON (`text.length` when it ends too
 * soon), or -1 when it is valid. Iterative, so no nesting depth can overflow the stack.
 */
export function jsonErrorOffset(text: string): number {
  let at = 0;
  /** The closing bracket each open object or array waits for. */
  const closers: string[] = [];
  const skipSpace = () => {
    SPACE.lastIndex = at;
    SPACE.test(text);
    at = SPACE.lastIndex;
  };
  const take = (pattern: RegExp) => {
    pattern.lastIndex = at;
    if (!pattern.test(text)) return false;
    at = pattern.lastIndex;
    return true;
  };
  /** An object key and its colon; false when they are not there. */
  const key = () => {
    skipSpace();
    if (!take(STRING)) return false;
    skipSpace();
    if (text[at] !== ":") return false;
    at++;
    return true;
  };
  while (true) {
    // A value: a scalar, an empty container, or the start of a full one (its first value next).
    skipSpace();
    const opening = text[at];
    if (opening === "{" || opening === "[") {
      const closer = opening === "{" ? "}" : "]";
      at++;
      skipSpace();
      if (text[at] === closer) at++;
      else {
        if (closer === "}" && !key()) return at;
        closers.push(closer);
        continue;
      }
    } else if (!take(STRING) && !take(NUMBER) && !take(LITERAL)) return at;
    // After a value: the end of the text, a closing bracket, or a comma and the next value.
    while (true) {
      skipSpace();
      const closer = closers.at(-1);
      if (closer === undefined) return at < text.length ? at : -1;
      if (text[at] === closer) {
        at++;
        closers.pop();
        continue;
      }
      if (text[at] !== ",") return at;
      at++;
      if (closer === "}" && !key()) return at;
      break;
    }
  }
}

/** `at position 33 (line 1 column 34)`, in V8's words. */
function positionText(text: string, offset: number): string {
  let line = 1;
  for (let i = text.indexOf("\n"); i !== -1 && i < offset; i = text.indexOf("\n", i + 1)) line++;
  const column = offset - text.lastIndexOf("\n", offset - 1);
  return `at position ${offset} (line ${line} column ${column})`;
}

/**
 * What `JSON.parse` found wrong with `text`, with the position, and without quoting the text
 * beyond the one character at fault.
 */
export function jsonProblem(text: string, error: SyntaxError): string {
  if (/ at position \d+/.test(error.message)) return error.message;
  const offset = jsonErrorOffset(text);
  if (offset < 0) return "not valid JSON";
  if (offset >= text.length) return `Unexpected end of JSON input ${positionText(text, offset)}`;
  const code = text.codePointAt(offset)!;
  const shown = code < 0x20
    ? `U+${code.toString(16).toUpperCase().padStart(4, "0")}`
    : `'${String.fromCodePoint(code)}'`;
  return `Unexpected token ${shown} in JSON ${positionText(text, offset)}`;
}

/** Deepest nesting a translated request may have: real requests stay far below it. */
export const MAX_JSON_DEPTH = 100;

/**
 * Whether `text` (valid JSON) nests objects and arrays deeper than `limit`. A scan of the text,
 * not a walk of the parsed value, so no depth can overflow the stack while checking it.
 */
export function nestsDeeperThan(text: string, limit: number): boolean {
  let depth = 0;
  for (let at = 0; at < text.length; at++) {
    const code = text.charCodeAt(at);
    if (code === 0x22) {
      // Skip the string, escapes included.
      for (at++; at < text.length && text.charCodeAt(at) !== 0x22; at++) {
        if (text.charCodeAt(at) === 0x5c) at++;
      }
    } else if (code === 0x7b || code === 0x5b) {
      if (++depth > limit) return true;
    } else if (code === 0x7d || code === 0x5d) depth--;
  }
  return false;
}

/** Refuses (400) a request too deeply nested to translate: the codecs walk it recursively. */
export function checkTranslatable(body: string): void {
  if (nestsDeeperThan(body, MAX_JSON_DEPTH)) {
    throw apiError(
      "invalid_request",
      `The request body nests objects and arrays more than ${MAX_JSON_DEPTH} levels deep; ` +
        "subgate translates requests up to that depth.",
    );
  }
}
