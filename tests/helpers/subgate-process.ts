/**
 * @module
 * Runs subgate the way users do: `deno run` with the permission set from
 * deno.json (`-P=subgate`), in a fresh HOME, and reads what it prints.
 */
import { fileURLToPath as fromFileUrl } from "node:url";

export const REPO_ROOT = fromFileUrl(new URL("../../", import.meta.url));
const MAIN = fromFileUrl(new URL("../../main.ts", import.meta.url));

let denoDir: string | undefined;

/** Deno's cache dir, so a child with another HOME reuses the downloaded npm packages. */
export async function cacheDir(): Promise<string> {
  if (denoDir) return denoDir;
  const fromEnv = Deno.env.get("DENO_DIR");
  if (fromEnv) return denoDir = fromEnv;
  const out = await new Deno.Command(Deno.execPath(), { args: ["info", "--json"], stdout: "piped" })
    .output();
  return denoDir = JSON.parse(new TextDecoder().decode(out.stdout)).denoDir as string;
}

export async function childEnv(home: string, extra: Record<string, string> = {}) {
  const env: Record<string, string> = {
    HOME: home,
    USERPROFILE: home,
    DENO_DIR: await cacheDir(),
    NO_COLOR: "1",
    ...extra,
  };
  for (const name of ["PATH", "SystemRoot", "TEMP", "TMP", "TMPDIR"]) {
    const value = Deno.env.get(name);
    if (value !== undefined && env[name] === undefined) env[name] = value;
  }
  return env;
}

export function subgateArgs(args: string[]): string[] {
  return ["run", "-q", "--no-prompt", "-P=subgate", MAIN, ...args];
}

export interface RunResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs one subgate command to completion. */
export async function runSubgate(
  args: string[],
  options: { home: string; env?: Record<string, string> },
): Promise<RunResult> {
  const out = await new Deno.Command(Deno.execPath(), {
    args: subgateArgs(args),
    cwd: REPO_ROOT,
    env: await childEnv(options.home, options.env),
    clearEnv: true,
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).output();
  const decoder = new TextDecoder();
  return { code: out.code, stdout: decoder.decode(out.stdout), stderr: decoder.decode(out.stderr) };
}

export interface RunningSubgate {
  url: string;
  /** The server's process id (for its memory use, or a signal). */
  pid: number;
  /** Everything printed on stderr so far (the log). */
  log(): string;
  /** Waits until the log matches `pattern`, or fails after `timeoutMs`. */
  waitForLog(pattern: RegExp, timeoutMs?: number): Promise<string>;
  /** Sends a signal and waits for the exit. */
  stop(signal?: Deno.Signal): Promise<Deno.CommandStatus>;
  status: Promise<Deno.CommandStatus>;
}

/** The program and arguments that run `deno args`, under an open-file limit when one is given. */
function command(args: string[], openFileLimit?: number): [string, string[]] {
  if (openFileLimit === undefined) return [Deno.execPath(), args];
  // exec keeps the process id: the limit applies to subgate itself, not to a shell around it.
  return ["sh", ["-c", `ulimit -n ${openFileLimit} && exec "$0" "$@"`, Deno.execPath(), ...args]];
}

/**
 * Starts `subgate serve` on a free port and waits until it listens; with `openFileLimit`, under
 * that `ulimit -n`.
 */
export async function startSubgate(
  args: string[],
  options: { home: string; env?: Record<string, string>; openFileLimit?: number },
): Promise<RunningSubgate> {
  const [program, programArgs] = command(
    subgateArgs(["serve", "--port", "0", ...args]),
    options.openFileLimit,
  );
  const child = new Deno.Command(program, {
    args: programArgs,
    cwd: REPO_ROOT,
    env: await childEnv(options.home, options.env),
    clearEnv: true,
    stdin: "null",
    stdout: "null",
    stderr: "piped",
  }).spawn();
  let text = "";
  let notify: () => void = () => {};
  const reading = (async () => {
    const decoder = new TextDecoder();
    for await (const chunk of child.stderr) {
      text += decoder.decode(chunk, { stream: true });
      notify();
    }
  })();
  const status = child.status.then(async (s) => {
    await reading;
    notify();
    return s;
  });
  let exited = false;
  status.then(() => exited = true);

  const waitForLog = async (pattern: RegExp, timeoutMs = 10_000) => {
    const deadline = Date.now() + timeoutMs;
    while (true) {
      const match = pattern.exec(text);
      if (match) return match[0];
      if (exited) throw new Error(`subgate exited before logging ${pattern}:\n${text}`);
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`timed out waiting for ${pattern}; log so far:\n${text}`);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, Math.min(left, 50));
        notify = () => {
          clearTimeout(timer);
          resolve();
        };
      });
    }
  };

  let url: string;
  try {
    url = (await waitForLog(/listening on (http:\/\/\S+)/)).split("listening on ")[1];
  } catch (error) {
    if (!exited) child.kill("SIGKILL");
    await status;
    throw error;
  }
  return {
    url,
    pid: child.pid,
    log: () => text,
    waitForLog,
    status,
    async stop(signal: Deno.Signal = "SIGTERM") {
      if (!exited) child.kill(signal);
      return await status;
    },
  };
}

