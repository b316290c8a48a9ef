/**
 * @module
 * An Anthropic-dialect upstream whose answers are scripted per API key, so a
 * test can make one account rate-limited, failing or slow while the others
 * answer normally with a real capture. Records which key served each call.
 */
import { readJsonFixture } from "./provider-fixtures.ts";

export interface Fault {
  /** Wait this long before answering (a stalled upstream). */
  delayMs?: number;
  status: number;
  body?: string;
  headers?: Record<string, string>;
  /** Answer 200 with this start of an event stream, then drop the connection. */
  dropAfter?: string;
  /** Answer 200 with this whole event stream, written at once. */
  events?: string;
  /**
   * Answer 200 with the `first` events, then `then` every `everyMs` (20 by default), never
   * ending on its own.
   */
  trickle?: { first: string; then: string; everyMs?: number };
}

export interface FaultUpstream {
  url: string;
  /** The x-api-key of every request, in arrival order. */
  served: string[];
  /** The x-api-key of every request its caller gave up on, waiting or mid-stream. */
  cancelled: string[];
  /** Answers the next `count` requests carrying `key` with `fault`. */
  fail(key: string, fault: Fault, count?: number): void;
  close(): Promise<void>;
}

const OK_BODY = JSON.stringify(readJsonFixture("anthropic-messages", "anthropic-text.json"));

export function startFaultUpstream(): FaultUpstream {
  const served: string[] = [];
  const cancelled: string[] = [];
  const scripts = new Map<string, Fault[]>();
  const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen: () => {} }, async (req) => {
    await req.body?.cancel();
    const key = req.headers.get("x-api-key") ?? "";
    served.push(key);
    let gaveUp = false;
    const giveUp = () => {
      if (!gaveUp) cancelled.push(key);
      gaveUp = true;
    };
    // (deno.json opts out of Deno's legacy abort at the end of every answer: this is the caller.)
    req.signal.addEventListener("abort", giveUp);
    const fault = scripts.get(key)?.shift();
    if (fault?.delayMs) {
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, fault.delayMs);
        req.signal.addEventListener("abort", () => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
    if (fault?.events !== undefined) {
      return new Response(fault.events, { headers: { "content-type": "text/event-stream" } });
    }
    if (fault?.trickle !== undefined) {
      const encoder = new TextEncoder();
      const event = encoder.encode(fault.trickle.then);
      let timer: ReturnType<typeof setInterval> | undefined;
      const body = new ReadableStream<Uint8Array>({
        start(controller) {
          controller.enqueue(encoder.encode(fault.trickle!.first));
          timer = setInterval(() => controller.enqueue(event), fault.trickle!.everyMs ?? 20);
        },
        cancel() {
          clearInterval(timer);
          giveUp();
        },
      });
      req.signal.addEventListener("abort", () => clearInterval(timer));
      return new Response(body, { headers: { "content-type": "text/event-stream" } });
    }
    if (fault?.dropAfter !== undefined) {
      const start = new TextEncoder().encode(fault.dropAfter);
      const body = new ReadableStream<Uint8Array>({
        async pull(controller) {
          controller.enqueue(start);
          await new Promise((resolve) => setTimeout(resolve, 50));
          controller.error(new Error("connection dropped"));
        },
      });
      return new Response(body, { headers: { "content-type": "text/event-stream" } });
    }
    if (fault) {
      return new Response(
        fault.body ?? `{"type":"error","error":{"type":"api_error","message":"scripted"}}`,
        { status: fault.status, headers: { "content-type": "application/json", ...fault.headers } },
      );
    }
    return new Response(OK_BODY, { headers: { "content-type": "application/json" } });
  });
  return {
    url: `http://127.0.0.1:${(server.addr as Deno.NetAddr).port}`,
    served,
    cancelled,
    fail(key, fault, count = 1) {
      const script = scripts.get(key) ?? [];
      for (let i = 0; i < count; i++) script.push(fault);
      scripts.set(key, script);
    },
    close: () => server.shutdown(),
  };
}
