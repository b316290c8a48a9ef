/**
 * @module
 * What the Responses decoders share: the dialect's id, checks that throw an
 * `invalid_request` naming the field, and the helper that keeps unknown fields
 * in `providerData["openai-responses"]`.
 */
import type { ProviderData } from "../../ir/message.ts";
import { apiError } from "../../errors/api-error.ts";
import type { Json } from "../../ir/json.ts";

export const DIALECT = "openai-responses";

export function invalid(path: string, problem: string): never {
  throw apiError("invalid_request", `${path}: ${problem}`);
}

export function describe(value: unknown): string {
  if (value === null) return "null";
  if (Array.isArray(value)) return "an array";
  return `a ${typeof value}`;
}

export function requireString(value: unknown, path: string): string {
  if (typeof value !== "string") invalid(path, `must be a string, got ${describe(value)}`);
  return value;
}

/** `{"openai-responses": memo}` without its undefined fields, or undefined for an empty memo. */
export function memoData(memo: object): ProviderData | undefined {
  let clean: Json | undefined;
  for (const [key, value] of Object.entries(memo)) {
    if (value !== undefined) (clean ??= {})[key] = value;
  }
  return clean && { [DIALECT]: clean };
}

/** The arguments schema a custom (freeform) tool gets in the canonical model (a fresh copy). */
export function customToolParameters(): Record<string, unknown> {
  return {
    type: "object",
    properties: { input: { type: "string", description: "The tool's freeform input." } },
    required: ["input"],
    additionalProperties: false,
  };
}
