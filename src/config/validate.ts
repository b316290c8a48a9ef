/**
 * @module
 * Checks a YAML document against `CONFIG_SPEC`, node by node, so every
 * problem names its key path and line. Object keys come out camelCased.
 */
import {
  type Document,
  isAlias,
  isMap,
  isScalar,
  isSeq,
  LineCounter,
  type Node,
  parseDocument,
} from "yaml";
import type { Spec } from "./schema.ts";
import { parseIpRange } from "../net/ip-address.ts";

export interface ConfigProblem {
  /** Dotted key path, e.g. `claude-api-key[0].base-url`. */
  path: string;
  line: number;
  message: string;
}

export interface Validated {
  value: Record<string, unknown>;
  problems: ConfigProblem[];
  warnings: ConfigProblem[];
}

const INVALID = Symbol("invalid");
type Checked = unknown | typeof INVALID;

interface Context {
  doc: Document;
  lines: LineCounter;
  problems: ConfigProblem[];
  warnings: ConfigProblem[];
}

const SIZE_UNITS: Record<string, number> = {
  "": 1,
  b: 1,
  k: 1024,
  kb: 1024,
  kib: 1024,
  m: 1024 ** 2,
  mb: 1024 ** 2,
  mib: 1024 ** 2,
  g: 1024 ** 3,
  gb: 1024 ** 3,
  gib: 1024 ** 3,
};

/** Parses `1048576`, `512KB`, `32MB`, `1GiB` (units are powers of 1024). */
export function parseSize(input: number | string): number | undefined {
  if (typeof input === "number") return Number.isInteger(input) && input > 0 ? input : undefined;
  const match = /^\s*(\d+(?:\.\d+)?)\s*([a-z]*)\s*$/i.exec(input);
  const unit = match ? SIZE_UNITS[match[2].toLowerCase()] : undefined;
  if (!match || unit === undefined) return undefined;
  const bytes = Math.floor(Number(match[1]) * unit);
  return bytes > 0 ? bytes : undefined;
}

const DURATION_UNITS: Record<string, number> = { s: 1, m: 60, h: 3600, d: 86400 };

/** Parses `90s`, `30m`, `4h`, `5d`, `1h30m` or a number of seconds; undefined when invalid. */
export function parseDuration(input: number | string): number | undefined {
  if (typeof input === "number") return Number.isInteger(input) && input >= 0 ? input : undefined;
  const text = input.trim().toLowerCase();
  if (!/^(\d+[smhd])+$/.test(text)) return /^\d+$/.test(text) ? Number(text) : undefined;
  let seconds = 0;
  for (const [, amount, unit] of text.matchAll(/(\d+)([smhd])/g)) {
    seconds += Number(amount) * DURATION_UNITS[unit];
  }
  return seconds;
}

const RFC3339 =
  /^(\d{4})-(\d{2})-(\d{2})(?:[Tt ](\d{2}):(\d{2}):(\d{2})(\.\d+)?([Zz]|[+-]\d{2}:\d{2}))?$/;

/**
 * An RFC 3339 date-time (`2027-01-01T12:00:00Z`, `…+02:00`) or date (`2027-01-01`: its first
 * moment, UTC) as epoch ms; undefined when it is neither or names no real day or time.
 */
export function parseDateTime(text: string): number | undefined {
  const trimmed = text.trim();
  const match = RFC3339.exec(trimmed);
  if (!match) return undefined;
  const [, year, month, day, hour = "00", minute = "00", second = "00"] = match;
  const [y, mo, d, h, mi, s] = [year, month, day, hour, minute, second].map(Number);
  // Date.UTC rolls 30 February over into March: a date that does not come back is not a date.
  const probe = new Date(Date.UTC(y, mo - 1, d, h, mi, s));
  if (
    probe.getUTCFullYear() !== y || probe.getUTCMonth() !== mo - 1 || probe.getUTCDate() !== d ||
    probe.getUTCHours() !== h || probe.getUTCMinutes() !== mi || probe.getUTCSeconds() !== s
  ) return undefined;
  if (match[4] === undefined) return probe.getTime();
  return Date.parse(trimmed.replace(/[Tt ]/, "T").replace(/z$/, "Z"));
}

/** Whole seconds the way durations are written: `90s`, `30m`, `1h`, `2d`. */
function formatSeconds(seconds: number): string {
  for (const [unit, size] of [["d", 86400], ["h", 3600], ["m", 60]] as const) {
    if (seconds >= size && seconds % size === 0) return `${seconds / size}${unit}`;
  }
  return `${seconds}s`;
}

/** Why `text` is not an absolute http(s) URL with a host, or undefined when it is. */
export function urlProblem(text: string): string | undefined {
  const hint = text.includes("://")
    ? "use http:// or https://"
    : `write it as an absolute URL, e.g. "http://${text.replace(/^\/+/, "")}"`;
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    return `"${text}" is not an absolute http(s) URL; ${hint}`;
  }
  if (url.protocol !== "http:" && url.protocol !== "https:") {
    return `"${text}" is not an absolute http(s) URL (scheme "${url.protocol}"); ${hint}`;
  }
  if (!url.hostname) return `"${text}" has no host`;
  return undefined;
}

