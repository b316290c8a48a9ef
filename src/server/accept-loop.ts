/**
 * @module
 * Accepts connections until the listener closes, and survives failed accepts. Out of file
 * descriptors (EMFILE, ENFILE), `accept` fails while the connection stays queued in the kernel:
 * waiting and trying again serves it once descriptors free up, where `Deno.serve` would end the
 * server (measured: under `ulimit -n 64`, its `finished` rejects with "Too many open files" and
 * the listener closes). A burst of failures is logged once, and its end once.
 */
import type { Logger } from "../log/logger.ts";

/** First wait after a failed accept; doubled on each failure in a row, up to the most. */
const FIRST_WAIT_MS = 25;
const MOST_WAIT_MS = 500;

/** How to raise the limit, for the log line and the README. */
const RAISE_LIMIT = "raise the open-file limit: ulimit -n 65536, systemd LimitNOFILE=65536, " +
  "docker run --ulimit nofile=65536:65536";

/** True when accept failed because the listener was closed: the loop's normal end. */
function listenerClosed(error: unknown): boolean {
  return error instanceof Deno.errors.BadResource || error instanceof Deno.errors.Interrupted;
}

function outOfDescriptors(error: unknown): boolean {
  const code = (error as { code?: unknown }).code;
  return code === "EMFILE" || code === "ENFILE";
}

function failureLine(error: unknown, open: number): [string, Record<string, string | number>] {
  const reason = error instanceof Error ? error.message : String(error);
  if (outOfDescriptors(error)) {
    return [
      "out of file descriptors: new connections wait until some close",
      { reason, open_connections: open, fix: RAISE_LIMIT },
    ];
  }
  return ["accepting connections failed; retrying", { reason, open_connections: open }];
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Hands each accepted connection to `serve`; resolves when the listener is closed. `open` says
 * how many connections are open, for the log.
 */
export async function acceptLoop(
  listener: Deno.Listener,
  serve: (conn: Deno.Conn) => void,
  options: { log: Logger; open: () => number },
): Promise<void> {
  let burst: { since: number; failures: number } | undefined;
  let wait = FIRST_WAIT_MS;
  while (true) {
    let conn: Deno.Conn;
    try {
      conn = await listener.accept();
    } catch (error) {
      if (listenerClosed(error)) return;
      if (!burst) {
        burst = { since: performance.now(), failures: 0 };
        options.log.warn(...failureLine(error, options.open()));
      }
      burst.failures++;
      await sleep(wait);
      wait = Math.min(wait * 2, MOST_WAIT_MS);
      continue;
    }
    if (burst) {
      options.log.info("accepting connections again", {
        after_ms: Math.round(performance.now() - burst.since),
        failed_accepts: burst.failures,
      });
      burst = undefined;
      wait = FIRST_WAIT_MS;
    }
    serve(conn);
  }
}
