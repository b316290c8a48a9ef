/**
 * @module
 * A passthrough stream handed to the client as the upstream sends it, and
 * watched for one thing: the upstream breaking off. Then the account is told
 * (it failed like a server error) and the client's stream ends with its
 * dialect's error event when the bytes so far end between events; in the
 * middle of an event, an appended event would corrupt the one cut short, so
 * the stream is broken off as the upstream's was. One read per upstream
 * buffer, nothing per event. For the request's record it reports how the
 * stream ended, and hands each buffer to a usage tap (`stream-usage.ts`),
 * which keeps the few it needs by reference.
 */
import type { OnStreamEnd } from "./record-request.ts";
import type { UsageTap } from "./stream-usage.ts";

const LF = 10;

export interface WatchOptions {
  /** Sees every buffer handed on, to read the stream's usage at its end. */
  tap?: UsageTap;
  /** Told once how the client's stream ended. */
  onEnd?: OnStreamEnd;
}

export function watchedStream(
  body: ReadableStream<Uint8Array>,
  onBreak: (reason: string) => void,
  errorEvent: (reason: string) => string,
  options: WatchOptions = {},
): ReadableStream<Uint8Array> {
  const reader = body.getReader();
  const { tap, onEnd } = options;
  // The last two bytes sent: "\n\n" means the stream stands between two events.
  let last = 0;
  let beforeLast = 0;
  // The client leaving cancels the upstream read: that is no break of the upstream's.
  let cancelled = false;
  let firstByteAt: number | undefined;
  const report = tap && (() => tap.read());
  const ended = (status: number, reason?: string) => {
    onEnd?.({ status, firstByteAt, reason, report });
  };
  return new ReadableStream<Uint8Array>({
    async pull(controller) {
      let next: ReadableStreamReadResult<Uint8Array>;
      try {
        next = await reader.read();
      } catch (error) {
        if (cancelled) return;
        const reason = `The upstream broke off the stream: ${(error as Error).message}`;
        onBreak(reason);
        if (last === LF && beforeLast === LF) {
          controller.enqueue(new TextEncoder().encode(errorEvent(reason)));
          controller.close();
        } else controller.error(error);
        ended(502, reason);
        return;
      }
      if (next.done) {
        controller.close();
        ended(200);
        return;
      }
      const chunk = next.value;
      if (chunk.length >= 2) {
        [beforeLast, last] = [chunk[chunk.length - 2], chunk[chunk.length - 1]];
      } else if (chunk.length === 1) [beforeLast, last] = [last, chunk[0]];
      tap?.see(chunk);
      firstByteAt ??= performance.now();
      controller.enqueue(chunk);
    },
    cancel(reason) {
      cancelled = true;
      ended(499);
      return reader.cancel(reason);
    },
  });
}
