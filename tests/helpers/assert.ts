/**
 * @module
 * Assertions on node:assert/strict, named the way Deno tests read.
 */
import assertModule from "node:assert/strict";

export function assert(value: unknown, message?: string): asserts value {
  if (message === undefined) assertModule.ok(value);
  else assertModule.ok(value, message);
}

export function assertEquals<T>(actual: T, expected: T, message?: string): void {
  if (message === undefined) assertModule.deepStrictEqual(actual, expected);
  else assertModule.deepStrictEqual(actual, expected, message);
}

export function assertMatch(actual: string, pattern: RegExp, message?: string): void {
  if (message === undefined) assertModule.match(actual, pattern);
  else assertModule.match(actual, pattern, message);
}

export function assertNotMatch(actual: string, pattern: RegExp, message?: string): void {
  if (message === undefined) assertModule.doesNotMatch(actual, pattern);
  else assertModule.doesNotMatch(actual, pattern, message);
}
