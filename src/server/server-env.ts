/**
 * @module
 * What the app knows of a request beyond the request itself. From the server
 * (Hono's `c.env`): the connection it came on, as Deno's serve handler gets
 * it: the socket's peer address, and when the answer has been sent. From the
 * routes (Hono's context): the error shape its clients expect, so the one
 * error handler answers in it without guessing again from the path and
 * headers.
 */
import type { ErrorFormat } from "../errors/error-format.ts";

/** The connection a request came on: Deno's `ServeHandlerInfo`, absent for in-memory requests. */
export interface ConnectionInfo {
  /** The socket's peer: who connected (a proxy's address when one is in between). */
  remoteAddr?: Deno.Addr;
  /** Settles once the answer, streamed or not, has been sent or the client has gone. */
  completed?: Promise<void>;
}

export interface ServerEnv {
  Bindings: ConnectionInfo;
  Variables: {
    /** Set by the routes that know their dialect; absent before routing (keys, URL checks). */
    errorFormat?: ErrorFormat;
    /** The name of the client key the request carried, set by the key check when keys are named. */
    clientKey?: string;
    /** Who is calling the management API ("management key" or "loopback"), set by its check. */
    manager?: { who: string; address: string };
  };
}

/** The peer's IP address as text, when the request came over TCP. */
export function peerAddress(info: ConnectionInfo | undefined): string | undefined {
  const address = info?.remoteAddr;
  return address && (address.transport === "tcp" || address.transport === "udp")
    ? address.hostname
    : undefined;
}
