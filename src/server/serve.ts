/**
 * @module
 * Serves the app and shuts it down gracefully: in-flight requests finish before the process
 * exits. subgate runs its own accept loop on a `Deno.listen` listener and serves each
 * connection with Deno's per-connection server (`serve-connection.ts`), because `Deno.serve`
 * (Deno 2.9.6) has no client timeouts and stops for good on a failed accept. This lets it close
 * silent and idle connections (`client-timeouts.ts`) and wait out a shortage of file
 * descriptors (`accept-loop.ts`). On a Deno without that per-connection server it falls back to
 * `Deno.serve`, and says what is lost.
 */
import type { Logger } from "../log/logger.ts";
import { acceptLoop } from "./accept-loop.ts";
import {
  type ClientTimeouts,
  watchConnections,
  type WatchedConnection,
} from "./client-timeouts.ts";
import { findServeConnection, type ServeConnection } from "./serve-connection.ts";

/** How long a connection told to close may stay open before its socket is closed under it. */
const FORCE_CLOSE_MS = 1000;

export interface RunningServer {
  /** Base URL clients use, e.g. `http://127.0.0.1:8317`. */
  url: string;
  /** Resolves when the server has stopped. */
  finished: Promise<void>;
  /** Stops accepting connections and waits for in-flight requests. */
  shutdown(): Promise<void>;
}

export interface ServerOptions {
  host: string;
  port: number;
  log: Logger;
  /** Read at every check, so a config edit applies to open connections too. */
  timeouts: () => ClientTimeouts;
}

/** The app: a request, and the connection it came on (the peer's address, when it is sent). */
type Fetch = (request: Request, info: Deno.ServeHandlerInfo) => Response | Promise<Response>;

interface Connection extends WatchedConnection {
  /** Resolves when it has closed. */
  finished: Promise<void>;
}

export class ListenError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "ListenError";
  }
}

function urlHost(hostname: string): string {
  return hostname.includes(":") ? `[${hostname}]` : hostname;
}

function listenError(error: unknown, hostname: string, port: number): ListenError {
  if (error instanceof Deno.errors.AddrInUse) {
    return new ListenError(
      `port ${port} on ${hostname} is already in use (is subgate already running?); ` +
        `choose another with --port or 'port' in the config`,
    );
  }
  if (error instanceof Deno.errors.AddrNotAvailable) {
    return new ListenError(`cannot listen on ${hostname}: no such address on this machine`);
  }
  return new ListenError(`cannot listen on ${hostname}:${port}: ${(error as Error).message}`);
}

/** What Deno.serve does when a handler throws: log it and answer 500 (Hono catches its own). */
function onError(log: Logger) {
  return (error: unknown) => {
    log.error("request failed", {
      status: 500,
      reason: error instanceof Error ? error.message : String(error),
    });
    return new Response("Internal Server Error", { status: 500 });
  };
}

export function startServer(fetch: Fetch, options: ServerOptions): RunningServer {
  // "" is CLIProxyAPI's spelling of every interface.
  const hostname = options.host === "" ? "0.0.0.0" : options.host;
  const serveConnection = findServeConnection();
  if (!serveConnection) return startDenoServe(fetch, hostname, options);
  let listener: Deno.TcpListener;
  try {
    listener = Deno.listen({ hostname, port: options.port });
  } catch (error) {
    throw listenError(error, hostname, options.port);
  }
  return serveListener(listener, fetch, serveConnection, options);
}

function serveListener(
  listener: Deno.TcpListener,
  fetch: Fetch,
  serveConnection: ServeConnection,
  options: ServerOptions,
): RunningServer {
  const watch = watchConnections(options.timeouts, options.log);
  const open = new Set<Connection>();
  const failed = onError(options.log);
  let stopping = false;

  const serve = (conn: Deno.Conn) => {
    const peer = conn.remoteAddr as Deno.NetAddr;
    const connection: Connection = {
      active: 0,
      served: false,
      quietSince: performance.now(),
      closeWhenQuiet: stopping,
      linger: false,
      peer: `${urlHost(peer.hostname)}:${peer.port}`,
      close: () => {
        server.close();
        // Deno's server did not always let go (rarely, under load, a slow-loris connection
        // stayed open after the abort): whatever is still open a second later is closed under it.
        const timer = setTimeout(() => {
          if (open.has(connection)) {
            try {
              conn.close();
            } catch { /* closed meanwhile */ }
          }
        }, FORCE_CLOSE_MS);
        Deno.unrefTimer(timer);
      },
      finished: Promise.resolve(),
    };
    // One closure per connection, not per request.
    const answered = () => {
      connection.active--;
      connection.quietSince = performance.now();
    };
    const handler = async (request: Request, info: Deno.ServeHandlerInfo) => {
      connection.active++;
      connection.served = true;
      // Settles once the answer, streamed or not, has been sent or the client has gone.
      info.completed.then(answered, answered);
      const response = await fetch(request, info);
      // After a 408 the connection is closed (RFC 9110, 15.5.9).
      if (response.status === 408) {
        connection.closeWhenQuiet = true;
        connection.linger = true;
      }
      return response;
    };
    const server = serveConnection(conn, handler, failed);
    connection.finished = server.finished.then(() => {
      watch.remove(connection);
      open.delete(connection);
    });
    watch.add(connection);
    open.add(connection);
  };

  const accepting = acceptLoop(listener, serve, { log: options.log, open: watch.size });
  let stopped: Promise<void> | undefined;
  const shutdown = () =>
    stopped ??= (async () => {
      stopping = true;
      listener.close();
      await accepting;
      // The sweep closes idle connections now, the others once their answers are sent. (Not
      // with Deno's graceful shutdown: see serve-connection.ts.)
      for (const connection of open) connection.closeWhenQuiet = true;
      watch.sweepNow();
      await Promise.all([...open].map((connection) => connection.finished));
    })();
  const address = listener.addr;
  return {
    url: `http://${urlHost(address.hostname)}:${address.port}`,
    finished: accepting.then(() => stopped),
    shutdown,
  };
}

/** Plain `Deno.serve`: no client timeouts, and running out of descriptors ends the server. */
function startDenoServe(fetch: Fetch, hostname: string, options: ServerOptions): RunningServer {
  options.log.warn(
    "this Deno cannot serve connections one by one: connections are not timed out " +
      "(client-header-timeout, client-idle-timeout between requests), and running out of " +
      "file descriptors stops the server",
    { deno: Deno.version.deno },
  );
  let server: Deno.HttpServer;
  try {
    server = Deno.serve({ hostname, port: options.port, onListen: () => {} }, fetch);
  } catch (error) {
    throw listenError(error, hostname, options.port);
  }
  const address = server.addr as Deno.NetAddr;
  return {
    url: `http://${urlHost(address.hostname)}:${address.port}`,
    finished: server.finished,
    shutdown: () => server.shutdown(),
  };
}
