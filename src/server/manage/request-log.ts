/**
 * @module
 * The last requests, for `GET /manage/requests` and its live tail
 * `GET /manage/requests/stream` (server-sent events): a ring of the last 500
 * request records from `PipelineHooks.ended`, each with the client's session
 * id when it sent one (`?session=` picks a session's; `subgate statusline`
 * asks for its session's last). Metadata only: the records hold no body, key
 * or token, and their error texts are redacted again.
 */
import { redact } from "../../log/redact.ts";
import type { RequestRecord } from "../../proxy/request-record.ts";

export const REQUEST_LOG_SIZE = 500;

/** A record as the API shows it, numbered so a reconnecting tail can ask for what it missed. */
export interface RequestView extends Omit<RequestRecord, "at"> {
  /** Increases by one per request since the server started. */
  seq: number;
  /** When it arrived (RFC 3339 with milliseconds). */
  at: string;
}

export interface RequestLog {
  add(record: RequestRecord): void;
  /** The newest `limit` requests, newest first; with `session`, only that client session's. */
  recent(limit: number, session?: string): RequestView[];
  /** The requests after `seq`, oldest first (those still in the ring). */
  after(seq: number): RequestView[];
  /** Calls `listener` for each new request until the returned function is called. */
  subscribe(listener: (view: RequestView) => void): () => void;
}

export function createRequestLog(size = REQUEST_LOG_SIZE): RequestLog {
  const ring: RequestView[] = [];
  let next = 1;
  const listeners = new Set<(view: RequestView) => void>();
  return {
    add(record) {
      const view: RequestView = {
        ...record,
        seq: next++,
        at: new Date(record.at).toISOString(),
        error: record.error === undefined ? undefined : redact(record.error).slice(0, 500),
      };
      if (ring.length === size) ring.shift();
      ring.push(view);
      for (const listener of listeners) {
        try {
          listener(view);
        } catch {
          // One tail's fault is not the others'.
        }
      }
    },
    recent(limit, session) {
      if (session === undefined) return ring.slice(-limit).reverse();
      const found: RequestView[] = [];
      for (let i = ring.length - 1; i >= 0 && found.length < limit; i--) {
        if (ring[i].sessionId === session) found.push(ring[i]);
      }
      return found;
    },
    after: (seq) => ring.filter((view) => view.seq > seq),
    subscribe(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
  };
}
