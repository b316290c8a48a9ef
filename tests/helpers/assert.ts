/**
 * @module
 * Assertions on node:assert/strict, named the way Deno tests read.
 */
import assertModule from "node:assert/strict";

export function assert(value: unknown, message?: string): asserts value {
  assertModule.ok(value, message);
}

export function assertEquals<T>(actual: T, expected: T, message?: string): void {
  assertModule.deepStrictEqual(actual, expected, message);
}

export function assertMatch(actual: string, pattern: RegExp, message?: string): void {
  assertModule.match(actual, pattern, message);
}

export function assertNotMatch(actual: string, pattern: RegExp, message?: string): void {
  assertModule.doesNotMatch(actual, pattern, message);
}
