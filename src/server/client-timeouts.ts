/**
 * @module
 * Closes client connections that hold a file descriptor without using it: one that has not
 * sent a request head within `client-header-timeout` of connecting (a silent socket, a
 * slow-loris head), and one that has sat between requests for `client-idle-timeout`. A
 * connection with a request in flight is never closed here, however long its answer streams
 * (a stalled request body is `read-body.ts`'s to time out, with a 408). What a connection does
 * is seen only per request: a head is complete when the handler runs, and an answer is done
 * when Deno says it was sent; so after the first request the idle timeout also bounds how long
 * the next head may take to arrive, and a connection whose answered request left body bytes
 * unread (Deno keeps it open for them) counts as idle.
 *
 * All connections are checked by one sweep, four times a second, rather than a timer armed and
 * cleared per request (which showed in the profile for upstream deadlines, see
 * `proxy/deadlines.ts`); the sweep runs only while connections are open.
 */
import type { Logger } from "../log/logger.ts";

export interface ClientTimeouts {
  /** Seconds from connecting to the first request head; 0: no limit. */
  headerSeconds: number;
  /** Seconds between one answer's end and the next request; 0: no limit. */
  idleSeconds: number;
}

/** One open client connection, as the sweep sees it. */
export interface WatchedConnection {
  /** Requests in flight (more than one only on HTTP/2). */
  active: number;
  /** False until its first request: the header timeout applies until then, the idle one after. */
  served: boolean;
  /** `performance.now()` when it last had nothing in flight: connected, or an answer ended. */
  quietSince: number;
  /**
   * Close it once nothing is in flight: it answered 408 (the rest of the request's body may
   * still be on its way, and Deno would keep the connection open for it), or the server is
   * stopping.
   */
  closeWhenQuiet: boolean;
  /** Its last answer cancelled the request body (a 408): wait `LINGER_MS` before closing. */
  linger: boolean;
  /** Who is at the other end, for the log. */
  peer: string;
  /** Closes it at once. */
  close(): void;
}

const SWEEP_MS = 250;
/**
 * How long a connection marked to close stays open after its last answer. Deno reports an answer
 * sent before writing it when the handler cancelled the request body (measured: closing at once
 * lost all 50 of 50 such 408s); a few sweeps later it has long been written.
 */
const LINGER_MS = 200;

/** Why `connection` is overdue at `now`, or undefined while it is not. */
function overdue(
  connection: WatchedConnection,
  now: number,
  timeouts: ClientTimeouts,
): string | undefined {
  if (connection.active > 0) return undefined;
  if (
    connection.closeWhenQuiet && (!connection.linger || now - connection.quietSince >= LINGER_MS)
  ) {
    return "answered its last request";
  }
  const seconds = connection.served ? timeouts.idleSeconds : timeouts.headerSeconds;
  if (seconds <= 0 || now - connection.quietSince < seconds * 1000) return undefined;
  return connection.served
    ? `no request for ${seconds}s after the last answer (client-idle-timeout)`
    : `no complete request head within ${seconds}s of connecting (client-header-timeout)`;
}

export interface ConnectionWatch {
  /** Starts watching a connection; the sweep closes it once it overstays. */
  add(connection: WatchedConnection): void;
  /** Stops watching it (it closed). */
  remove(connection: WatchedConnection): void;
  /** How many connections are open. */
  size(): number;
  /** Closes what is due now, without waiting for the next sweep (the server is stopping). */
  sweepNow(): void;
}

/** Watches connections against the timeouts in force at each sweep (a config edit applies). */
export function watchConnections(timeouts: () => ClientTimeouts, log: Logger): ConnectionWatch {
  const open = new Set<WatchedConnection>();
  let sweeper: ReturnType<typeof setInterval> | undefined;

  const sweep = () => {
    const now = performance.now();
    const limits = timeouts();
    for (const connection of open) {
      const reason = overdue(connection, now, limits);
      if (reason === undefined) continue;
      // Closed once: it leaves the watch now, not when Deno reports it closed.
      open.delete(connection);
      log.debug("client connection closed", { client: connection.peer, reason });
      connection.close();
    }
  };

  return {
    add(connection) {
      open.add(connection);
      sweeper ??= setInterval(sweep, SWEEP_MS);
    },
    remove(connection) {
      open.delete(connection);
      if (open.size === 0 && sweeper !== undefined) {
        clearInterval(sweeper);
        sweeper = undefined;
      }
    },
    size: () => open.size,
    sweepNow: sweep,
  };
}
