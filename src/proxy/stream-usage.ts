/**
 * @module
 * The usage of a passthrough stream, read without parsing it as it passes.
 * Every dialect reports usage at the start of its stream or near its end
 * (Anthropic's `message_start` and `message_delta`, the Responses API's
 * `response.completed`, Chat's final usage chunk, Gemini's last
 * `usageMetadata`). So the tap keeps, by reference, the stream's first few
 * KB and its last few KB (never less than the whole last event, however
 * large: `response.completed` repeats the answer), and when the stream ends
 * decodes only the first two and the last four events with the dialect's own
 * stream decoder (decoding every content event cost a passthrough stream
 * more than all the rest of its bookkeeping). Per read buffer it costs a push
 * and a backward search for the last event boundary.
 */
import type { StreamDecoder } from "../dialects/codec.ts";
import type { ApiError } from "../errors/api-error.ts";
import type { Usage } from "../ir/response.ts";
import type { StreamEvent } from "../ir/stream-event.ts";
import { emptyUsage, mergeUsage } from "../ir/usage.ts";
import { createSseParser } from "../sse/parse-sse.ts";

/** What a stream reported about itself: its usage, and an error event it carried. */
export interface StreamReport {
  usage?: Usage;
  error?: ApiError;
}

export interface UsageTap {
  /** Each read buffer as it passes to the client. */
  see(chunk: Uint8Array): void;
  /** At the end (or when the stream was cut): what the kept events report. */
  read(): StreamReport;
}

const HEAD_BYTES = 16 * 1024;
const TAIL_BYTES = 16 * 1024;
/**
 * Events decoded at each end: usage comes in the first (Anthropic's `message_start`) and among
 * the last few (`message_delta` before `message_stop`, Chat's usage chunk before `[DONE]`, the
 * Responses API's `response.completed`, Gemini's last chunk), and so does an error event.
 */
const HEAD_EVENTS = 2;
const TAIL_EVENTS = 4;
const LF = 10;
const CR = 13;

interface Kept {
  bytes: Uint8Array;
  /** Its position in the stream, in buffers. */
  index: number;
}

/** Where the last event with content starts in `chunk` (after a blank line), or -1. */
function lastEventStart(chunk: Uint8Array): number {
  let last = chunk.length - 1;
  while (last >= 0 && (chunk[last] === LF || chunk[last] === CR)) last--;
  if (last < 0) return -1;
  let at = chunk.lastIndexOf(LF, last);
  while (at > 0) {
    const before = chunk[at - 1];
    if (before === LF || (before === CR && at > 1 && chunk[at - 2] === LF)) return at + 1;
    at = chunk.lastIndexOf(LF, at - 1);
  }
  return -1;
}

/** Whether `chunk` ends with a blank line, so the next buffer starts an event. */
function endsEvent(chunk: Uint8Array): boolean {
  const n = chunk.length;
  if (n < 2 || chunk[n - 1] !== LF) return false;
  return chunk[n - 2] === LF || (n >= 3 && chunk[n - 2] === CR && chunk[n - 3] === LF);
}

/** Whether `chunk` holds anything but line ends. */
function hasContent(chunk: Uint8Array): boolean {
  for (let i = chunk.length - 1; i >= 0; i--) {
    if (chunk[i] !== LF && chunk[i] !== CR) return true;
  }
  return false;
}

function join(parts: readonly Uint8Array[]): Uint8Array {
  if (parts.length === 1) return parts[0];
  const out = new Uint8Array(parts.reduce((sum, part) => sum + part.length, 0));
  let at = 0;
  for (const part of parts) {
    out.set(part, at);
    at += part.length;
  }
  return out;
}

/** Where the first `count` events of `text` end (after their blank lines), or its end. */
function firstEventsEnd(text: string, count: number): number {
  const blank = /\r?\n\r?\n|\r\r/g;
  let end = 0;
  for (let i = 0; i < count; i++) {
    const match = blank.exec(text);
    if (!match) return text.length;
    end = match.index + match[0].length;
  }
  return end;
}

/**
 * Where the last `count` events of `text` start (after the blank line before them), or 0. A scan
 * backwards, char by char, over those events only (`lastIndexOf` of a line-end style the stream
 * does not use would search it all).
 */