/** `text` as a browser origin (`*` or `scheme://host[:port]`), or why it is not one. */
export function parseOrigin(text: string): { origin: string } | { problem: string } {
  if (text === "*") return { origin: text };
  const hint = `write it as scheme://host[:port], e.g. "http://localhost:3000", or "*" for any`;
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    return { problem: `"${text}" is not an origin; ${hint}` };
  }
  const extra = url.username || url.password || url.search || url.hash || url.pathname !== "/";
  if ((url.protocol !== "http:" && url.protocol !== "https:") || !url.hostname || extra) {
    return { problem: `"${text}" is not an origin; ${hint}` };
  }
  // Browsers send origins lowercased, without a default port or a slash: compared so.
  return { origin: url.origin };
}

/** A YAML key as the typed config names it: `claude-api-key` → `claudeApiKey`. */
export function camelCase(key: string): string {
  return key.replace(/-([a-z])/g, (_, letter: string) => letter.toUpperCase());
}

function lineOf(node: Node | null | undefined, ctx: Context, fallback: number): number {
  const offset = node?.range?.[0];
  return offset === undefined ? fallback : ctx.lines.linePos(offset).line;
}

/** Keys whose values are secrets: problems with them never quote the value. */
export function isSecretPath(path: string): boolean {
  // A client key's name, model patterns, limits and expiry are not secret; the key and its hash are.
  if (/^api-keys\[\d+\]\.(name|models|limits|expires)\b/.test(path)) return false;
  return /api-key|management-key/.test(path);
}

function typeName(node: Node | null, path: string): string {
  if (node === null) return "nothing";
  if (isMap(node)) return "a mapping";
  if (isSeq(node)) return "a list";
  if (isScalar(node)) {
    const value = node.value;
    if (value === null) return "nothing";
    if (isSecretPath(path)) return typeof value === "string" ? "text" : `a ${typeof value}`;
    if (typeof value === "string") return `the text "${value}"`;
    return `${typeof value} ${String(value)}`;
  }
  return "an unsupported value";
}

function checkNode(
  raw: Node | null,
  spec: Spec,
  path: string,
  ctx: Context,
  keyLine: number,
): Checked {
  const node = isAlias(raw) ? (raw.resolve(ctx.doc) as Node | undefined) ?? null : raw;
  const line = lineOf(node, ctx, keyLine);
  const fail = (message: string): typeof INVALID => {
    ctx.problems.push({ path, line, message });
    return INVALID;
  };
  const scalar = node !== null && isScalar(node) ? node.value : undefined;
  const isNull = node === null || (isScalar(node) && node.value === null);

  switch (spec.kind) {
    case "string":
      if (typeof scalar !== "string") return fail(`must be text, found ${typeName(node, path)}`);
      if (!spec.allowEmpty && scalar.trim() === "") return fail("must not be empty");
      if (spec.pattern && !spec.pattern.test(scalar)) {
        return fail(spec.patternMessage ?? `must match ${spec.pattern}`);
      }
      return scalar;
    case "int":
      if (typeof scalar !== "number" || !Number.isInteger(scalar)) {
        return fail(`must be a whole number, found ${typeName(node, path)}`);
      }
      if (scalar < spec.min || scalar > spec.max) {
        return fail(`must be between ${spec.min} and ${spec.max}, found ${scalar}`);
      }
      return scalar;
    case "bool":
      if (typeof scalar !== "boolean") {
        return fail(`must be true or false, found ${typeName(node, path)}`);
      }
      return scalar;
    case "url": {
      if (typeof scalar !== "string") return fail(`must be a URL, found ${typeName(node, path)}`);
      const problem = urlProblem(scalar.trim());
      return problem ? fail(problem) : scalar.trim().replace(/\/+$/, "");
    }
    case "origin": {
      if (typeof scalar !== "string") {
        return fail(`must be an origin, found ${typeName(node, path)}`);
      }
      const parsed = parseOrigin(scalar.trim());
      return "origin" in parsed ? parsed.origin : fail(parsed.problem);
    }
    case "ipRange": {
      if (typeof scalar !== "string") {
        return fail(`must be an IP address or CIDR range, found ${typeName(node, path)}`);
      }
      const range = parseIpRange(scalar);
      return "problem" in range ? fail(range.problem) : scalar.trim();
    }
    case "enum":
      if (typeof scalar !== "string" || !spec.values.includes(scalar)) {
        return fail(`must be one of ${spec.values.join(", ")}, found ${typeName(node, path)}`);
      }
      return scalar;
    case "size": {
      const bytes = typeof scalar === "number" || typeof scalar === "string"
        ? parseSize(scalar)
        : undefined;
      return bytes ?? fail(`must be a size such as 32MB or 1048576, found ${typeName(node, path)}`);
    }
    case "duration": {
      const seconds = typeof scalar === "number" || typeof scalar === "string"
        ? parseDuration(scalar)
        : undefined;
      if (seconds === undefined) {
        return fail(`must be a duration such as 30m, 4h or 2d, found ${typeName(node, path)}`);
      }
      if (spec.min !== undefined && seconds < spec.min) {
        return fail(`must be at least ${formatSeconds(spec.min)}, found ${String(scalar)}`);
      }
      return seconds;
    }
    case "datetime": {
      const time = typeof scalar === "string" ? parseDateTime(scalar) : undefined;
      return time ?? fail(
        `must be an RFC 3339 date or date-time such as 2027-01-01 or 2027-01-01T12:00:00Z, ` +
          `found ${typeName(node, path)}`,
      );
    }
    case "list": {
      if (isNull) return [];
      if (!isSeq(node)) return fail(`must be a list, found ${typeName(node, path)}`);
      const items = node.items.map((item, index) =>
        checkNode(item as Node | null, spec.of, `${path}[${index}]`, ctx, line)
      );
      if (items.includes(INVALID)) return INVALID;
      const problems = spec.check?.(items) ?? [];
      for (const { index, message } of problems) {
        const itemLine = lineOf(node.items[index] as Node | null, ctx, line);
        ctx.problems.push({ path: `${path}[${index}]`, line: itemLine, message });
      }
      return problems.length ? INVALID : items;
    }
    case "nameOr":
      if (typeof scalar === "string") {
        return scalar.trim()
          ? { [spec.field ?? "name"]: scalar.trim() }
          : fail("must not be empty");
      }
      return checkNode(node, spec.of, path, ctx, keyLine);
    case "map":
    case "object":
      return checkMapping(node, isNull, spec, path, ctx, line, fail);
  }
}

