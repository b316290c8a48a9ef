/**
 * @module
 * Command-line parsing on `node:util` parseArgs. Returns a typed command or a
 * one-line error; the caller prints it with the usage and exits 2.
 * CLIProxyAPI's login flags (`--claude-login`, `-codex-login`, …) map onto
 * `login <provider>`.
 */
import { parseArgs } from "node:util";
import type { ConfigOverrides } from "../config/config-types.ts";
import type { ProviderId } from "../providers/registry.ts";
import { parseDuration } from "../config/validate.ts";
import { USAGE_GROUPS, type UsageGroup } from "../usage/usage-store.ts";
import { CLIENT_NAMES, type ClientName, isClientName } from "./agent-clients.ts";
import { checkedUrl } from "./find-server.ts";
import { pinProvider } from "../proxy/resolve-model.ts";

export type CommandName =
  | "serve"
  | "accounts"
  | "login"
  | "logout"
  | "refresh"
  | "import"
  | "usage"
  | "run"
  | "env"
  | "statusline"
  | "store"
  | "help"
  | "version";

export interface LoginFlags {
  noBrowser: boolean;
  device: boolean;
  callbackPort?: number;
  timeoutSeconds: number;
}

export interface ParsedCommand {
  command: CommandName;
  /** The provider, account or tool a command names. */
  target?: string;
  configPath?: string;
  overrides: ConfigOverrides;
  login: LoginFlags;
  /** `import --link`: keep the vendor's file as the one source of tokens. */
  link: boolean;
  /** `usage`: how far back (seconds) and what to sum by. */
  usage: UsageFlags;
  /** `run` and `env`: the agent CLI and (for `run`) its own arguments, passed as they are. */
  client?: { name: ClientName; args: string[] };
  /** `run`, `env` and `statusline`: the subgate to use; `run` and `env`: the session's pins. */
  session: SessionFlags;
  /** `store import --from DIR` / `store export --to DIR`: the auth dir to read or write. */
  storeDir?: string;
}

export interface SessionFlags {
  /** `--url`: a running subgate, checked to be an absolute http(s) URL. */
  url?: string;
  model?: string;
  provider?: string;
  account?: string;
}

export interface UsageFlags {
  sinceSeconds: number;
  by: UsageGroup;
}

const DEFAULT_USAGE: UsageFlags = { sinceSeconds: 7 * 86400, by: "account" };

export type ParseResult = { ok: true; value: ParsedCommand } | { ok: false; message: string };

const OPTIONS = {
  config: { type: "string" },
  host: { type: "string" },
  port: { type: "string" },
  "auth-dir": { type: "string" },
  "no-browser": { type: "boolean" },
  "callback-port": { type: "string" },
  "oauth-callback-port": { type: "string" },
  device: { type: "boolean" },
  timeout: { type: "string" },
  link: { type: "boolean" },
  since: { type: "string" },
  by: { type: "string" },
  url: { type: "string" },
  model: { type: "string" },
  provider: { type: "string" },
  account: { type: "string" },
  from: { type: "string" },
  to: { type: "string" },
  "claude-login": { type: "boolean" },
  "codex-login": { type: "boolean" },
  "codex-device-login": { type: "boolean" },
  "gemini-login": { type: "boolean" },
  "kimi-login": { type: "boolean" },
  "qwen-login": { type: "boolean" },
  "copilot-login": { type: "boolean" },
  help: { type: "boolean", short: "h" },
  version: { type: "boolean", short: "v" },
} as const;

type OptionName = keyof typeof OPTIONS;

const LOGIN_OPTIONS: readonly OptionName[] = [
  "config",
  "auth-dir",
  "no-browser",
  "callback-port",
  "oauth-callback-port",
  "device",
  "timeout",
];

const SESSION_OPTIONS: readonly OptionName[] = [
  "config",
  "auth-dir",
  "url",
  "model",
  "provider",
  "account",
];

/** Which options each command takes. */
const COMMAND_OPTIONS: Record<CommandName, readonly OptionName[]> = {
  serve: ["config", "host", "port", "auth-dir"],
  accounts: ["config", "auth-dir"],
  login: LOGIN_OPTIONS,
  logout: ["config", "auth-dir"],
  refresh: ["config", "auth-dir"],
  import: ["config", "auth-dir", "link"],
  usage: ["config", "auth-dir", "since", "by"],
  run: SESSION_OPTIONS,
  env: SESSION_OPTIONS,
  statusline: ["config", "auth-dir", "url"],
  store: ["config", "auth-dir", "from", "to"],
  help: [],
  version: [],
};

/** What each command's positional argument is, and whether it is required. */
const TARGETS: Partial<Record<CommandName, { name: string; required: boolean }>> = {
  login: { name: "provider", required: true },
  logout: { name: "provider or account", required: true },
  refresh: { name: "account", required: false },
  import: { name: "tool", required: false },
  store: { name: "action (import or export)", required: true },
};

