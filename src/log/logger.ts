/**
 * @module
 * A small leveled logger: one line per event, `key=value` fields, every line
 * redacted. Levels can change at run time (config reload). Control characters
 * (a file name may hold ESC or a newline) are escaped, so no value can move the
 * cursor or start a forged line.
 */
import { hasControl, printable, printableRedacted } from "./printable.ts";
import { redact } from "./redact.ts";

export type LogLevel = "debug" | "info" | "warn" | "error";
export type LogFields = Record<string, string | number | boolean | undefined>;

const RANK: Record<LogLevel, number> = { debug: 10, info: 20, warn: 30, error: 40 };

export interface Logger {
  debug(message: string, fields?: LogFields): void;
  info(message: string, fields?: LogFields): void;
  warn(message: string, fields?: LogFields): void;
  error(message: string, fields?: LogFields): void;
  setLevel(level: LogLevel): void;
}

export type LogSink = (line: string, level: LogLevel) => void;

const encoder = new TextEncoder();

let pending = "";
let scheduled = false;

function flush() {
  scheduled = false;
  if (!pending) return;
  const bytes = encoder.encode(pending);
  pending = "";
  for (let at = 0; at < bytes.length;) at += Deno.stderr.writeSync(bytes.subarray(at));
}
// Lines still waiting when the process exits are written then.
globalThis.addEventListener("unload", flush);

/**
 * Writes to stderr so stdout stays free for command output (tables, JSON). Debug and info lines
 * (one per request) are written together once per event-loop turn, which under load saves a
 * system call per request; warnings and errors are written at once, with any lines before them.
 */
export const stderrSink: LogSink = (line, level) => {
  pending += line + "\n";
  if (level === "warn" || level === "error") return flush();
  if (!scheduled) {
    scheduled = true;
    setTimeout(flush, 0);
  }
};

// Text with control characters is redacted before it is escaped: an escape glued to a token
// (`\nsk-ant-…`) would hide the token's word boundary from the redaction of the whole line.
function escapedMessage(message: string): string {
  return hasControl(message) ? printableRedacted(message) : message;
}

function formatValue(value: string | number | boolean): string {
  const text = String(value);
  // JSON.stringify escapes C0 controls; `printable` also catches C1, bidi and line separators.
  if (hasControl(text)) return printable(JSON.stringify(redact(text)));
  return /[\s"=]/.test(text) ? JSON.stringify(text) : text;
}

export function formatLine(level: LogLevel, message: string, fields?: LogFields): string {
  let line = `${new Date().toISOString()} ${level.toUpperCase().padEnd(5)} ${
    escapedMessage(message)
  }`;
  if (fields) {
    for (const [key, value] of Object.entries(fields)) {
      if (value !== undefined) line += ` ${key}=${formatValue(value)}`;
    }
  }
  return redact(line);
}

export function createLogger(level: LogLevel = "info", sink: LogSink = stderrSink): Logger {
  let threshold = RANK[level];
  const emit = (lineLevel: LogLevel) => (message: string, fields?: LogFields) => {
    if (RANK[lineLevel] >= threshold) sink(formatLine(lineLevel, message, fields), lineLevel);
  };
  return {
    debug: emit("debug"),
    info: emit("info"),
    warn: emit("warn"),
    error: emit("error"),
    setLevel(next) {
      threshold = RANK[next];
    },
  };
}
