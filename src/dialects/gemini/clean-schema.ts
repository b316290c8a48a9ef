/**
 * @module
 * JSON Schema ↔ the two schema fields Gemini has.
 *
 * - `parametersJsonSchema` / `responseJsonSchema` take JSON Schema as a plain
 *   JSON value (unsupported keywords are ignored, not rejected). Only a few
 *   things break them: `$schema`, `definitions` (Gemini resolves `$defs`), and
 *   keywords beside a `$ref` (only `$…` keys may sit there).
 *   {@link toGeminiJsonSchema} fixes exactly those.
 * - `parameters` / `responseSchema` take Gemini's `Schema`, an OpenAPI 3.0
 *   subset parsed as a proto: an unknown keyword is a 400. {@link toGeminiSchema}
 *   keeps the supported keywords, resolves `$ref`, merges `allOf`, turns
 *   `const` into `enum`, `oneOf` into `anyOf`, `["x","null"]` into
 *   `nullable`, drops formats Gemini rejects and `required` names that are not
 *   properties, and writes types in Gemini's upper case.
 * - {@link fromGeminiSchema} reads a `Schema` back as JSON Schema (lower-case
 *   types, `nullable` as a `"null"` type) for the other dialects.
 *
 * All three are pure and never change their input.
 */
import type { JsonSchema } from "./wire-types.ts";
import { isObject } from "../../ir/json.ts";

export interface CleanedSchema {
  schema: JsonSchema;
  /** Losses that may matter, as "<path>: <what>". */
  warnings: string[];
}

// ---------------------------------------------------------------------------
// JSON Schema → JSON Schema for parametersJsonSchema / responseJsonSchema

/** Keys whose value is a map of name → schema. */
const SCHEMA_MAPS = new Set([
  "properties",
  "$defs",
  "definitions",
  "patternProperties",
  "dependentSchemas",
]);
/** Keys whose value is one schema. */
const SCHEMA_VALUES = new Set([
  "items",
  "additionalProperties",
  "not",
  "if",
  "then",
  "else",
  "contains",
  "propertyNames",
  "unevaluatedProperties",
  "unevaluatedItems",
  "additionalItems",
]);
/** Keys whose value is a list of schemas. */
const SCHEMA_LISTS = new Set(["anyOf", "oneOf", "allOf", "prefixItems"]);

