/**
 * @module
 * `deno task test`: the set-up (`prepare.ts`), then a PostgreSQL server for the teams tests
 * (unless `SUBGATE_TEST_PG_URL` names one already), then `deno test` with its URL in
 * `SUBGATE_TEST_PG_URL`, then the server stopped by its PID, whatever happened: a wrapper,
 * because the server must outlive the set-up step and end with the tests. Its PID is also
 * written to `SUBGATE_TEST_PG_PIDFILE` when set, so a caller (`.ci/run`) can stop it should
 * this process itself be killed. Arguments are passed to `deno test` (default: the suite).
 */
import { PG_URL_ENV, type PgServer, startPgServer } from "../helpers/postgres.ts";
import { prepare } from "./prepare.ts";

const log = (line: string) => console.log(line);
const pgBin = await prepare(log);

let server: PgServer | undefined;
const env: Record<string, string> = {};
if (Deno.env.get(PG_URL_ENV)) log(`postgresql: using ${PG_URL_ENV} as given`);
else if (pgBin) {
  try {
    server = await startPgServer({ bin: pgBin });
    env[PG_URL_ENV] = server.url;
    env.SUBGATE_TEST_PG_BIN = pgBin;
    const pidFile = Deno.env.get("SUBGATE_TEST_PG_PIDFILE");
    if (pidFile) await Deno.writeTextFile(pidFile, `${server.pid()}\n`);
    log(`postgresql: test server on 127.0.0.1:${server.port} (pid ${server.pid()})`);
  } catch (error) {
    log(`postgresql: could not start a test server (${(error as Error).message.split("\n")[0]})`);
    log("postgresql: the teams tests are reported as ignored");
  }
}

const args = Deno.args.length
  ? Deno.args
  : ["-q", "--no-prompt", "--allow-all", "--parallel", "--lock=tests/deno.lock", "tests/"];
const child = new Deno.Command(Deno.execPath(), {
  args: ["test", ...args],
  env,
  stdin: "inherit",
  stdout: "inherit",
  stderr: "inherit",
}).spawn();
const forward = (signal: Deno.Signal) => () => {
  try {
    child.kill(signal);
  } catch { /* already gone */ }
};
const signals: Deno.Signal[] = ["SIGINT", "SIGTERM"];
const handlers = signals.map((signal) => [signal, forward(signal)] as const);
for (const [signal, handler] of handlers) Deno.addSignalListener(signal, handler);
const status = await child.status;
for (const [signal, handler] of handlers) Deno.removeSignalListener(signal, handler);
if (server) {
  await server.stop();
  const pidFile = Deno.env.get("SUBGATE_TEST_PG_PIDFILE");
  if (pidFile) await Deno.writeTextFile(pidFile, "").catch(() => {});
  log(`postgresql: test server stopped`);
}
Deno.exit(status.code);