function checkMapping(
  node: Node | null,
  isNull: boolean,
  spec: Extract<Spec, { kind: "map" | "object" }>,
  path: string,
  ctx: Context,
  line: number,
  fail: (message: string) => typeof INVALID,
): Checked {
  if (isNull) {
    if (spec.kind === "object" && spec.required?.length) {
      return fail(`needs ${spec.required.join(", ")}`);
    }
    return {};
  }
  if (!isMap(node)) {
    return fail(`must be a mapping of keys to values, found ${typeName(node, path)}`);
  }
  const out: Record<string, unknown> = {};
  let ok = true;
  const seen = new Set<string>();
  for (const pair of node.items) {
    const keyNode = pair.key as Node | null;
    const key = keyNode !== null && isScalar(keyNode) ? String(keyNode.value) : "";
    const childPath = path ? `${path}.${key}` : key;
    const childLine = lineOf(keyNode, ctx, line);
    seen.add(key);
    let childSpec: Spec | undefined;
    if (spec.kind === "map") {
      if (spec.keys && !spec.keys.includes(key)) {
        ctx.problems.push({
          path: childPath,
          line: childLine,
          message: `unknown name "${key}"; expected one of ${spec.keys.join(", ")}`,
        });
        ok = false;
        continue;
      }
      childSpec = spec.of;
    } else {
      childSpec = spec.fields[key];
      if (!childSpec) {
        const reason = spec.ignored?.[key];
        if (reason) {
          ctx.warnings.push({ path: childPath, line: childLine, message: `ignored: ${reason}` });
        } else {
          const known = Object.keys(spec.fields).join(", ");
          ctx.problems.push({
            path: childPath,
            line: childLine,
            message: `unknown key "${key}"; known keys here: ${known}`,
          });
          ok = false;
        }
        continue;
      }
    }
    const value = checkNode(pair.value as Node | null, childSpec, childPath, ctx, childLine);
    if (value === INVALID) ok = false;
    else out[spec.kind === "object" ? camelCase(key) : key] = value;
  }
  if (spec.kind === "object") {
    for (const key of spec.required ?? []) {
      if (!seen.has(key)) {
        ctx.problems.push({ path: path || key, line, message: `missing required key "${key}"` });
        ok = false;
      }
    }
    const problem = ok ? spec.check?.(out) : undefined;
    if (problem) return fail(problem);
  }
  return ok ? out : INVALID;
}

/** Parses YAML text and validates it against `spec`. */
export function validateYaml(text: string, spec: Spec): Validated {
  const lines = new LineCounter();
  const doc = parseDocument(text, { lineCounter: lines, prettyErrors: false });
  const ctx: Context = { doc, lines, problems: [], warnings: [] };
  for (const error of doc.errors) {
    ctx.problems.push({
      path: "(yaml)",
      line: error.linePos?.[0].line ?? 1,
      message: error.message.split("\n")[0],
    });
  }
  if (ctx.problems.length) return { value: {}, problems: ctx.problems, warnings: [] };
  const root = doc.contents as Node | null;
  const value = checkNode(root, spec, "", ctx, 1);
  return {
    value: value === INVALID ? {} : value as Record<string, unknown>,
    problems: ctx.problems,
    warnings: ctx.warnings,
  };
}
