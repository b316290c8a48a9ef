/**
 * @module
 * Which headers cross the proxy. The client's own credentials never reach an
 * upstream (the account's do), hop-by-hop headers never cross, and when
 * translating only headers that mean something in every dialect go along.
 *
 * Headers are walked with `forEach` and handed to `fetch` and `Response` as plain
 * records: in Deno, `for…of` over a `Headers` (and `fetch` given a `Headers` object,
 * which walks it the same way) cost ~30 µs per call for a Claude Code request's twenty
 * headers, more than the rest of the proxy's own work.
 */

/**
 * Never forwarded upstream: connection-level, the client's key for subgate, or the body's
 * encoding (subgate has decoded a compressed body; it goes up as plain text).
 */
const REQUEST_DROP = new Set([
  "host",
  "connection",
  "keep-alive",
  "proxy-connection",
  "proxy-authorization",
  "te",
  "trailer",
  "transfer-encoding",
  "upgrade",
  "content-length",
  // subgate sends the body it read (decoded), never the client's encoding of it.
  "content-encoding",
  "accept-encoding",
  "authorization",
  "x-api-key",
  "x-goog-api-key",
  "cookie",
]);

/**
 * The client's query string as it goes upstream (Claude Code's `?beta=true`), without the key it
 * may have sent subgate as `?key=`: that is subgate's secret, never the upstream's.
 */
export function forwardedQuery(url: string): URLSearchParams {
  const at = url.indexOf("?");
  const query = new URLSearchParams(at === -1 ? "" : url.slice(at + 1));
  query.delete("key");
  return query;
}

/** Headers for subgate itself (a session's pins, `x-subgate-model` …): never the upstream's. */
const OWN_PREFIX = "x-subgate-";

/**
 * Passthrough: the request as the client made it, minus its auth and hop-by-hop headers and
 * those meant for subgate.
 */
export function passthroughHeaders(headers: Headers): Headers {
  const out = new Headers();
  headers.forEach((value, name) => {
    if (!REQUEST_DROP.has(name) && !name.startsWith(OWN_PREFIX)) out.set(name, value);
  });
  return out;
}

/** Translation: another dialect's headers mean nothing upstream; keep the generic ones. */
export function translationHeaders(headers: Headers): Headers {
  const out = new Headers({ "content-type": "application/json" });
  for (const name of ["user-agent", "x-request-id", "accept-language"]) {
    const value = headers.get(name);
    if (value) out.set(name, value);
  }
  return out;
}

/** Dropped from upstream answers: fetch has already decoded the body and framed it anew. */
const RESPONSE_DROP = new Set([
  "connection",
  "keep-alive",
  "transfer-encoding",
  "content-encoding",
  "content-length",
  "set-cookie",
  "alt-svc",
  "strict-transport-security",
]);

export function responseHeaders(headers: Headers): Record<string, string> {
  const out: Record<string, string> = {};
  headers.forEach((value, name) => {
    if (!RESPONSE_DROP.has(name)) out[name] = value;
  });
  return out;
}

/** A `Headers` as the plain record `fetch` takes cheaply. */
export function headerRecord(headers: Headers): Record<string, string> {
  const out: Record<string, string> = {};
  headers.forEach((value, name) => {
    out[name] = value;
  });
  return out;
}
