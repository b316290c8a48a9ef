/**
 * @module
 * What a Messages request loses on its way to another dialect: the blocks
 * decode-request kept verbatim (server tool calls and results, blocks of types
 * subgate does not know, non-text system blocks) and server tools are dropped
 * with a warning; a tool choice of a type subgate does not know would change
 * the answer, so it is refused.
 */
import type { CanonicalRequest } from "../../ir/request.ts";
import { apiError } from "../../errors/api-error.ts";
import type { EncodeContext } from "../codec.ts";
import type { MessageProviderData } from "./wire-types.ts";
import type { Json } from "../../ir/json.ts";

function count(opaque: unknown): number {
  return Array.isArray(opaque) ? opaque.length : 0;
}

export function leaveDialect(request: CanonicalRequest, context: EncodeContext): void {
  const data = (request.providerData?.anthropic ?? {}) as Json;
  const choice = data.tool_choice as Json | undefined;
  if (choice) {
    throw apiError(
      "invalid_request",
      `tool_choice: the type ${JSON.stringify(choice.type)} cannot be asked of this model's ` +
        "upstream.",
    );
  }
  for (const slot of Array.isArray(data.tools) ? data.tools as Array<Json | null> : []) {
    if (slot) context.warn("tools", `tool type ${JSON.stringify(slot.type)} dropped`);
  }
  let blocks = count(data.systemOpaque);
  for (const message of request.messages) {
    blocks += count((message.providerData?.anthropic as MessageProviderData | undefined)?.opaque);
    for (const part of message.content) {
      if (part.type === "tool-result") blocks += count(part.providerData?.anthropic?.opaque);
    }
  }
  if (blocks > 0) {
    context.warn("content", `${blocks} block(s) only Anthropic reads (server tools …) dropped`);
  }
}
