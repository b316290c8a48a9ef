/**
 * @module
 * Reading parsed JSON whose shape nobody has checked yet: a client's body, an
 * upstream's answer or stream event. The codecs share these few guards so that
 * "an object" means the same thing everywhere (not null, not an array) and a
 * wrong-typed field reads as absent instead of throwing.
 */

/** A JSON object as parsed, before anything has checked its fields. */
export type Json = Record<string, unknown>;

/** True for a JSON object: not null, not an array. */
export function isObject(value: unknown): value is Json {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/** `value` when it is a string, else "" (an id or a text the upstream left out or garbled). */
export function stringOrEmpty(value: unknown): string {
  return typeof value === "string" ? value : "";
}

/** `value` when it is a finite number (a token count), else undefined. */
export function finiteNumber(value: unknown): number | undefined {
  return typeof value === "number" && Number.isFinite(value) ? value : undefined;
}

/** The fields of `object` not in `known`, or undefined when there are none. */
export function extrasOf(object: Json, known: ReadonlySet<string>): Json | undefined {
  let extra: Json | undefined;
  for (const key in object) {
    if (!known.has(key)) (extra ??= {})[key] = object[key];
  }
  return extra;
}
