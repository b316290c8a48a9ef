/**
 * @module
 * The processes a bench run starts: the fast upstream, the floors, subgate
 * (with a home of its own), and the peers. Each reports where it listens;
 * `stop()` ends it.
 */
import { fileURLToPath } from "node:url";
// Deno's own cache for a subgate with a home of its own: without it Deno would download the npm
// packages into that home and compile every module afresh, and the bench would time that.
import { cacheDir } from "../tests/helpers/subgate-process.ts";

export const ROOT = fileURLToPath(new URL("../", import.meta.url));
export const KEY = "bench-key";

export interface Server {
  url: string;
  pid: number;
  stop(): Promise<void>;
}

/** Starts a process and waits until it says where it listens (or `url` answers). */
async function start(
  command: string,
  args: string[],
  env: Record<string, string>,
  url?: string,
): Promise<Server> {
  const child = new Deno.Command(command, {
    args,
    cwd: ROOT,
    env: { ...Deno.env.toObject(), ...env },
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  // The last output, for an error message; the address as soon as it is printed.
  let tail = "";
  let announced: string | undefined;
  const watch = (stream: ReadableStream<Uint8Array>) =>
    (async () => {
      for await (const text of stream.pipeThrough(new TextDecoderStream())) {
        tail = (tail + text).slice(-4000);
        announced ??= /listening on (http:\/\/\S+)/.exec(tail)?.[1];
      }
    })();
  const drained = Promise.all([watch(child.stdout), watch(child.stderr)]);
  let exited = false;
  child.status.then(() => exited = true);
  const deadline = Date.now() + 30_000;
  let found = url;
  while (Date.now() < deadline && !exited) {
    found ??= announced;
    if (found) {
      const answer = await fetch(found).catch(() => undefined);
      await answer?.body?.cancel();
      if (answer) break;
    }
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  if (exited || !found || Date.now() >= deadline) {
    try {
      child.kill("SIGKILL");
    } catch { /* gone */ }
    throw new Error(`${args.join(" ")} did not start:\n${tail.slice(-2000)}`);
  }
  return {
    url: found,
    pid: child.pid,
    async stop() {
      try {
        child.kill("SIGTERM");
      } catch { /* gone */ }
      await child.status;
      await drained;
    },
  };
}

export const startDeno = (script: string, env: Record<string, string> = {}) =>
  start(Deno.execPath(), ["run", "-A", script], env);

/** subgate as a user runs it, with the permission set. */
export const startSubgate = async (home: string): Promise<Server> =>
  start(
    Deno.execPath(),
    ["run", "-q", "--no-prompt", "-P=subgate", "main.ts", "serve", "--port", "0"],
    { HOME: home, DENO_DIR: await cacheDir() },
  );

/**
 * Milliseconds from spawning subgate (as a user runs it) to its first answer, polled every
 * millisecond, for `runs` starts in a row. The first start after an edit or install also has
 * Deno compile and cache every module; the later ones are what every start after that costs.
 */
export async function startTimes(home: string, runs: number): Promise<number[]> {
  const times: number[] = [];
  const port = freePort();
  for (let run = 0; run < runs; run++) {
    const started = performance.now();
    const child = new Deno.Command(Deno.execPath(), {
      args: ["run", "-q", "--no-prompt", "-P=subgate", "main.ts", "serve", "--port", String(port)],
      cwd: ROOT,
      env: { ...Deno.env.toObject(), HOME: home, DENO_DIR: await cacheDir() },
      stdout: "null",
      stderr: "null",
    }).spawn();
    const deadline = started + 30_000;
    while (performance.now() < deadline) {
      const answer = await fetch(`http://127.0.0.1:${port}/healthz`).catch(() => undefined);
      if (answer) {
        await answer.body?.cancel();
        times.push(performance.now() - started);
        break;
      }
      await new Promise((resolve) => setTimeout(resolve, 1));
    }
    child.kill("SIGTERM");
    await child.status;
  }
  return times;
}

/** A home whose config points three Anthropic keys and one OpenAI-compatible upstream at `upstream`. */
export async function subgateHome(accountFiles: number, upstream?: string): Promise<string> {
  const home = await Deno.makeTempDir({ prefix: "subgate-bench-" });
  await Deno.mkdir(`${home}/.subgate`, { mode: 0o700 });
  const upstreams = upstream
    ? "claude-api-key:\n" +
      [1, 2, 3].map((i) =>
        `  - api-key: bench-${i}\n    base-url: ${upstream}\n` +
        `    models: [{name: claude-sonnet-4-6, alias: bench-model}]\n`
      ).join("") +
      `openai-compatibility:\n  - name: bench\n    base-url: ${upstream}/v1\n` +
      `    api-key-entries: [{api-key: bench-chat-key}]\n    models: [{name: bench-chat}]\n`
    : "";
  const level = Deno.env.get("BENCH_LOG_LEVEL") ?? "info";
  await Deno.writeTextFile(
    `${home}/.subgate/config.yaml`,
    `api-keys: [${KEY}]\nlog-level: ${level}\n${upstreams}`,
  );
  for (let i = 0; i < accountFiles; i++) {
    await Deno.writeTextFile(
      `${home}/.subgate/claude-user${i}@example.com.json`,
      JSON.stringify({
        type: "claude",
        access_token: `sk-ant-oat01-bench${i}`,
        refresh_token: `sk-ant-ort01-bench${i}`,
        email: `user${i}@example.com`,
        expired: "2099-01-01T00:00:00Z",
      }),
      { mode: 0o600 },
    );
  }
  return home;
}

function freePort(): number {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (listener.addr as Deno.NetAddr).port;
  listener.close();
  return port;
}

/** claude-code-router with a provider per upstream dialect; models are `provider,model`. */
export async function startCcr(entry: string, upstream: string, home: string): Promise<Server> {
  const port = freePort();
  await Deno.mkdir(`${home}/.claude-code-router`, { recursive: true });
  await Deno.writeTextFile(
    `${home}/.claude-code-router/config.json`,
    JSON.stringify({
      LOG: false,
      HOST: "127.0.0.1",
      PORT: port,
      NON_INTERACTIVE_MODE: true,
      Providers: [
        {
          name: "anthropic",
          api_base_url: `${upstream}/v1/messages`,
          api_key: "bench",
          models: ["claude-sonnet-4-6"],
          transformer: { use: ["Anthropic"] },
        },
        {
          name: "chat",
          api_base_url: `${upstream}/v1/chat/completions`,
          api_key: "bench",
          models: ["bench-chat"],
        },
      ],
      Router: { default: "chat,bench-chat" },
    }),
  );
  return start("node", [entry, "start"], { HOME: home }, `http://127.0.0.1:${port}`);
}

/** The Portkey gateway; the upstream is named per request (`x-portkey-custom-host`). */
export function startPortkey(entry: string): Promise<Server> {
  const port = freePort();
  return start("node", [entry, `--port=${port}`], {}, `http://127.0.0.1:${port}`);
}
