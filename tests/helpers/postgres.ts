/**
 * @module
 * PostgreSQL for the teams tests: Debian's server binaries, a cluster in a
 * temp dir started on loopback as its own user (`postgres`; initdb refuses
 * root), trust authentication, fsync off; stopped by its PID. The test run's
 * wrapper (`tests/setup/run-tests.ts`) starts one for the whole suite and
 * hands its URL to the tests in `SUBGATE_TEST_PG_URL`; a test that restarts
 * the server starts a private one. Each test gets its own database.
 */
import { join } from "node:path";

export const PG_URL_ENV = "SUBGATE_TEST_PG_URL";

/** The teams tests' database server, when one is running; undefined: they are skipped. */
export function testPgUrl(): string | undefined {
  return Deno.env.get(PG_URL_ENV) || undefined;
}

/**
 * The suite's server for a file of `what` tests: its URL, or undefined (said once, the tests then
 * reported as ignored) where there is none.
 */
export function suiteServer(what: string): string | undefined {
  const url = testPgUrl();
  if (url === undefined) {
    console.warn(
      `${what} tests skipped: no PostgreSQL server (SUBGATE_TEST_PG_URL is unset; \`deno task ` +
        "test` starts one when PostgreSQL is installed: apt-get install postgresql)",
    );
  }
  return url;
}

/** The directory of Debian's server binaries (`initdb`, `pg_ctl`, `postgres`), newest first. */
export function findPgBin(): string | undefined {
  const fromEnv = Deno.env.get("SUBGATE_TEST_PG_BIN");
  if (fromEnv) return fromEnv;
  const root = "/usr/lib/postgresql";
  let versions: number[] = [];
  try {
    versions = [...Deno.readDirSync(root)].map((e) => Number(e.name)).filter((v) => v >= 13)
      .sort((a, b) => b - a);
  } catch {
    return undefined;
  }
  for (const version of versions) {
    const bin = join(root, String(version), "bin");
    try {
      if (Deno.statSync(join(bin, "initdb")).isFile) return bin;
    } catch { /* not this one */ }
  }
  return undefined;
}

export interface PgServer {
  url: string;
  port: number;
  dataDir: string;
  /** The postmaster's process id. */
  pid(): number;
  /** Stops the server (fast shutdown, by PID) and starts it again on the same port and data. */
  restart(options?: { downMs?: number }): Promise<void>;
  /** Stops it by PID and removes its data dir. */
  stop(): Promise<void>;
}

async function run(command: string, args: string[]): Promise<string> {
  const out = await new Deno.Command(command, {
    args,
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).output();
  const text = new TextDecoder().decode(out.stderr) + new TextDecoder().decode(out.stdout);
  if (!out.success) throw new Error(`${command} ${args.join(" ")} failed:\n${text.slice(-2000)}`);
  return text;
}

/** Runs a server binary as the `postgres` user when this is root (initdb refuses root). */
function asServerUser(program: string, args: string[]): [string, string[]] {
  if (Deno.uid() !== 0) return [program, args];
  return ["runuser", ["-u", "postgres", "--", program, ...args]];
}

function freePort(): number {
  const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
  const port = (listener.addr as Deno.NetAddr).port;
  listener.close();
  return port;
}

function alive(pid: number): boolean {
  try {
    Deno.kill(pid, "SIGCONT");
    return true;
  } catch {
    return false;
  }
}

async function waitForExit(pid: number, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (alive(pid)) {
    if (Date.now() > deadline) return false;
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
  return true;
}

/** Starts a cluster in a fresh temp dir; throws with the reason when it cannot. */
export async function startPgServer(options: { bin?: string } = {}): Promise<PgServer> {
  const bin = options.bin ?? findPgBin();
  if (!bin) throw new Error("no PostgreSQL server binaries in /usr/lib/postgresql/*/bin");
  const dataDir = await Deno.makeTempDir({ prefix: "subgate-pg-" });
  if (Deno.uid() === 0) await run("chown", ["postgres:postgres", dataDir]);
  await Deno.chmod(dataDir, 0o700);
  const [initdb, initArgs] = asServerUser(join(bin, "initdb"), [
    "-D",
    dataDir,
    "-A",
    "trust",
    "-U",
    "postgres",
    "-E",
    "UTF8",
    "--no-sync",
  ]);
  await run(initdb, initArgs);
  const port = freePort();
  const start = async () => {
    const [pgCtl, args] = asServerUser(join(bin, "pg_ctl"), [
      "-D",
      dataDir,
      "-l",
      join(dataDir, "server.log"),
      "-w",
      "-t",
      "30",
      "-o",
      [
        "-c listen_addresses=127.0.0.1",
        `-p ${port}`,
        `-c unix_socket_directories=${dataDir}`,
        "-c fsync=off",
        "-c synchronous_commit=off",
        "-c full_page_writes=off",
        "-c max_connections=300",
      ].join(" "),
      "start",
    ]);
    await run(pgCtl, args);
  };
  await start();
  const pid = () => Number(Deno.readTextFileSync(join(dataDir, "postmaster.pid")).split("\n")[0]);
  let current = pid();
  const stopServer = async () => {
    if (!alive(current)) return;
    // SIGINT: PostgreSQL's fast shutdown (clients are disconnected, nothing is waited for).
    Deno.kill(current, "SIGINT");
    if (!(await waitForExit(current, 15_000))) Deno.kill(current, "SIGKILL");
    await waitForExit(current, 5000);
  };
  return {
    url: `postgres://postgres@127.0.0.1:${port}/postgres`,
    port,
    dataDir,
    pid: () => current,
    async restart({ downMs = 0 } = {}) {
      await stopServer();
      if (downMs) await new Promise((resolve) => setTimeout(resolve, downMs));
      await start();
      current = pid();
    },
    async stop() {
      await stopServer();
      await Deno.remove(dataDir, { recursive: true }).catch(() => {});
    },
  };
}

/** A database of its own on the server at `serverUrl` for `fn`, dropped after. */
export async function withDatabase<T>(
  serverUrl: string,
  fn: (url: string) => Promise<T>,
): Promise<T> {
  const name = `subgate_test_${crypto.randomUUID().replace(/-/g, "").slice(0, 12)}`;
  const url = new URL(serverUrl);
  await psql(serverUrl, `CREATE DATABASE ${name}`);
  url.pathname = `/${name}`;
  try {
    return await fn(url.toString());
  } finally {
    await psql(serverUrl, `DROP DATABASE IF EXISTS ${name} WITH (FORCE)`).catch(() => {});
  }
}

/** Runs SQL through the `postgres` client the server uses (the tests' own connection). */
export async function psql(url: string, text: string): Promise<Record<string, unknown>[]> {
  const sql = await open(url);
  try {
    return [...await sql.unsafe(text)];
  } finally {
    await sql.end({ timeout: 1 });
  }
}

/** A connection for a test to read and lock with (`max: 2`). */
export async function open(url: string) {
  const { default: postgres } = await import("postgres");
  return postgres(url, { max: 2, onnotice: () => {}, pass: () => "", user: "postgres" });
}
