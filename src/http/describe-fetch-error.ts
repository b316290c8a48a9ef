/**
 * @module
 * Why an upstream could not be reached, as a short sentence naming the host
 * and the cause (`connect ECONNREFUSED 127.0.0.1:9902`), for the log and the
 * client's error. Deno's fetch error carries the whole URL, query included
 * (where a key may sit): only the host is ever shown.
 */

/** The cause text of a failed fetch (Deno puts it in `cause`). */
function causeText(error: unknown): string {
  const cause = (error as { cause?: unknown })?.cause;
  const text = cause instanceof Error ? cause.message : String(cause ?? "");
  return text || (error instanceof Error ? error.message : String(error));
}

export function describeFetchError(error: unknown, url: string): string {
  let host = "the upstream";
  try {
    host = new URL(url).host;
  } catch {
    // keep the generic name
  }
  const cause = causeText(error);
  if (/connection refused/i.test(cause)) return `connect ECONNREFUSED ${host}`;
  if (/dns error|failed to lookup|name or service not known|no such host/i.test(cause)) {
    return `DNS lookup failed for ${host}`;
  }
  if (/timed out|timeout/i.test(cause)) return `connect to ${host} timed out`;
  if (/certificate|tls|ssl|handshake|corrupt message|InvalidContentType/i.test(cause)) {
    return `TLS handshake with ${host} failed`;
  }
  if (/connection reset|reset by peer/i.test(cause)) return `connection to ${host} reset`;
  if (/closed before message completed|connection closed|broken pipe|unexpected eof/i.test(cause)) {
    return `${host} closed the connection before answering`;
  }
  if (/network is unreachable|no route to host/i.test(cause)) return `no route to ${host}`;
  // Anything else: the cause itself, without any URL in it (a query may hold a key).
  const plain = cause.replace(/\(?\b[a-z][a-z0-9+.-]*:\/\/[^\s)]*\)?/gi, "").replace(/\s+/g, " ")
    .trim().slice(0, 160);
  return `could not reach ${host}` + (plain ? ` (${plain})` : "");
}

/** The process ran out of file descriptors (EMFILE/ENFILE): a local shortage, no upstream fault. */
export function isOutOfFiles(error: unknown): boolean {
  const cause = (error as { cause?: unknown })?.cause;
  const text = `${(error as Error)?.message ?? ""} ${cause instanceof Error ? cause.message : ""}`;
  return /too many open files|os error 2[34]\b|EMFILE|ENFILE/i.test(text);
}

/** `600` → `10m`, `90` → `90s`: the timeout as the config writes it. */
export function formatSeconds(seconds: number): string {
  if (seconds >= 3600 && seconds % 3600 === 0) return `${seconds / 3600}h`;
  if (seconds >= 60 && seconds % 60 === 0) return `${seconds / 60}m`;
  return `${seconds}s`;
}
