/**
 * @module
 * Runs the app on `Deno.serve` and shuts it down gracefully: in-flight
 * requests finish before the process exits.
 */
import type { Logger } from "../log/logger.ts";

export interface RunningServer {
  /** Base URL clients use, e.g. `http://127.0.0.1:8317`. */
  url: string;
  /** Resolves when the server has stopped. */
  finished: Promise<void>;
  /** Stops accepting connections and waits for in-flight requests. */
  shutdown(): Promise<void>;
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

export function startServer(
  fetch: (request: Request) => Response | Promise<Response>,
  options: { host: string; port: number; log: Logger },
): RunningServer {
  // "" is CLIProxyAPI's spelling of every interface.
  const hostname = options.host === "" ? "0.0.0.0" : options.host;
  let server: Deno.HttpServer;
  try {
    server = Deno.serve({ hostname, port: options.port, onListen: () => {} }, fetch);
  } catch (error) {
    if (error instanceof Deno.errors.AddrInUse) {
      throw new ListenError(
        `port ${options.port} on ${hostname} is already in use (is subgate already running?); ` +
          `choose another with --port or 'port' in the config`,
      );
    }
    if (error instanceof Deno.errors.AddrNotAvailable) {
      throw new ListenError(`cannot listen on ${hostname}: no such address on this machine`);
    }
    throw new ListenError(
      `cannot listen on ${hostname}:${options.port}: ${(error as Error).message}`,
    );
  }
  const address = server.addr as Deno.NetAddr;
  return {
    url: `http://${urlHost(address.hostname)}:${address.port}`,
    finished: server.finished,
    shutdown: () => server.shutdown(),
  };
}
