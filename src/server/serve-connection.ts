/**
 * @module
 * Serving HTTP on one accepted connection, which `Deno.serve` cannot do: it owns its accept loop
 * (in Rust), has no client timeouts (Deno 2.9.6 keeps a silent or idle connection open for
 * good) and ends for good on the first failed accept (out of file descriptors: the process
 * exits). Deno's `Deno.serve` is itself built on an internal `serveHttpOnConnection(conn, …)`
 * (ext/http/00_serve.ts; its node:http uses it too): the same HTTP/1.1 and HTTP/2 code, reached
 * through `Deno[Deno.internal]`. It is internal, so it is looked up, not assumed: a Deno without
 * it gets undefined and subgate falls back to plain `Deno.serve`.
 *
 * Closing a connection goes through the abort signal Deno's server listens to, never through its
 * graceful `shutdown()`: measured on 2.9.6, a graceful close leaves open a connection whose
 * request body is still due (Deno waits for the rest), and an abort after it throws.
 */

/** Deno's internal per-connection server, as 2.9.6 defines it. */
type DenoServeConnection = (
  conn: Deno.Conn,
  signal: AbortSignal,
  handler: Deno.ServeHandler,
  onError: (error: unknown) => Response | Promise<Response>,
  onListen: () => void,
) => Deno.HttpServer;

export interface ConnectionServer {
  /** Resolves when the connection has closed. */
  finished: Promise<void>;
  /** Closes the connection at once, requests in flight included; later calls do nothing. */
  close(): void;
}

export type ServeConnection = (
  conn: Deno.Conn,
  handler: Deno.ServeHandler,
  onError: (error: unknown) => Response | Promise<Response>,
) => ConnectionServer;

/**
 * Deno's listener on the signal closes the connection's server, and throws BadResource when that
 * server is already gone (the client left a moment before); thrown from an event listener that
 * would end the process. The signal's listeners are wrapped so that case is caught.
 */
function guardedAbort(): AbortController {
  const controller = new AbortController();
  const signal = controller.signal;
  const add = signal.addEventListener.bind(signal);
  signal.addEventListener = (
    type: string,
    listener: EventListenerOrEventListenerObject | null,
    options?: boolean | AddEventListenerOptions,
  ) => {
    if (listener === null) return;
    add(type, (event: Event) => {
      try {
        if (typeof listener === "function") listener.call(signal, event);
        else listener.handleEvent(event);
      } catch (error) {
        if (!(error instanceof Deno.errors.BadResource)) throw error;
      }
    }, options);
  };
  return controller;
}

function wrap(serve: DenoServeConnection): ServeConnection {
  return (conn, handler, onError) => {
    const abort = guardedAbort();
    const server = serve(conn, abort.signal, handler, onError, () => {});
    return {
      // A connection ending in an error (a reset) has nothing left to tell anyone.
      finished: server.finished.catch(() => {}),
      close: () => abort.abort(),
    };
  };
}

/** Deno's per-connection server, or undefined when this Deno has none. */
export function findServeConnection(): ServeConnection | undefined {
  const key = Reflect.get(Deno, "internal");
  if (typeof key !== "symbol") return undefined;
  const internals = Reflect.get(Deno, key);
  const serve = typeof internals === "object" && internals !== null
    ? Reflect.get(internals, "serveHttpOnConnection")
    : undefined;
  // Its five parameters are the contract above; another shape is another function.
  return typeof serve === "function" && serve.length === 5
    ? wrap(serve as DenoServeConnection)
    : undefined;
}