function lastEventsStart(text: string, count: number): number {
  const isEnd = (at: number) => {
    const c = text.charCodeAt(at);
    return c === LF || c === CR;
  };
  let i = text.length - 1;
  while (i >= 0 && isEnd(i)) i--;
  let found = 0;
  for (; i > 0; i--) {
    const c = text.charCodeAt(i);
    const before = text.charCodeAt(i - 1);
    const blank = (c === LF && before === LF) || (c === CR && before === CR) ||
      (c === LF && before === CR && i >= 2 && text.charCodeAt(i - 2) === LF);
    if (!blank) continue;
    if (++found === count) return i + 1;
    while (i > 0 && isEnd(i - 1)) i--;
  }
  return 0;
}

/**
 * A tap for one stream: `decoder` makes the dialect's stream decoder (at the end only), and
 * `maxEvent` bounds what is kept for one last event (`sse-event-limit`): an upstream that never
 * ends its event cannot make the tap hold more.
 */
export function createUsageTap(decoder: () => StreamDecoder, maxEvent: number): UsageTap {
  const head: Uint8Array[] = [];
  let headBytes = 0;
  let seen = 0;
  const tail: Kept[] = [];
  let tailBytes = 0;
  /** The kept buffer (index into `tail`) where the last event with content starts. */
  let lastStart = 0;
  let nextStartsEvent = true;
  /** Whether the first kept tail buffer starts at an event's start. */
  let tailAligned = true;

  return {
    see(chunk) {
      if (chunk.length === 0) return;
      const index = seen++;
      if (headBytes < HEAD_BYTES) {
        head.push(chunk);
        headBytes += chunk.length;
      }
      const starts = lastEventStart(chunk) >= 0 || (nextStartsEvent && hasContent(chunk));
      tail.push({ bytes: chunk, index });
      tailBytes += chunk.length;
      if (starts) lastStart = tail.length - 1;
      const ends = endsEvent(chunk);
      nextStartsEvent = ends;
      // Drop the oldest buffers while the rest still hold TAIL_BYTES and the last event's start
      // (but never keep more than one event may hold).
      while (
        tail.length > 1 &&
        ((lastStart > 0 && tailBytes - tail[0].bytes.length >= TAIL_BYTES) ||
          tailBytes - tail[0].bytes.length > maxEvent)
      ) {
        const gone = tail.shift()!;
        tailBytes -= gone.bytes.length;
        tailAligned = endsEvent(gone.bytes);
        lastStart = Math.max(0, lastStart - 1);
      }
    },

    read() {
      const state = {
        usage: undefined as Usage | undefined,
        error: undefined as ApiError | undefined,
      };
      const stream = decoder();
      const apply = (events: StreamEvent[], errors = true) => {
        for (const event of events) {
          if (event.type === "start" || event.type === "usage" || event.type === "finish") {
            if (event.usage) state.usage = mergeUsage(state.usage ?? emptyUsage(), event.usage);
          } else if (event.type === "error" && errors) state.error = event.error;
        }
      };
      const parse = (text: string, final: boolean) => {
        const parser = createSseParser(Number.MAX_SAFE_INTEGER);
        const events = parser.push(text);
        if (final) events.push(...parser.end());
        for (const event of events) {
          try {
            apply(stream.decode(event));
          } catch {
            // An event cut short or out of context: it reports nothing.
          }
        }
      };
      try {
        if (seen === 0) return {};
        const decode = (parts: Uint8Array[]) => new TextDecoder().decode(join(parts));
        // Only the first and the last few events are decoded: the rest is content.
        const ends = (text: string) => text.slice(lastEventsStart(text, TAIL_EVENTS));
        if (tail[0].index <= head.length) {
          // Head and tail meet: the whole stream is kept; its ends parsed once each.
          const text = decode([...head.slice(0, tail[0].index), ...tail.map((kept) => kept.bytes)]);
          const headEnd = firstEventsEnd(text, HEAD_EVENTS);
          const tailStart = lastEventsStart(text, TAIL_EVENTS);
          if (tailStart <= headEnd) parse(text, true);
          else {
            parse(text.slice(0, headEnd), false);
            parse(text.slice(tailStart), true);
          }
        } else {
          const first = decode(head);
          parse(first.slice(0, firstEventsEnd(first, HEAD_EVENTS)), false);
          const text = decode(tail.map((kept) => kept.bytes));
          parse(ends(tailAligned ? text : text.slice(firstEventsEnd(text, 1))), true);
        }
        // What the decoder owes at the end, but its complaint: it saw only part of the stream,
        // and a stream that really was cut is known to the stage that watched it.
        apply(stream.end(), false);
      } catch {
        // What could be read stands.
      }
      return state;
    },
  };
}
