/**
 * @module
 * The plan-quota shapes in `tests/fixtures/quota/` (see its README), and a
 * local usage endpoint that answers with them, counting what it is asked.
 */

const DIR = new URL("../fixtures/quota/", import.meta.url);

/** A usage endpoint's answer body. */
export function quotaBody(name: string): Record<string, unknown> {
  return JSON.parse(Deno.readTextFileSync(new URL(`${name}.json`, DIR)));
}

/** An answer's status and headers (and error body, for a refusal). */
export function quotaAnswer(name: string): {
  status: number;
  headers: Record<string, string>;
  body?: unknown;
} {
  return JSON.parse(Deno.readTextFileSync(new URL(`${name}.json`, DIR)));
}

/** Unix seconds `seconds` from now, as the providers write resets. */
export const unixIn = (seconds: number) => String(Math.floor(Date.now() / 1000) + seconds);

/** ISO 8601 `seconds` from now. */
export const isoIn = (seconds: number) => new Date(Date.now() + seconds * 1000).toISOString();

export interface SeenRequest {
  method: string;
  path: string;
  headers: Headers;
  body: string;
}

export interface UsageServer {
  url: string;
  /** Every request, in order. */
  seen: SeenRequest[];
  /** Requests per bearer (or `token`) credential. */
  count(token: string): number;
  /** The most requests it was answering at once. */
  maxInFlight(): number;
  /** What it answers a credential: a body (200), or a status to refuse with. */
  answer(
    token: string,
    reply: { body?: unknown; status?: number; headers?: Record<string, string> },
  ): void;
  close(): Promise<void>;
}

/** A usage endpoint on any path: answers per credential, optionally after `delayMs`. */
export function startUsageServer(options: { delayMs?: number } = {}): UsageServer {
  const seen: SeenRequest[] = [];
  const replies = new Map<
    string,
    { body?: unknown; status?: number; headers?: Record<string, string> }
  >();
  let inFlight = 0;
  let most = 0;
  const tokenOf = (headers: Headers) =>
    (headers.get("authorization") ?? "").replace(/^(Bearer|token) /, "");
  const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen: () => {} }, async (req) => {
    inFlight++;
    most = Math.max(most, inFlight);
    try {
      const url = new URL(req.url);
      seen.push({
        method: req.method,
        path: url.pathname,
        headers: req.headers,
        body: await req.text(),
      });
      if (options.delayMs) await new Promise((resolve) => setTimeout(resolve, options.delayMs));
      const reply = replies.get(tokenOf(req.headers));
      if (!reply) return Response.json({ error: "unknown token" }, { status: 401 });
      if (reply.status && reply.status >= 400) {
        return Response.json({ error: "refused" }, {
          status: reply.status,
          headers: reply.headers,
        });
      }
      return Response.json(reply.body ?? {}, { headers: reply.headers });
    } finally {
      inFlight--;
    }
  });
  return {
    url: `http://127.0.0.1:${(server.addr as Deno.NetAddr).port}`,
    seen,
    count: (token) => seen.filter((r) => tokenOf(r.headers) === token).length,
    maxInFlight: () => most,
    answer: (token, reply) => replies.set(token, reply),
    close: () => server.shutdown(),
  };
}
