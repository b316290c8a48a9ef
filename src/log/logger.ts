/**
 * @module
 * A small leveled logger: one line per event, `key=value` fields, every line
 * redacted. Levels can change at run time (config reload).
 */
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

/** Writes to stderr so stdout stays free for command output (tables, JSON). */
export const stderrSink: LogSink = (line) => {
  Deno.stderr.writeSync(encoder.encode(line + "\n"));
};

function formatValue(value: string | number | boolean): string {
  const text = String(value);
  return /[\s"=]/.test(text) ? JSON.stringify(text) : text;
}

export function formatLine(level: LogLevel, message: string, fields?: LogFields): string {
  let line = `${new Date().toISOString()} ${level.toUpperCase().padEnd(5)} ${message}`;
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
