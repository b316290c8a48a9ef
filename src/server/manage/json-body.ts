/**
 * @module
 * A management request's JSON body: a small object, read within 64 KB, with
 * a message that says what is wrong when it is not one.
 */
import type { Context } from "hono";
import { apiError } from "../../errors/api-error.ts";
import type { Json } from "../../ir/json.ts";
import { readBody } from "../read-body.ts";
import type { ServerEnv } from "../server-env.ts";

export const JSON_BODY_LIMIT = 64 * 1024;

/** The body as an object; an empty body is `{}`. */
export async function jsonBody(c: Context<ServerEnv>): Promise<Json> {
  const text = await readBody(c.req.raw, { maxBytes: JSON_BODY_LIMIT, idleSeconds: 30 });
  if (text.trim() === "") return {};
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (error) {
    throw apiError("invalid_request", `The body is not valid JSON: ${(error as Error).message}.`);
  }
  if (!parsed || typeof parsed !== "object" || Array.isArray(parsed)) {
    throw apiError("invalid_request", "The body must be a JSON object.");
  }
  return parsed as Json;
}

/** An optional string field; a 400 naming the field when it is something else. */
export function optionalString(body: Json, field: string): string | undefined {
  const value = body[field];
  if (value === undefined || value === null) return undefined;
  if (typeof value !== "string" || value.trim() === "") {
    throw apiError("invalid_request", `${field}: must be a non-empty string.`);
  }
  return value.trim();
}
