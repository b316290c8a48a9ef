/**
 * @module
 * Every change made through the management API is logged: who (the
 * management key, or a loopback connection when there is no key), from
 * where, and what.
 */
import type { Context } from "hono";
import type { LogFields, Logger } from "../../log/logger.ts";
import type { ServerEnv } from "../server-env.ts";

export function logChange(
  c: Context<ServerEnv>,
  log: Logger,
  action: string,
  fields: LogFields = {},
): void {
  const manager = c.get("manager");
  log.info("management change", {
    who: manager?.who ?? "unknown",
    from: manager?.address,
    action,
    ...fields,
  });
}
