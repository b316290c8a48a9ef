/**
 * @module
 * What a route tells the rest of the app about its request through Hono's
 * context: the error shape its clients expect, so the one error handler
 * answers in it without guessing again from the path and headers.
 */
import type { ErrorFormat } from "../errors/error-format.ts";

export interface ServerEnv {
  Variables: {
    /** Set by the routes that know their dialect; absent before routing (keys, URL checks). */
    errorFormat?: ErrorFormat;
    /** The name of the client key the request carried, set by the key check when keys are named. */
    clientKey?: string;
  };
}