/** CLIProxyAPI's login flags, as `login <provider>` plus `--device` where it applies. */
const LOGIN_FLAGS: Record<string, { provider: ProviderId; device: boolean }> = {
  "claude-login": { provider: "claude", device: false },
  "codex-login": { provider: "codex", device: false },
  "codex-device-login": { provider: "codex", device: true },
  "gemini-login": { provider: "gemini", device: false },
  "kimi-login": { provider: "kimi", device: false },
  "qwen-login": { provider: "qwen", device: false },
  "copilot-login": { provider: "copilot", device: false },
};

function isCommand(name: string): name is CommandName {
  return name in COMMAND_OPTIONS;
}

/** Go's flag package accepts `-claude-login`; so do we, for long options only. */
function normalizeDashes(args: string[]): string[] {
  return args.map((arg) => {
    const match = /^-([a-z][a-z-]+)(=.*)?$/.exec(arg);
    return match && match[1] in OPTIONS ? `-${arg}` : arg;
  });
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

function wholeNumber(text: string, min: number, max: number): number | undefined {
  const value = Number(text);
  return /^\d+$/.test(text) && value >= min && value <= max ? value : undefined;
}

/** Commands whose first argument is an agent CLI, followed by that CLI's own arguments. */
const CLIENT_COMMANDS = new Set(["run", "env"]);

/** Whether `arg` is an option whose value is the next argument. */
function takesValue(arg: string): boolean {
  const name = arg.replace(/^--?/, "");
  return !name.includes("=") && OPTIONS[name as OptionName]?.type === "string";
}

/**
 * `subgate [options] run [options] <client> [its arguments…]`: everything after the client's
 * name is the client's, passed on untouched (`claude --model opus` is Claude Code's flag;
 * subgate's own go before the name).
 */
function splitClient(args: string[]): { own: string[]; client?: string; rest: string[] } {
  let command: string | undefined;
  for (let i = 0; i < args.length; i++) {
    const arg = args[i];
    if (arg.startsWith("-")) {
      if (takesValue(arg)) i++;
      continue;
    }
    if (command === undefined) {
      command = arg;
      if (!CLIENT_COMMANDS.has(arg)) break;
      continue;
    }
    return { own: args.slice(0, i), client: arg, rest: args.slice(i + 1) };
  }
  return { own: args, rest: [] };
}

/** Why a pin cannot travel in a header (Gemini CLI splits its header list at commas). */
function pinProblem(flag: string, value: string): string | undefined {
  if (value.trim() === "") return `--${flag} needs a value`;
  // deno-lint-ignore no-control-regex
  if (/[\u0000-\u001f\u007f,]/.test(value) || /[^\x20-\x7e]/.test(value)) {
    return `--${flag} must be printable ASCII without commas, not '${value}'`;
  }
  return undefined;
}

/** The session flags of `run` and `env`, or why one is wrong. */
function sessionFlags(
  values: Partial<Record<OptionName, string | boolean>>,
): SessionFlags | string {
  const session: SessionFlags = {};
  if (typeof values.url === "string") {
    const checked = checkedUrl(values.url.trim());
    if ("problem" in checked) return `--url: ${checked.problem}`;
    session.url = checked.url;
  }
  for (const flag of ["model", "provider", "account"] as const) {
    const value = values[flag];
    if (typeof value !== "string") continue;
    const problem = pinProblem(flag, value);
    if (problem) return problem;
    session[flag] = value.trim();
  }
  if (session.provider !== undefined && !pinProvider(session.provider)) {
    return `--provider must name a provider subgate serves, not '${session.provider}'`;
  }
  return session;
}

export function parseCli(args: string[]): ParseResult {
  const split = splitClient(normalizeDashes(args));
  let parsed;
  try {
    parsed = parseArgs({
      args: split.own,
      options: OPTIONS,
      allowPositionals: true,
      strict: true,
    });
  } catch (error) {
    return { ok: false, message: describeParseError(error as Error) };
  }
  const { values } = parsed;
  const positionals = [...parsed.positionals];
  const base = {
    overrides: {},
    login: { noBrowser: false, device: false, timeoutSeconds: 300 },
    link: false,
    usage: DEFAULT_USAGE,
    session: {},
  };
  if (values.help) return { ok: true, value: { command: "help", ...base } };
  if (values.version) return { ok: true, value: { command: "version", ...base } };

  const loginFlags = Object.keys(LOGIN_FLAGS).filter((flag) => values[flag as OptionName]);
  if (loginFlags.length > 1) {
    return { ok: false, message: `choose one of --${loginFlags.join(", --")}` };
  }
  if (loginFlags.length === 1) {
    if (positionals.length) {
      return {
        ok: false,
        message: `unexpected argument '${positionals[0]}' with --${loginFlags[0]}`,
      };
    }
    positionals.push("login", LOGIN_FLAGS[loginFlags[0]].provider);
  }

  const [name = "serve", ...rest] = positionals;
  if (!isCommand(name)) return { ok: false, message: `unknown command '${name}'` };
  let client: ParsedCommand["client"];
  if (CLIENT_COMMANDS.has(name)) {
    if (split.client === undefined) {
      return { ok: false, message: `'${name}' needs a client: ${CLIENT_NAMES.join(", ")}` };
    }
    if (!isClientName(split.client)) {
      return {
        ok: false,
        message: `unknown client '${split.client}'; subgate ${name} knows ${
          CLIENT_NAMES.join(", ")
        }`,
      };
    }
    if (name === "env" && split.rest.length) {
      return { ok: false, message: `unexpected argument '${split.rest[0]}'` };
    }
    client = { name: split.client, args: split.rest };
  }
  const target = TARGETS[name];
  if (target?.required && rest.length === 0) {
    return { ok: false, message: `'${name}' needs a ${target.name}` };
  }
  if (rest.length > (target ? 1 : 0)) {
    return { ok: false, message: `unexpected argument '${rest[target ? 1 : 0]}'` };
  }
  const allowed = new Set<string>([...COMMAND_OPTIONS[name], ...Object.keys(LOGIN_FLAGS)]);
  for (const option of Object.keys(values)) {
    if (values[option as OptionName] !== undefined && !allowed.has(option)) {
      return { ok: false, message: `option '--${option}' does not apply to '${name}'` };
    }
  }

  const overrides: ConfigOverrides = {};
  if (values.host !== undefined) {
    if (values.host.trim() === "") return { ok: false, message: "--host needs an address" };
    overrides.host = values.host.trim();
  }
  if (values.port !== undefined) {
    const port = wholeNumber(values.port, 0, 65535);
    if (port === undefined) {
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

  const login: LoginFlags = {
    noBrowser: values["no-browser"] ?? false,
    device: (values.device ?? false) ||
      loginFlags.some((flag) => LOGIN_FLAGS[flag].device),
    timeoutSeconds: 300,
  };
  const callbackPort = values["callback-port"] ?? values["oauth-callback-port"];
  if (callbackPort !== undefined) {
    const port = wholeNumber(callbackPort, 1, 65535);
    if (port === undefined) {
      return {
        ok: false,
        message: `--callback-port must be a port from 1 to 65535, not '${callbackPort}'`,
      };
    }
    login.callbackPort = port;
  }
  if (values.timeout !== undefined) {
    const seconds = wholeNumber(values.timeout, 1, 86400);
    if (seconds === undefined) {
      return {
        ok: false,
        message: `--timeout must be a number of seconds, not '${values.timeout}'`,
      };
    }
    login.timeoutSeconds = seconds;
  }
  const usage = { ...DEFAULT_USAGE };
  if (values.since !== undefined) {
    // A unit is required: a bare `7` would read as seconds, which nobody means.
    const seconds = /^\s*(\d+[smhd])+\s*$/i.test(values.since)
      ? parseDuration(values.since)
      : undefined;
    if (!seconds) {
      return {
        ok: false,
        message: `--since must be a duration such as 30m, 24h or 7d, not '${values.since}'`,
      };
    }
    usage.sinceSeconds = seconds;
  }
  if (values.by !== undefined) {
    if (!USAGE_GROUPS.includes(values.by as UsageGroup)) {
      return {
        ok: false,
        message: `--by must be one of ${USAGE_GROUPS.join(", ")}, not '${values.by}'`,
      };
    }
    usage.by = values.by as UsageGroup;
  }
  const session = sessionFlags(values);
  if (typeof session === "string") return { ok: false, message: session };
  if (name === "store") {
    if (rest[0] !== "import" && rest[0] !== "export") {
      return { ok: false, message: `'store' takes import or export, not '${rest[0]}'` };
    }
    if (rest[0] === "import" && values.to !== undefined) {
      return { ok: false, message: "option '--to' applies to 'store export'" };
    }
    if (rest[0] === "export" && values.from !== undefined) {
      return { ok: false, message: "option '--from' applies to 'store import'" };
    }
  }
  const storeDir = values.from ?? values.to;
  if (storeDir !== undefined && storeDir.trim() === "") {
    return {
      ok: false,
      message: `--${values.from !== undefined ? "from" : "to"} needs a directory`,
    };
  }
  return {
    ok: true,
    value: {
      command: name,
      target: rest[0],
      configPath: values.config,
      overrides,
      login,
      link: values.link ?? false,
      usage,
      client,
      session,
      storeDir,
    },
  };
}
