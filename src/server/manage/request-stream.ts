/**
 * @module
 * The live tail of requests as server-sent events: `event: request` with one
 * request's JSON, `id:` its sequence number (a client reconnecting with
 * `Last-Event-ID` first gets what it missed, as far as the ring still holds
 * it), and a comment every 15 seconds so proxies keep the connection open.
 * A client that stops reading is dropped once 1,000 events wait for it, and
 * every tail ends when the server stops.
 */
import type { RequestLog, RequestView } from "./request-log.ts";

const KEEPALIVE_MS = 15_000;
const MOST_WAITING = 1000;

const encoder = new TextEncoder();

function eventOf(view: RequestView): Uint8Array {
  return encoder.encode(`event: request\nid: ${view.seq}\ndata: ${JSON.stringify(view)}\n\n`);
}

export interface RequestTails {
  open(lastEventId: string | null): Response;
  /** Ends every open tail. */
  close(): void;
}

export function createRequestTails(log: RequestLog): RequestTails {
  const open = new Set<(overflow?: boolean) => void>();
  return {
    open(lastEventId) {
      let end = (_overflow?: boolean) => {};
      const body = new ReadableStream<Uint8Array>({
        start(controller) {
          let closed = false;
          const send = (chunk: Uint8Array) => {
            if (closed) return;
            if ((controller.desiredSize ?? 0) < -MOST_WAITING) return end(true);
            controller.enqueue(chunk);
          };
          const unsubscribe = log.subscribe((view) => send(eventOf(view)));
          const timer = setInterval(() => send(encoder.encode(": keep-alive\n\n")), KEEPALIVE_MS);
          end = (overflow) => {
            if (closed) return;
            closed = true;
            unsubscribe();
            clearInterval(timer);
            open.delete(end);
            try {
              // A reader that fell behind is cut off with what waits for it discarded.
              if (overflow) controller.error(new Error("the client stopped reading"));
              else controller.close();
            } catch {
              // Already cancelled by the client.
            }
          };
          open.add(end);
          controller.enqueue(encoder.encode(": subgate requests\nretry: 2000\n\n"));
          const since = Number(lastEventId);
          if (lastEventId !== null && Number.isInteger(since)) {
            for (const view of log.after(since)) send(eventOf(view));
          }
        },
        cancel() {
          end();
        },
      }, { highWaterMark: 1, size: () => 1 });
      return new Response(body, {
        headers: {
          "content-type": "text/event-stream; charset=utf-8",
          "cache-control": "no-store",
          "x-accel-buffering": "no",
        },
      });
    },
    close() {
      for (const end of [...open]) end();
    },
  };
}
