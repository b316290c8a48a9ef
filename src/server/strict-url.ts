/**
 * @module
 * URLs whose percent-escapes do not decode get a 400. Hono decodes paths and
 * parameters leniently (a bad escape stays as written), so `%ZZ` would reach
 * the routes as part of a model name, and code decoding again would throw;
 * checked once here, before anything reads the URL.
 */
import type { MiddlewareHandler } from "hono";
import { apiError } from "../errors/api-error.ts";

const HINT = "a '%' must start an escape of UTF-8 text such as %20; write a literal '%' as %25";

/** The first escape (or run of escapes) in `text` that does not decode. */
function badEscape(text: string): string | undefined {
  const stray = /%(?![0-9A-Fa-f]{2}).{0,2}/s.exec(text);
  if (stray) return stray[0];
  // Every escape is well formed, so a run of them must spell bytes that are not UTF-8.
  for (const [run] of text.matchAll(/(?:%[0-9A-Fa-f]{2})+/g)) {
    try {
      decodeURIComponent(run);
    } catch {
      return run;
    }
  }
  return undefined;
}

function decodes(text: string): boolean {
  try {
    decodeURIComponent(text);
    return true;
  } catch {
    return false;
  }
}

/** Why the URL's path or query cannot be percent-decoded, or undefined when both can. */
export function urlEncodingProblem(url: string): string | undefined {
  if (!url.includes("%")) return undefined;
  const pathStart = url.indexOf("/", url.indexOf("//") + 2);
  const queryStart = url.indexOf("?", pathStart);
  const path = url.slice(pathStart, queryStart === -1 ? undefined : queryStart);
  if (!decodes(path)) {
    return `The URL path has a malformed percent-escape ('${badEscape(path)}'): ${HINT}.`;
  }
  // The query may hold a client key (`?key=`): the message quotes none of it.
  if (queryStart !== -1 && !decodes(url.slice(queryStart + 1))) {
    return `The URL query has a malformed percent-escape: ${HINT}.`;
  }
  return undefined;
}

export const strictUrl: MiddlewareHandler = (c, next) => {
  const problem = urlEncodingProblem(c.req.url);
  if (problem) throw apiError("invalid_request", problem);
  return next();
};
