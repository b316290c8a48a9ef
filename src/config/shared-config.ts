/**
 * @module
 * A config shared by the instances of a team (kept in the database, see
 * `team/team-config.ts`) and each instance's own file, put together.
 *
 * Precedence: the shared text gives every setting about serving (keys,
 * upstreams, providers, routing, limits, timeouts, log level, the management
 * key …) and replaces the file's: a key the shared text leaves out takes its
 * default, not the file's value. The instance keys (`INSTANCE_KEYS`: where
 * this instance listens, its auth dir, how it reaches the database, its name,
 * its account files' encryption, the proxies in front of it) come only from
 * the instance's own file, and are left out of the shared text when it is
 * saved. Environment variables and command-line flags win over both as they
 * do over a file (`SUBGATE_MANAGEMENT_KEY`, `SUBGATE_STORE_URL`, `--port` …).
 */
import { dirname } from "node:path";
import { isMap, isNode, isScalar, parseDocument } from "yaml";
import type { ConfigOverrides } from "./config-types.ts";
import { buildConfig, ConfigError, type LoadedConfig } from "./load-config.ts";
import { CONFIG_SPEC } from "./schema.ts";
import { camelCase, validateYaml } from "./validate.ts";

/** Keys only meaningful on one host: each instance's own file gives them, never the shared config. */
export const INSTANCE_KEYS = [
  "host",
  "port",
  "auth-dir",
  "store",
  "instance-name",
  "token-encryption",
  "trusted-proxies",
] as const;

/** How problems of the shared text are named (it has no file). */
export const SHARED_CONFIG_NAME = "the shared config";

const instanceFields = new Set<string>(INSTANCE_KEYS.map(camelCase));
const kebabCase = (key: string) => key.replace(/[A-Z]/g, (letter) => `-${letter.toLowerCase()}`);

/**
 * The text without its top-level instance keys, and which were there. Each one's lines are cut
 * out of the text (its value, and a comment on its own line); everything else stays as written.
 */
export function withoutInstanceKeys(text: string): { text: string; removed: string[] } {
  const doc = parseDocument(text);
  const map = doc.contents;
  if (doc.errors.length || !isMap(map)) return { text, removed: [] };
  const cuts: [number, number][] = [];
  const removed: string[] = [];
  for (const pair of map.items) {
    const key = isScalar(pair.key) ? String(pair.key.value) : "";
    if (!(INSTANCE_KEYS as readonly string[]).includes(key)) continue;
    removed.push(key);
    if (map.flow) continue;
    const keyStart = (pair.key as { range: [number, number, number] }).range[0];
    const valueEnd = isNode(pair.value) ? pair.value.range![1] : keyStart + key.length;
    const start = text.lastIndexOf("\n", keyStart - 1) + 1;
    const newline = text.indexOf("\n", Math.max(valueEnd - 1, keyStart));
    cuts.push([start, newline === -1 ? text.length : newline + 1]);
  }
  if (!removed.length) return { text, removed };
  if (map.flow) {
    // A whole config on one line (`{port: 1, …}`): no lines to cut; the document says it again.
    for (const key of removed) doc.delete(key);
    return { text: doc.toString({ lineWidth: 0 }), removed };
  }
  let out = text;
  for (const [start, end] of cuts.reverse()) out = out.slice(0, start) + out.slice(end);
  return { text: out, removed };
}

/** The config in force with a shared config, and the file's settings it overrides. */
export interface MergedConfig extends LoadedConfig {
  /** Keys the file sets (not instance keys) to something other than the shared config does. */
  overridden: string[];
}

/** Validated values of a text; throws `ConfigError` naming `name` with every problem. */
function validated(text: string, name: string) {
  const result = validateYaml(text, CONFIG_SPEC);
  if (result.problems.length) throw new ConfigError(name, result.problems);
  return result;
}

/**
 * The config an instance runs on: the shared text's settings with the instance keys of its own
 * file's text (`own`, absent when it has no file). Throws `ConfigError` when either is invalid.
 */
export function mergeSharedConfig(
  shared: string,
  own: string | undefined,
  file: string,
  overrides: ConfigOverrides,
): MergedConfig {
  const fromShared = validated(shared, SHARED_CONFIG_NAME);
  const fromFile = own === undefined ? { value: {} } : validated(own, file);
  const raw: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(fromShared.value)) {
    if (!instanceFields.has(key)) raw[key] = value;
  }
  const overridden: string[] = [];
  for (const [key, value] of Object.entries(fromFile.value)) {
    if (instanceFields.has(key)) raw[key] = value;
    else if (JSON.stringify(value) !== JSON.stringify(fromShared.value[key])) {
      overridden.push(kebabCase(key));
    }
  }
  return {
    config: buildConfig(raw, overrides, dirname(file)),
    file,
    warnings: fromShared.warnings,
    text: own,
    overridden,
  };
}
