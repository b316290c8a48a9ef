/**
 * @module
 * Sets the top-level `model` of a JSON request body in place, leaving every
 * other byte as the client sent it (passthrough stays byte-faithful).
 */

function skipWhitespace(text: string, i: number): number {
  while (i < text.length) {
    const code = text.charCodeAt(i);
    if (code !== 32 && code !== 9 && code !== 10 && code !== 13) break;
    i++;
  }
  return i;
}

/** `i` at an opening quote; returns the index after the closing quote, or -1. */
function skipString(text: string, i: number): number {
  for (i++; i < text.length; i++) {
    const code = text.charCodeAt(i);
    if (code === 92 /* \ */) i++;
    else if (code === 34 /* " */) return i + 1;
  }
  return -1;
}

/** `i` at the start of any JSON value; returns the index after it, or -1. */
function skipValue(text: string, i: number): number {
  const first = text.charCodeAt(i);
  if (first === 34) return skipString(text, i);
  if (first === 123 /* { */ || first === 91 /* [ */) {
    let depth = 0;
    for (; i < text.length; i++) {
      const code = text.charCodeAt(i);
      if (code === 34) {
        i = skipString(text, i) - 1;
        if (i < 0) return -1;
      } else if (code === 123 || code === 91) depth++;
      else if (code === 125 || code === 93) {
        if (--depth === 0) return i + 1;
      }
    }
    return -1;
  }
  while (i < text.length && !",}] \t\r\n".includes(text[i])) i++;
  return i;
}

/**
 * `text` with the top-level string field `key` set to `value`, or undefined
 * when the body is not an object with such a string field.
 */
export function setTopLevelString(text: string, key: string, value: string): string | undefined {
  let i = skipWhitespace(text, 0);
  if (text.charCodeAt(i) !== 123) return undefined;
  i++;
  while (true) {
    i = skipWhitespace(text, i);
    if (text.charCodeAt(i) !== 34) return undefined;
    const keyEnd = skipString(text, i);
    if (keyEnd < 0) return undefined;
    const name = JSON.parse(text.slice(i, keyEnd));
    i = skipWhitespace(text, keyEnd);
    if (text.charCodeAt(i) !== 58 /* : */) return undefined;
    const valueStart = skipWhitespace(text, i + 1);
    const valueEnd = skipValue(text, valueStart);
    if (valueEnd < 0) return undefined;
    if (name === key) {
      if (text.charCodeAt(valueStart) !== 34) return undefined;
      return text.slice(0, valueStart) + JSON.stringify(value) + text.slice(valueEnd);
    }
    i = skipWhitespace(text, valueEnd);
    if (text.charCodeAt(i) !== 44 /* , */) return undefined;
    i++;
  }
}