function cleanJsonNode(node: unknown, warnings: string[], path: string): unknown {
  if (Array.isArray(node)) {
    return node.map((item, i) => cleanJsonNode(item, warnings, `${path}[${i}]`));
  }
  if (!isObject(node)) return node;
  const out: Record<string, unknown> = {};
  const hasRef = typeof node.$ref === "string";
  for (const [key, value] of Object.entries(node)) {
    if (key === "$schema") continue;
    if (hasRef && !key.startsWith("$")) {
      warnings.push(
        `${path || "(root)"}: "${key}" beside $ref dropped (Gemini allows only $ keys)`,
      );
      continue;
    }
    const name = key === "definitions" ? "$defs" : key;
    if (key === "$ref" && typeof value === "string") {
      out.$ref = value.replace(/^#\/definitions\//, "#/$defs/");
    } else if (SCHEMA_MAPS.has(key) && isObject(value)) {
      const map: Record<string, unknown> = {};
      for (const [child, schema] of Object.entries(value)) {
        map[child] = cleanJsonNode(schema, warnings, `${path}${path ? "." : ""}${child}`);
      }
      if (name === "$defs" && isObject(out.$defs)) Object.assign(out.$defs, map);
      else out[name] = map;
    } else if ((SCHEMA_VALUES.has(key) || SCHEMA_LISTS.has(key)) && typeof value === "object") {
      out[name] = cleanJsonNode(value, warnings, `${path}${path ? "." : ""}${key}`);
    } else {
      out[name] = value;
    }
  }
  return out;
}

/** A JSON Schema Gemini's `parametersJsonSchema` / `responseJsonSchema` accept. */
export function toGeminiJsonSchema(schema: JsonSchema): CleanedSchema {
  const warnings: string[] = [];
  return { schema: cleanJsonNode(schema, warnings, "") as JsonSchema, warnings };
}

// ---------------------------------------------------------------------------
// JSON Schema → Gemini Schema (OpenAPI subset) for parameters / responseSchema

const SCHEMA_KEYWORDS = new Set([
  "type",
  "format",
  "title",
  "description",
  "nullable",
  "enum",
  "maxItems",
  "minItems",
  "properties",
  "required",
  "minProperties",
  "maxProperties",
  "minLength",
  "maxLength",
  "pattern",
  "example",
  "anyOf",
  "propertyOrdering",
  "default",
  "items",
  "minimum",
  "maximum",
]);

const TYPES: Record<string, string> = {
  string: "STRING",
  number: "NUMBER",
  integer: "INTEGER",
  boolean: "BOOLEAN",
  array: "ARRAY",
  object: "OBJECT",
  null: "NULL",
};

const FORMATS: Record<string, Set<string>> = {
  STRING: new Set(["enum", "date-time"]),
  NUMBER: new Set(["float", "double"]),
  INTEGER: new Set(["int32", "int64"]),
};

interface SchemaContext {
  root: Record<string, unknown>;
  warnings: string[];
  /** $refs being expanded, to stop at a cycle. */
  expanding: string[];
}

function resolveRef(ref: string, context: SchemaContext): Record<string, unknown> | undefined {
  if (!ref.startsWith("#/")) return undefined;
  let node: unknown = context.root;
  for (const raw of ref.slice(2).split("/")) {
    const key = raw.replaceAll("~1", "/").replaceAll("~0", "~");
    if (!isObject(node)) return undefined;
    node = node[key];
  }
  return isObject(node) ? node : undefined;
}

function upperType(value: unknown): string | undefined {
  return typeof value === "string" ? TYPES[value.toLowerCase()] : undefined;
}

/** `allOf` members merged into one schema (properties and required unioned). */
function mergeAllOf(node: Record<string, unknown>, context: SchemaContext, path: string) {
  const { allOf, ...rest } = node;
  const merged: Record<string, unknown> = { ...rest };
  for (const member of Array.isArray(allOf) ? allOf : []) {
    let part = isObject(member) ? member : {};
    if (typeof part.$ref === "string") {
      const target = resolveRef(part.$ref, context);
      if (target) part = { ...target, ...part, $ref: undefined };
    }
    for (const [key, value] of Object.entries(part)) {
      if (value === undefined || key === "$ref") continue;
      if (key === "properties" && isObject(value)) {
        merged.properties = { ...(isObject(merged.properties) ? merged.properties : {}), ...value };
      } else if (key === "required" && Array.isArray(value)) {
        const required = Array.isArray(merged.required) ? merged.required : [];
        merged.required = [...new Set([...required, ...value])];
      } else if (!(key in merged)) {
        merged[key] = value;
      } else if (JSON.stringify(merged[key]) !== JSON.stringify(value)) {
        context.warnings.push(`${path || "(root)"}: allOf members disagree on "${key}"`);
      }
    }
  }
  return merged;
}

/** What a node says of its type: Gemini's name for it (or several, for an `anyOf`), and null. */
interface NodeType {
  type?: string;
  /** Several types (`["string","number"]`): Gemini says that with `anyOf`. */
  anyOfTypes?: string[];
  nullable: boolean;
}

function convertNode(input: unknown, context: SchemaContext, path: string): JsonSchema {
  if (!isObject(input)) return {};
  if (typeof input.$ref === "string") return convertRef(input, input.$ref, context, path);
  const node = Array.isArray(input.allOf) ? mergeAllOf(input, context, path) : input;
  const at = path || "(root)";
  const out: Record<string, unknown> = {};
  const kind = readType(node, context, at);
  convertEnum(node, kind, out, context, at);
  if (!kind.type && !kind.anyOfTypes) {
    if (isObject(node.properties)) kind.type = "OBJECT";
    else if (node.items !== undefined) kind.type = "ARRAY";
  }
  if (kind.type) out.type = kind.type;
  copyKeywords(node, kind.type, out, context, path);
  convertAlternatives(node, kind, out, context, path);
  pruneRequired(out, context, at);
  if (kind.nullable) out.nullable = true;
  return out;
}

/** A `$ref` expanded in place (its sibling keywords win); a cycle or a dangling ref is an object. */
function convertRef(
  node: Record<string, unknown>,
  ref: string,
  context: SchemaContext,
  path: string,
): JsonSchema {
  const at = path || "(root)";
  if (context.expanding.includes(ref)) {
    context.warnings.push(`${at}: recursive $ref ${ref} cut to a plain object`);
    return {
      type: "OBJECT",
      ...(typeof node.description === "string" ? { description: node.description } : {}),
    };
  }
  const target = resolveRef(ref, context);
  if (!target) {
    context.warnings.push(`${at}: $ref ${ref} not found, replaced by a plain object`);
    return { type: "OBJECT" };
  }
  const { $ref: _ref, ...siblings } = node;
  context.expanding.push(ref);
  try {
    return convertNode({ ...target, ...siblings }, context, path);
  } finally {
    context.expanding.pop();
  }
}

/** `type`: a name, or a list of names ("null" among them means nullable). */
function readType(node: Record<string, unknown>, context: SchemaContext, at: string): NodeType {
  const kind: NodeType = { nullable: node.nullable === true };
  if (Array.isArray(node.type)) {
    const names = node.type.map(upperType).filter((name): name is string => !!name);
    if (names.includes("NULL")) kind.nullable = true;
    const real = [...new Set(names.filter((name) => name !== "NULL"))];
    if (real.length === 1) kind.type = real[0];
    else if (real.length > 1) kind.anyOfTypes = real;
    else if (names.length > 0) kind.type = "NULL";
  } else if (node.type !== undefined) {
    kind.type = upperType(node.type);
    if (!kind.type) {
      context.warnings.push(`${at}: unknown type ${JSON.stringify(node.type)} dropped`);
    }
  }
  return kind;
}

/** `enum` and `const` as Gemini's enum, which holds strings only (a null in it means nullable). */
function convertEnum(
  node: Record<string, unknown>,
  kind: NodeType,
  out: Record<string, unknown>,
  context: SchemaContext,
  at: string,
): void {
  let values: unknown[] | undefined = Array.isArray(node.enum) ? node.enum : undefined;
  if (node.const !== undefined) {
    if (typeof node.const === "string") values = [node.const];
    else {
      context.warnings.push(
        `${at}: const ${JSON.stringify(node.const)} dropped (Gemini enums are strings)`,
      );
    }
  }
  if (!values) return;
  if (values.includes(null)) kind.nullable = true;
  const strings = values.filter((value) => value !== null);
  if (strings.every((value) => typeof value === "string")) {
    out.enum = strings;
    kind.type ??= "STRING";
  } else {
    context.warnings.push(`${at}: non-string enum dropped (Gemini enums are strings)`);
  }
}

/** The keywords Gemini's Schema has, converted where they hold schemas; the rest are dropped. */
function copyKeywords(
  node: Record<string, unknown>,
  type: string | undefined,
  out: Record<string, unknown>,
  context: SchemaContext,
  path: string,
): void {
  for (const [key, value] of Object.entries(node)) {
    if (!SCHEMA_KEYWORDS.has(key) || key in out) continue;
    switch (key) {
      case "type":
      case "nullable":
      case "enum":
      case "anyOf":
        break; // decided by readType, convertEnum and convertAlternatives
      case "format":
        if (typeof value === "string" && type && FORMATS[type]?.has(value)) out.format = value;
        break;
      case "properties":
        if (isObject(value)) {
          const properties: Record<string, unknown> = {};
          for (const [name, schema] of Object.entries(value)) {
            properties[name] = convertNode(schema, context, `${path}${path ? "." : ""}${name}`);
          }
          out.properties = properties;
        }
        break;
      case "items": {
        const item = Array.isArray(value) ? value[0] : value;
        if (Array.isArray(value)) {
          context.warnings.push(`${path || "(root)"}: tuple items cut to the first`);
        }
        if (isObject(item)) out.items = convertNode(item, context, `${path}[]`);
        break;
      }
      default:
        out[key] = value;
    }
  }
}

/** `anyOf` / `oneOf` (and several types): a "null" member means nullable; one left is inlined. */
function convertAlternatives(
  node: Record<string, unknown>,
  kind: NodeType,
  out: Record<string, unknown>,
  context: SchemaContext,
  path: string,
): void {
  const members = [
    ...(Array.isArray(node.anyOf) ? node.anyOf : []),
    ...(Array.isArray(node.oneOf) ? node.oneOf : []),
  ];
  if (kind.anyOfTypes) {
    members.push(...kind.anyOfTypes.map((name) => typeBranch(name, node)));
    for (const key of ["properties", "required", "items"]) delete out[key];
  }
  if (members.length === 0) return;
  const converted = members
    .map((member, i) => convertNode(member, context, `${path}${path ? "." : ""}anyOf[${i}]`))
    .filter((member) => {
      if (member.type === "NULL" && Object.keys(member).length === 1) {
        kind.nullable = true;
        return false;
      }
      return true;
    });
  if (converted.length === 1) {
    for (const [key, value] of Object.entries(converted[0])) if (!(key in out)) out[key] = value;
    if (converted[0].nullable === true) kind.nullable = true;
  } else if (converted.length > 1) {
    out.anyOf = converted;
  }
}

/** `required` names that are not properties are dropped (Gemini rejects them). */
function pruneRequired(out: Record<string, unknown>, context: SchemaContext, at: string): void {
  if (!Array.isArray(out.required)) return;
  const names = isObject(out.properties) ? out.properties : {};
  const kept = out.required.filter((name) => typeof name === "string" && name in names);
  if (kept.length < out.required.length) {
    const missing = out.required.filter((name) => !kept.includes(name));
    context.warnings.push(
      `${at}: required names without a property dropped: ${missing.join(", ")}`,
    );
  }
  if (kept.length > 0) out.required = kept;
  else delete out.required;
}

/** One branch of a multi-type schema: the type, with the keywords that belong to it. */
function typeBranch(name: string, node: Record<string, unknown>): Record<string, unknown> {
  const branch: Record<string, unknown> = { type: name.toLowerCase() };
  if (name === "ARRAY" && node.items !== undefined) branch.items = node.items;
  if (name === "OBJECT" && node.properties !== undefined) {
    branch.properties = node.properties;
    if (node.required !== undefined) branch.required = node.required;
  }
  return branch;
}

/** A JSON Schema as Gemini's OpenAPI-subset `Schema` (for `parameters` / `responseSchema`). */
export function toGeminiSchema(schema: JsonSchema): CleanedSchema {
  const context: SchemaContext = { root: schema, warnings: [], expanding: [] };
  return { schema: convertNode(schema, context, ""), warnings: context.warnings };
}

// ---------------------------------------------------------------------------
// Gemini Schema → JSON Schema

function fromNode(input: unknown): unknown {
  if (!isObject(input)) return input;
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(input)) {
    switch (key) {
      case "type":
        out.type = typeof value === "string" ? value.toLowerCase() : value;
        break;
      case "nullable":
        break;
      case "properties":
        if (isObject(value)) {
          const properties: Record<string, unknown> = {};
          for (const [name, schema] of Object.entries(value)) properties[name] = fromNode(schema);
          out.properties = properties;
        } else out.properties = value;
        break;
      case "items":
        out.items = fromNode(value);
        break;
      case "anyOf":
        out.anyOf = Array.isArray(value) ? value.map(fromNode) : value;
        break;
      default:
        out[key] = value;
    }
  }
  if (input.nullable === true) {
    if (typeof out.type === "string") out.type = [out.type, "null"];
    else out.nullable = true;
  }
  return out;
}

/** Gemini's `Schema` (upper-case types, `nullable`) as JSON Schema. */
export function fromGeminiSchema(schema: JsonSchema): JsonSchema {
  return fromNode(schema) as JsonSchema;
}
