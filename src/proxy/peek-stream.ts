/**
 * @module
 * Looks at the start of an upstream stream before answering the client: an
 * upstream that reports failures inside a 200 stream (the Codex backend does)
 * is judged by its first events, so a failure before any content can still
 * move the request to another account. Only such upstreams pay for this; the
 * others' streams are handed to the client untouched.
 */
import type { StreamDecoder } from "../dialects/codec.ts";
import type { ApiError } from "../errors/api-error.ts";
import { createSseParser } from "../sse/parse-sse.ts";

const LOOK_AHEAD_LIMIT = 256 * 1024;

export interface Peeked {
  /** The failure the stream opened with, if it did. */
  error?: ApiError;
  /** The whole stream again, the peeked bytes first. */
  stream: ReadableStream<Uint8Array>;
}

export async function peekStream(
  body: ReadableStream<Uint8Array>,
  decoder: StreamDecoder,
  maxEvent: number,
): Promise<Peeked> {
  const reader = body.getReader();
  const seen: Uint8Array[] = [];
  const parser = createSseParser(maxEvent);
  const text = new TextDecoder();
  let bytes = 0;
  let error: ApiError | undefined;
  let done = false;
  try {
    look: while (bytes < LOOK_AHEAD_LIMIT) {
      const next = await reader.read();
      if (next.done) {
        done = true;
        break;
      }
      seen.push(next.value);
      bytes += next.value.length;
      for (const event of parser.push(text.decode(next.value, { stream: true }))) {
        for (const canonical of decoder.decode(event)) {
          if (canonical.type === "error") {
            error = canonical.error;
            break look;
          }
          if (canonical.type !== "start" && canonical.type !== "usage") break look;
        }
      }
    }
  } catch (broken) {
    // The stream broke, or sent an event too large, before any content: a failed attempt.
    await reader.cancel().catch(() => {});
    const message = `The upstream's stream failed: ${(broken as Error).message}`;
    return { error: { kind: "api_error", status: 502, message }, stream: new ReadableStream() };
  }
  let index = 0;
  const stream = new ReadableStream<Uint8Array>({
    async pull(controller) {
      if (index < seen.length) return controller.enqueue(seen[index++]);
      if (done) return controller.close();
      const next = await reader.read();
      if (next.done) controller.close();
      else controller.enqueue(next.value);
    },
    cancel: (reason) => reader.cancel(reason),
  });
  return { error, stream };
}
