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
  /** Where the oldest view is, once the ring is full. */
  let oldest = 0;
  let next = 1;
  /** The views from oldest to newest. */
  const ordered = () =>
    ring.length < size ? ring : [...ring.slice(oldest), ...ring.slice(0, oldest)];
  const listeners = new Set<(view: RequestView) => void>();
  return {
    add(record) {
      const view: RequestView = {
        ...record,
        seq: next++,
        at: new Date(record.at).toISOString(),
        error: record.error === undefined ? undefined : redact(record.error).slice(0, 500),
      };
      // A ring: the oldest view is overwritten in place (shifting 500 entries showed per request).
      if (ring.length < size) ring.push(view);
      else {
        ring[oldest] = view;
        oldest = (oldest + 1) % size;
      }
      for (const listener of listeners) {
        try {
          listener(view);
        } catch {
          // One tail's fault is not the others'.
        }
      }
    },
    recent(limit, session) {
      const views = ordered();
      if (session === undefined) return views.slice(-limit).reverse();
      const found: RequestView[] = [];
      for (let i = views.length - 1; i >= 0 && found.length < limit; i--) {
        if (views[i].sessionId === session) found.push(views[i]);
      }
      return found;
    },
    after: (seq) => ordered().filter((view) => view.seq > seq),
    subscribe(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
  };
}
