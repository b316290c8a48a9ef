/**
 * @module
 * Command-line parsing on `node:util` parseArgs. Returns a typed command or a
 * one-line error; the caller prints it with the usage and exits 2.
 */
import { parseArgs } from "node:util";
import type { ConfigOverrides } from "../config/config-types.ts";

export type CommandName = "serve" | "accounts" | "help" | "version";

export interface ParsedCommand {
  command: CommandName;
  configPath?: string;
  overrides: ConfigOverrides;
}

export type ParseResult = { ok: true; value: ParsedCommand } | { ok: false; message: string };

const OPTIONS = {
  config: { type: "string" },
  host: { type: "string" },
  port: { type: "string" },
  "auth-dir": { type: "string" },
  help: { type: "boolean", short: "h" },
  version: { type: "boolean", short: "v" },
} as const;

type OptionName = keyof typeof OPTIONS;

/** Which options each command takes (help and version take none). */
const COMMAND_OPTIONS: Record<CommandName, readonly OptionName[]> = {
  serve: ["config", "host", "port", "auth-dir"],
  accounts: ["config", "auth-dir"],
  help: [],
  version: [],
};

function isCommand(name: string): name is CommandName {
  return name in COMMAND_OPTIONS;
}

/** parseArgs' messages, shortened to the part a person needs. */
function describeParseError(error: Error): string {
  const unknown = /Unknown option '([^']+)'/.exec(error.message);
  if (unknown) return `unknown option '${unknown[1]}'`;
  const missing = /Option '([^' ]+)[^']*' argument missing/.exec(error.message);
  if (missing) return `option '${missing[1]}' needs a value`;
  const noValue = /Option '([^' ]+)[^']*' does not take an argument/.exec(error.message);
  if (noValue) return `option '${noValue[1]}' does not take a value`;
  return error.message.split(/\.\s/)[0];
}

export function parseCli(args: string[]): ParseResult {
  let parsed;
  try {
    parsed = parseArgs({ args, options: OPTIONS, allowPositionals: true, strict: true });
  } catch (error) {
    return { ok: false, message: describeParseError(error as Error) };
  }
  const { values, positionals } = parsed;
  if (values.help) return { ok: true, value: { command: "help", overrides: {} } };
  if (values.version) return { ok: true, value: { command: "version", overrides: {} } };

  const [name = "serve", ...rest] = positionals;
  if (!isCommand(name)) return { ok: false, message: `unknown command '${name}'` };
  if (rest.length) return { ok: false, message: `unexpected argument '${rest[0]}'` };
  for (const option of Object.keys(values) as OptionName[]) {
    if (values[option] !== undefined && !COMMAND_OPTIONS[name].includes(option)) {
      return { ok: false, message: `option '--${option}' does not apply to '${name}'` };
    }
  }

  const overrides: ConfigOverrides = {};
  if (values.host !== undefined) {
    if (values.host.trim() === "") return { ok: false, message: "--host needs an address" };
    overrides.host = values.host.trim();
  }
  if (values.port !== undefined) {
    const port = Number(values.port);
    if (!/^\d+$/.test(values.port) || port > 65535) {
      return {
        ok: false,
        message: `--port must be a whole number from 0 to 65535, not '${values.port}'`,
      };
    }
    overrides.port = port;
  }
  if (values["auth-dir"] !== undefined) {
    if (values["auth-dir"].trim() === "") return { ok: false, message: "--auth-dir needs a path" };
    overrides.authDir = values["auth-dir"];
  }
  if (values.config !== undefined && values.config.trim() === "") {
    return { ok: false, message: "--config needs a file path" };
  }
  return { ok: true, value: { command: name, configPath: values.config, overrides } };
}
