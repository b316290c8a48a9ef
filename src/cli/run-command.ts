/**
 * @module
 * `subgate run <client> [args…]`: runs an agent CLI against subgate with everything it needs
 * set (see `agent-clients.ts`), in the foreground with the terminal, and exits with its exit
 * code. It uses the subgate that is running (`find-server.ts`) or starts one inside this
 * process for the session: on 127.0.0.1 and a free port, its log in a file in the auth dir,
 * stopped when the client exits. The client is found on PATH; the permission set lets subgate
 * run these clients by name and nothing else. Claude Code also gets subgate's status line
 * unless the user has one (`claude-statusline.ts`).
 *
 * Signals: Ctrl-C reaches the client from the terminal (it decides what it means; Claude Code
 * asks twice), so subgate ignores SIGINT while the client runs; SIGTERM and SIGHUP are passed
 * on to the client.
 */
import { join } from "node:path";
import type { Config } from "../config/config-types.ts";
import { ensurePrivateDir } from "../fs/write-file-atomic.ts";
import { printable } from "../log/printable.ts";
import { expandPath } from "../config/paths.ts";
import { CLIENT_TITLES, type ClientName, clientSetup } from "./agent-clients.ts";
import { statuslineArgs } from "./claude-statusline.ts";
import { findServer } from "./find-server.ts";
import { type GeminiHome, prepareGeminiHome } from "./gemini-home.ts";
import { loadStartupConfig, type StartupConfig } from "./load-startup-config.ts";
import type { ParsedCommand } from "./parse-cli.ts";
import { startServing } from "./serve-command.ts";
import { configKeyInClear, type SessionKey, sessionKey } from "./session-key.ts";

/** Session logs kept in `<auth-dir>/logs/` (the oldest go first). */
const KEPT_LOGS = 20;
/** How long a running server may take to pick up the session's key from `keys.json`. */
const KEY_PICKUP_MS = 5000;

/** Exit code for a client that cannot be started (as a shell says for a missing command). */
const NOT_FOUND = 127;

function say(text: string) {
  console.error(printable(`subgate: ${text}`));
}

/** The user's home (for Gemini CLI's real settings). */
export function userHome(): string {
  return Deno.env.get("HOME") ?? Deno.env.get("USERPROFILE") ?? ".";
}

/** A log file for a session server, the oldest beyond {@link KEPT_LOGS} removed. */
async function openSessionLog(authDir: string, client: ClientName) {
  const dir = join(authDir, "logs");
  await ensurePrivateDir(dir);
  const stamp = new Date().toISOString().replace(/[-:]/g, "").replace(/\..*$/, "");
  const path = join(dir, `run-${client}-${stamp}-${Deno.pid}.log`);
  const file = await Deno.open(path, { create: true, append: true, mode: 0o600 });
  const logs: string[] = [];
  for await (const entry of Deno.readDir(dir)) {
    if (entry.isFile && /^run-.*\.log$/.test(entry.name)) logs.push(entry.name);
  }
  for (const old of logs.sort().reverse().slice(KEPT_LOGS)) {
    await Deno.remove(join(dir, old)).catch(() => {});
  }
  const encoder = new TextEncoder();
  return {
    path,
    sink: (line: string) => {
      const bytes = encoder.encode(line + "\n");
      for (let at = 0; at < bytes.length;) at += file.writeSync(bytes.subarray(at));
    },
    close: () => file.close(),
  };
}

/**
 * Whether the server at `url` takes `key`. A running server reads `keys.json` within a second:
 * the first look waits that long, so its log rarely shows the key refused while it was new.
 */
