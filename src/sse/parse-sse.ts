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

export function createSseParser(): SseParser {
  let buffer = "";
  let event: string | undefined;
  let data: string[] = [];
  let id: string | undefined;
  let pendingCr = false;

  const dispatch = (out: SseEvent[]) => {
    if (data.length > 0 || event !== undefined) {
      out.push({ event, data: data.join("\n"), id });
    }
    event = undefined;
    data = [];
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

  return {
    push(text) {
      const out: SseEvent[] = [];
      // A CR at the end of the last chunk may be the first half of a CRLF.
      if (pendingCr && text.charCodeAt(0) === 10) text = text.slice(1);
      pendingCr = false;
      buffer += text;
      let start = 0;
      if (buffer.indexOf("\r") === -1) {
        // LF-only lines, as every provider sends them: found natively, not char by char.
        for (let end = buffer.indexOf("\n"); end !== -1; end = buffer.indexOf("\n", start)) {
          line(buffer.slice(start, end), out);
          start = end + 1;
        }
        buffer = buffer.slice(start);
        return out;
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
      buffer = buffer.slice(start);
      return out;
    },
    end() {
      const out: SseEvent[] = [];
      if (buffer) line(buffer, out);
      buffer = "";
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