/** A temp dir removed after `fn`, whatever happens. */
export async function withTempHome<T>(fn: (home: string) => Promise<T>): Promise<T> {
  const home = await Deno.makeTempDir({ prefix: "subgate-test-" });
  try {
    return await fn(home);
  } finally {
    await Deno.remove(home, { recursive: true }).catch(() => {});
  }
}

/** Polls `check` until it returns true, for at most `timeoutMs`. */
export async function eventually(
  check: () => Promise<boolean>,
  timeoutMs = 3000,
  what = "condition",
): Promise<number> {
  const started = Date.now();
  while (Date.now() - started < timeoutMs) {
    if (await check()) return Date.now() - started;
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
  throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
}

export interface InteractiveSubgate {
  /** stdout and stderr so far, interleaved as they arrived. */
  output(): string;
  waitForOutput(pattern: RegExp, timeoutMs?: number): Promise<RegExpExecArray>;
  /** Types a line on stdin. */
  typeLine(line: string): Promise<void>;
  closeStdin(): Promise<void>;
  kill(signal?: Deno.Signal): void;
  status: Promise<Deno.CommandStatus>;
}

/** Runs a subgate command that talks to a person (login): stdin writable, output readable. */
export async function spawnSubgate(
  args: string[],
  options: { home: string; env?: Record<string, string> },
): Promise<InteractiveSubgate> {
  const child = new Deno.Command(Deno.execPath(), {
    args: subgateArgs(args),
    cwd: REPO_ROOT,
    env: await childEnv(options.home, options.env),
    clearEnv: true,
    stdin: "piped",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  let text = "";
  const listeners = new Set<() => void>();
  const pump = async (stream: ReadableStream<Uint8Array>) => {
    const decoder = new TextDecoder();
    for await (const chunk of stream) {
      text += decoder.decode(chunk, { stream: true });
      for (const listener of listeners) listener();
    }
  };
  const pumps = Promise.all([pump(child.stdout), pump(child.stderr)]);
  let exited = false;
  const status = child.status.then(async (s) => {
    exited = true;
    await pumps;
    for (const listener of listeners) listener();
    return s;
  });
  const writer = child.stdin.getWriter();
  let stdinClosed = false;
  return {
    output: () => text,
    async waitForOutput(pattern, timeoutMs = 15_000) {
      const deadline = Date.now() + timeoutMs;
      while (true) {
        const match = pattern.exec(text);
        if (match) return match;
        if (exited) throw new Error(`subgate exited before printing ${pattern}:\n${text}`);
        const left = deadline - Date.now();
        if (left <= 0) throw new Error(`timed out waiting for ${pattern}; output so far:\n${text}`);
        await new Promise<void>((resolve) => {
          const timer = setTimeout(done, Math.min(left, 100));
          function done() {
            clearTimeout(timer);
            listeners.delete(done);
            resolve();
          }
          listeners.add(done);
        });
      }
    },
    async typeLine(line) {
      await writer.write(new TextEncoder().encode(line + "\n"));
    },
    async closeStdin() {
      if (stdinClosed) return;
      stdinClosed = true;
      await writer.close().catch(() => {});
    },
    kill(signal = "SIGTERM") {
      if (!exited) child.kill(signal);
    },
    status: status.then(async (s) => {
      if (!stdinClosed) {
        stdinClosed = true;
        await writer.close().catch(() => {});
      }
      return s;
    }),
  };
}