async function waitForKey(url: string, key: string, started: boolean): Promise<boolean> {
  const deadline = Date.now() + KEY_PICKUP_MS;
  if (!started) await new Promise((resolve) => setTimeout(resolve, 1100));
  while (true) {
    try {
      const response = await fetch(`${url}/v1/models`, {
        headers: { authorization: `Bearer ${key}` },
        signal: AbortSignal.timeout(2000),
      });
      await response.body?.cancel();
      if (response.status !== 401) return true;
    } catch {
      // Not answering now; the deadline decides.
    }
    if (Date.now() >= deadline) return false;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

interface Server {
  url: string;
  /** Started for the session (it read the session's key at its start). */
  started: boolean;
  /** Stops a server started for the session (nothing for one found running). */
  stop(): Promise<void>;
}

/** The running server, or one started for the session; a sentence when neither can be had. */
async function serverFor(
  startup: StartupConfig,
  command: ParsedCommand,
  client: ClientName,
): Promise<Server | string> {
  const found = await findServer(startup.config, command.session.url);
  if (found.found) {
    say(`${CLIENT_TITLES[client].title} uses the subgate at ${found.url}`);
    return { url: found.url, started: false, stop: () => Promise.resolve() };
  }
  if (found.problem) return found.problem;
  const log = await openSessionLog(startup.config.authDir, client);
  const overrides = { ...command.overrides, host: "127.0.0.1", port: 0 };
  const config: Config = { ...startup.config, host: "127.0.0.1", port: 0 };
  const server = await startServing({
    startup: { ...startup, config },
    overrides,
    sink: log.sink,
    private: true,
  });
  if (typeof server === "string") {
    log.close();
    return `cannot start subgate for the session: ${server}`;
  }
  say(`started subgate for this session on ${server.url} (log: ${log.path})`);
  return {
    url: server.url,
    started: true,
    stop: async () => {
      server.stop();
      await server.finished;
      log.close();
    },
  };
}

/** Runs the client to its end; its exit code (128 + the signal's number when one ended it). */
async function runClient(
  client: ClientName,
  args: string[],
  env: Record<string, string>,
): Promise<number> {
  let child: Deno.ChildProcess;
  try {
    child = new Deno.Command(client, {
      args,
      env,
      stdin: "inherit",
      stdout: "inherit",
      stderr: "inherit",
    }).spawn();
  } catch (error) {
    const { title, install } = CLIENT_TITLES[client];
    if (error instanceof Deno.errors.NotFound || error instanceof Deno.errors.NotCapable) {
      say(`${client} was not found on PATH: install ${title} (${install}) and run this again`);
      return NOT_FOUND;
    }
    say(`cannot start ${client}: ${(error as Error).message}`);
    return NOT_FOUND;
  }
  const ignore = () => {};
  const forward = (signal: Deno.Signal) => () => {
    try {
      child.kill(signal);
    } catch {
      // Already gone.
    }
  };
  const windows = Deno.build.os === "windows";
  const listeners: [Deno.Signal, () => void][] = windows
    ? [["SIGINT", ignore], ["SIGBREAK", ignore]]
    : [["SIGINT", ignore], ["SIGTERM", forward("SIGTERM")], ["SIGHUP", forward("SIGHUP")]];
  for (const [signal, listener] of listeners) Deno.addSignalListener(signal, listener);
  try {
    return (await child.status).code;
  } finally {
    for (const [signal, listener] of listeners) Deno.removeSignalListener(signal, listener);
  }
}

export async function runCommand(command: ParsedCommand): Promise<number> {
  const { name: client, args } = command.client!;
  const startup = await loadStartupConfig(command);
  if (!startup) return 1;
  let gemini: GeminiHome | undefined;
  if (client === "gemini") {
    try {
      gemini = await prepareGeminiHome(startup.config.authDir, userHome());
    } catch (error) {
      say((error as Error).message);
      return 1;
    }
  }
  let key: SessionKey;
  try {
    key = await sessionKey(startup.config, client);
  } catch (error) {
    say((error as Error).message);
    return 1;
  }
  const server = await serverFor(startup, command, client);
  if (typeof server === "string") {
    await key.revoke();
    say(server);
    return 1;
  }
  try {
    let clientKey = key.key;
    if (key.name && !await waitForKey(server.url, key.key, server.started)) {
      const inClear = configKeyInClear(startup.config);
      if (!inClear) {
        say(
          `the subgate at ${server.url} does not accept this session's key: it reads another ` +
            `auth dir than ${startup.config.authDir} (pass the same --auth-dir or --config)`,
        );
        return 1;
      }
      clientKey = inClear;
    }
    const setup = clientSetup(client, {
      url: server.url,
      key: clientKey,
      pins: command.session,
      geminiHome: gemini,
    });
    const statusline = client === "claude"
      ? await statuslineArgs({
        url: server.url,
        configPath: startup.location.explicit ? startup.location.path : undefined,
        authDir: command.overrides.authDir && expandPath(command.overrides.authDir),
      }, { args, home: userHome(), cwd: Deno.cwd() })
      : [];
    return await runClient(client, [...setup.args, ...statusline, ...args], setup.env);
  } finally {
    await server.stop();
    await key.revoke();
  }
}
