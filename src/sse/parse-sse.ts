/**
 * @module
 * An incremental Server-Sent Events parser: feed it text as it arrives, get
 * back whole events. Works on each read buffer at once (several events per
 * call), never one stream stage per event. Handles CRLF, LF and CR line ends,
 * multi-line `data:` and comment lines.
 */

export interface SseEvent {
  /** The `event:` field, when the stream names its events (Anthropic, Responses). */
  event?: string;
  /** The `data:` lines joined with "\n". */
  data: string;
  id?: string;
}

export interface SseParser {
  /** Events completed by this chunk. */
  push(text: string): SseEvent[];
  /** A final event the stream ended without a blank line after. */
  end(): SseEvent[];
}

/** Largest event accepted unless the caller says otherwise (`sse-event-limit`). */
export const DEFAULT_MAX_EVENT = 16 * 1024 * 1024;

/** One event (or one line) grew past the limit: the upstream is broken or hostile. */
export class SseEventTooLarge extends Error {
  constructor(readonly limit: number) {
    super(`The upstream sent a stream event larger than ${Math.round(limit / 1048576)} MB.`);
    this.name = "SseEventTooLarge";
  }
}

/**
 * Linear in its input whatever the chunking: text without a line end is set aside and joined
 * only once its line ends (a 50 MB event in 64 KB reads is not rescanned per read), and an event
 * or line past `maxEvent` characters throws `SseEventTooLarge`.
 */
export function createSseParser(maxEvent = DEFAULT_MAX_EVENT): SseParser {
  /** The current line's start, in pieces: no line end in any of them. */
  let partial: string[] = [];
  let partialLength = 0;
  let event: string | undefined;
  let data: string[] = [];
  let dataLength = 0;
  let id: string | undefined;
  let pendingCr = false;

  const dispatch = (out: SseEvent[]) => {
    if (data.length > 0 || event !== undefined) {
      out.push({ event, data: data.join("\n"), id });
    }
    event = undefined;
    data = [];
    dataLength = 0;
    id = undefined;
  };

  const line = (text: string, out: SseEvent[]) => {
    if (text === "") return dispatch(out);
    if (text.charCodeAt(0) === 58 /* : */) return; // comment / keep-alive
    const colon = text.indexOf(":");
    const field = colon === -1 ? text : text.slice(0, colon);
    let value = colon === -1 ? "" : text.slice(colon + 1);
    if (value.charCodeAt(0) === 32) value = value.slice(1);
    switch (field) {
      case "data":
        dataLength += value.length + 1;
        if (dataLength > maxEvent) throw new SseEventTooLarge(maxEvent);
        data.push(value);
        break;
      case "event":
        event = value;
        break;
      case "id":
        id = value;
        break;
    }
  };

  /** Splits `buffer` (which holds at least one line end) into lines; returns the rest. */
  const lines = (buffer: string, hasCr: boolean, out: SseEvent[]): string => {
    let start = 0;
    if (!hasCr) {
      // LF-only lines, as every provider sends them: found natively, not char by char.
      for (let end = buffer.indexOf("\n"); end !== -1; end = buffer.indexOf("\n", start)) {
        line(buffer.slice(start, end), out);
        start = end + 1;
      }
      return buffer.slice(start);
    }
    for (let i = 0; i < buffer.length; i++) {
      const code = buffer.charCodeAt(i);
      if (code !== 10 && code !== 13) continue;
      line(buffer.slice(start, i), out);
      if (code === 13) {
        if (i + 1 === buffer.length) pendingCr = true;
        else if (buffer.charCodeAt(i + 1) === 10) i++;
      }
      start = i + 1;
    }
    return buffer.slice(start);
  };

  return {
    push(text) {
      const out: SseEvent[] = [];
      // A CR at the end of the last chunk may be the first half of a CRLF.
      if (pendingCr && text.charCodeAt(0) === 10) text = text.slice(1);
      pendingCr = false;
      // Earlier pieces hold no line end, so only the new text needs looking at.
      const hasLf = text.indexOf("\n") !== -1;
      const hasCr = text.indexOf("\r") !== -1;
      if (!hasLf && !hasCr) {
        partial.push(text);
        partialLength += text.length;
        if (partialLength > maxEvent) throw new SseEventTooLarge(maxEvent);
        return out;
      }
      const buffer = partial.length ? partial.join("") + text : text;
      const rest = lines(buffer, hasCr, out);
      partial = rest ? [rest] : [];
      partialLength = rest.length;
      if (partialLength > maxEvent) throw new SseEventTooLarge(maxEvent);
      return out;
    },
    end() {
      const out: SseEvent[] = [];
      const rest = partial.join("");
      partial = [];
      partialLength = 0;
      if (rest) line(rest, out);
      dispatch(out);
      return out;
    },
  };
}

/** One SSE event as text. Event names and ids never contain line breaks (Hono's guard). */
export function formatSse(data: string, event?: string): string {
  const name = event ? `event: ${event.replace(/[\r\n]/g, "")}\n` : "";
  return `${name}data: ${data.replace(/\r?\n/g, "\ndata: ")}\n\n`;
}
