/**
 * @module
 * A Responses request's tools as canonical tools, from wherever the client put
 * them: the top-level `tools`, `namespace` tools (inside or outside `tools`),
 * and Codex CLI's code-mode `additional_tools` input item.
 *
 * - Function tools keep their JSON Schema; custom (freeform) tools become
 *   tools taking `{"input": string}` (their grammar or text `format` kept for a
 *   Responses upstream).
 * - A namespace's tools get flat canonical names (`tool-names.ts`) and
 *   remember their namespace, so their calls go back as `{namespace, name}`.
 * - What the wire carries in a container (a namespace tool, an
 *   `additional_tools` item) stays there verbatim for a Responses upstream;
 *   the canonical definitions made from it are marked `kept` so that
 *   encodeTools does not send them twice.
 * - Built-in and unknown tool types in `tools` are kept verbatim with their
 *   position; inside a container they stay in the container, and what other
 *   dialects will not get is listed in `lost` for the warning.
 * - One definition per canonical name: a repeated name (a later
 *   `additional_tools` item offering the same tool) is skipped, except that a
 *   tool in `tools` itself wins over a kept one.
 */
import type { ToolDefinition } from "../../ir/request.ts";
import {
  customToolParameters,
  describe,
  invalid,
  memoData,
  requireString,
} from "./decode-common.ts";
import { extrasOf, isObject, type Json } from "../../ir/json.ts";
import { flatToolName } from "./tool-names.ts";
import type { BuiltinItem, BuiltinTool, RequestMemo, ToolMemo } from "./wire-types.ts";

const FUNCTION_TOOL_KEYS = new Set(["type", "name"]);
const CUSTOM_TOOL_KEYS = new Set(["type", "name", "description", "format"]);

/** Where a tool list sits: in a namespace or not, and whether its container is kept verbatim. */
interface Place {
  namespace?: string;
  kept: boolean;
}

/** The canonical tools of one request, and what the wire keeps beside them. */
export class ToolSet {
  readonly tools: ToolDefinition[] = [];
  /** Top-level tools other than function/custom, verbatim with their index. */
  readonly builtin: NonNullable<RequestMemo["tools"]> = [];
  readonly lost: string[] = [];
  private readonly byName = new Map<string, number>();

  add(definition: ToolDefinition): void {
    const at = this.byName.get(definition.name);
    if (at === undefined) {
      this.byName.set(definition.name, this.tools.length);
      this.tools.push(definition);
    } else if (isKept(this.tools[at]) && !isKept(definition)) {
      // Only a definition of `tools` itself comes back out of encodeTools: it must stay.
      this.tools[at] = definition;
    }
  }
}

function isKept(tool: ToolDefinition): boolean {
  return (tool.providerData?.["openai-responses"] as ToolMemo | undefined)?.kept === true;
}

/** The memo and schema of a function tool; the fields it does not know stay extras. */
function functionTool(tool: Json, path: string, definition: ToolDefinition, memo: ToolMemo) {
  const known = new Set(FUNCTION_TOOL_KEYS);
  if (typeof tool.description === "string") known.add("description");
  if (isObject(tool.parameters)) {
    definition.parameters = tool.parameters;
    known.add("parameters");
  } else if (tool.parameters !== undefined && tool.parameters !== null) {
    invalid(`${path}.parameters`, "must be a JSON Schema object");
  } else {
    definition.parameters = { type: "object", properties: {} };
    memo.noParameters = true;
  }
  if (typeof tool.strict === "boolean") {
    definition.strict = tool.strict;
    known.add("strict");
  } else if (tool.strict !== undefined && tool.strict !== null) {
    invalid(`${path}.strict`, "must be a boolean");
  } else if (tool.strict === undefined) memo.noStrict = true;
  memo.extra = extrasOf(tool, known);
}

/** A function or custom tool as a canonical definition. */
function definitionOf(tool: Json, path: string, place: Place): ToolDefinition {
  const name = requireString(tool.name, `${path}.name`);
  if (!name) invalid(`${path}.name`, "must not be empty");
  const definition: ToolDefinition = {
    name: flatToolName(place.namespace, name),
    parameters: customToolParameters(),
  };
  const memo: ToolMemo = {};
  if (place.namespace !== undefined) memo.namespace = place.namespace;
  if (definition.name !== name) memo.wireName = name;
  if (place.kept) memo.kept = true;
  if (typeof tool.description === "string") definition.description = tool.description;
  else if (tool.description !== undefined && tool.description !== null) {
    invalid(`${path}.description`, "must be a string");
  }
  if (tool.type === "custom") {
    if (tool.format !== undefined && !isObject(tool.format)) {
      invalid(`${path}.format`, "must be an object");
    }
    memo.custom = tool.format === undefined ? {} : { format: tool.format };
    memo.extra = extrasOf(tool, CUSTOM_TOOL_KEYS);
  } else functionTool(tool, path, definition, memo);
  const data = memoData(memo);
  if (data) definition.providerData = data;
  return definition;
}

/** A namespace tool's own tools into `set`; false when it is not one subgate can read. */
function decodeNamespace(tool: Json, path: string, place: Place, set: ToolSet): boolean {
  if (place.namespace !== undefined) return false;
  const name = requireString(tool.name, `${path}.name`);
  if (!name) invalid(`${path}.name`, "must not be empty");
  if (!Array.isArray(tool.tools)) invalid(`${path}.tools`, "must be an array");
  decodeToolList(tool.tools, `${path}.tools`, { namespace: name, kept: true }, set);
  return true;
}

function decodeToolList(tools: unknown[], path: string, place: Place, set: ToolSet): void {
  tools.forEach((tool, index) => {
    const at = `${path}[${index}]`;
    if (!isObject(tool)) invalid(at, `must be an object, got ${describe(tool)}`);
    if (typeof tool.type !== "string") invalid(`${at}.type`, "must be a string");
    if (tool.type === "function" || tool.type === "custom") {
      set.add(definitionOf(tool, at, place));
    } else if (tool.type === "namespace" && decodeNamespace(tool, at, place, set)) {
      if (!place.kept) set.builtin.push({ index, tool: tool as BuiltinTool, mapped: true });
    } else if (!place.kept) {
      set.builtin.push({ index, tool: tool as BuiltinTool });
    } else set.lost.push(`${at}: tool type ${JSON.stringify(tool.type)}`);
  });
}

/** The top-level `tools`. */
export function decodeTools(tools: unknown, set: ToolSet): void {
  if (tools === undefined || tools === null) return;
  if (!Array.isArray(tools)) invalid("tools", `must be an array, got ${describe(tools)}`);
  decodeToolList(tools, "tools", { kept: false }, set);
}

/** Code mode's `additional_tools` input item: its tools into `set`; the item itself stays verbatim. */
export function decodeAdditionalTools(item: BuiltinItem, path: string, set: ToolSet): void {
  if (!Array.isArray(item.tools)) invalid(`${path}.tools`, "must be an array");
  decodeToolList(item.tools, `${path}.tools`, { kept: true }, set);
}
