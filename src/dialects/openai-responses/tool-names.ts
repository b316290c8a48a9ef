/**
 * @module
 * Tool names between the Responses API's namespaces and the flat names of the
 * canonical model. A Responses client (Codex CLI in code mode) may group its
 * tools in `namespace` tools; the model then calls `{namespace, name}`. Other
 * dialects have one flat list of names, so a namespaced tool gets a flat
 * canonical name, and every call of that name goes back to the client as the
 * `{namespace, name}` it offered: what the model calls is what the client gets.
 *
 * - The `functions` namespace is OpenAI's default one (a model sees its tools
 *   as `functions.<name>`): its tools keep their bare names, and their calls
 *   go back bare too, as a Responses upstream may send them (Codex CLI runs
 *   them with or without `namespace: "functions"`), unless the client's own
 *   call item said otherwise.
 * - Any other namespace joins as `<namespace>__<name>`, Codex CLI's own flat
 *   form (its `ToolName::canonical_flat_name`: underscores at the seam trimmed).
 *
 * Names go back by lookup in the request's tools, never by splitting a name.
 */
import type { ProviderData } from "../../ir/message.ts";
import type { CanonicalRequest } from "../../ir/request.ts";
import type { PartMemo, ToolMemo } from "./wire-types.ts";

const DIALECT = "openai-responses";

/** The namespace whose tools the model calls by their bare name. */
export const DEFAULT_NAMESPACE = "functions";

/** The canonical name of tool `name` in `namespace` (no namespace: the name itself). */
export function flatToolName(namespace: string | undefined, name: string): string {
  if (namespace === undefined || namespace === "" || namespace === DEFAULT_NAMESPACE) return name;
  return `${namespace.replace(/_+$/, "")}__${name.replace(/^_+/, "")}`;
}

/** How the client named a tool, and whether it is freeform. */
export interface WireToolName {
  name: string;
  namespace?: string;
  custom: boolean;
}

/** The request's tools by canonical name, as the client named them. */
export function wireToolNames(request: CanonicalRequest): Map<string, WireToolName> {
  const names = new Map<string, WireToolName>();
  for (const tool of request.tools) {
    const memo = (tool.providerData?.[DIALECT] ?? {}) as ToolMemo;
    const wire: WireToolName = { name: memo.wireName ?? tool.name, custom: !!memo.custom };
    if (memo.namespace !== undefined) wire.namespace = memo.namespace;
    names.set(tool.name, wire);
  }
  return names;
}

/**
 * The `name` (and `namespace`) fields of a call item for canonical tool `name`: as the call
 * itself had them when it came from a Responses client, else as the request's tool offers it.
 */
export function callNameFields(
  name: string,
  names: Map<string, WireToolName>,
  part?: { providerData?: ProviderData },
): { name: string; namespace?: string } {
  const memo = (part?.providerData?.[DIALECT] ?? {}) as PartMemo;
  if (memo.namespace !== undefined) {
    return { namespace: memo.namespace, name: memo.wireName ?? name };
  }
  const wire = names.get(name);
  if (wire?.namespace === undefined || wire.namespace === DEFAULT_NAMESPACE) {
    return { name: wire?.name ?? name };
  }
  return { namespace: wire.namespace, name: wire.name };
}

/** A call item's `namespace` and `name` as the canonical name plus what to remember of them. */
export function decodeCallName(
  namespace: unknown,
  name: string,
): { name: string; memo: Pick<PartMemo, "namespace" | "wireName"> } {
  if (typeof namespace !== "string") return { name, memo: {} };
  const flat = flatToolName(namespace, name);
  return { name: flat, memo: { namespace, wireName: flat === name ? undefined : name } };
}
