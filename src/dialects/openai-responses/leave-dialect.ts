/**
 * @module
 * What a Responses request loses on its way to another dialect: built-in
 * tools and items, and items, tools and content parts of types subgate does
 * not know, are dropped with a warning (code mode's `additional_tools` item
 * and namespace tools are not: their tools are canonical tools). A forced
 * built-in tool, a text format subgate does not know or a
 * `previous_response_id` (state only OpenAI holds) would change the answer,
 * so they are refused.
 */
import type { ProviderData } from "../../ir/message.ts";
import type { CanonicalRequest } from "../../ir/request.ts";
import { keptPartCount } from "../kept-parts.ts";
import { apiError } from "../../errors/api-error.ts";
import type { EncodeContext } from "../codec.ts";
import { DIALECT } from "./decode-common.ts";
import type { PartMemo, RequestMemo } from "./wire-types.ts";

export function leaveDialect(request: CanonicalRequest, context: EncodeContext): void {
  const memo = request.providerData?.[DIALECT] as RequestMemo | undefined;
  if (memo) refuseChanges(memo);
  for (const { tool, mapped } of memo?.tools ?? []) {
    if (!mapped) context.warn("tools", `tool type ${JSON.stringify(tool.type)} dropped`);
  }
  for (const lost of memo?.lost ?? []) context.warn("tools", `${lost} dropped`);
  const items = (memo?.items ?? []).filter((entry) => !entry.mapped);
  if (items.length > 0) {
    const types = [...new Set(items.map((entry) => JSON.stringify(entry.item.type)))];
    context.warn("input", `${items.length} item(s) of type ${types.join(", ")} dropped`);
  }
  const parts = keptParts(request);
  if (parts > 0) {
    context.warn("content", `${parts} content part(s) of a type subgate does not know dropped`);
  }
}

/** Throws for what the target cannot do without answering differently. */
function refuseChanges(memo: RequestMemo): void {
  if (memo.fields?.previous_response_id !== undefined) {
    throw apiError(
      "invalid_request",
      "previous_response_id: only an OpenAI Responses upstream holds earlier responses; send the " +
        "whole conversation in `input` to use this model.",
    );
  }
  if (memo.toolChoice !== undefined) {
    throw apiError(
      "invalid_request",
      `tool_choice: forces a built-in tool (${JSON.stringify(memo.toolChoice)}) this model's ` +
        "upstream does not have.",
    );
  }
  const format = memo.text?.format as { type?: unknown } | undefined;
  if (format !== undefined) {
    throw apiError(
      "invalid_request",
      `text.format: the format type ${JSON.stringify(format.type)} cannot be asked of this ` +
        "model's upstream.",
    );
  }
}

/** How many content parts of unknown types ride on the request's parts. */
function keptParts(request: CanonicalRequest): number {
  let count = 0;
  const add = (part: { providerData?: ProviderData }) => {
    const memo = part.providerData?.[DIALECT] as PartMemo | undefined;
    count += keptPartCount(part, DIALECT) + (memo?.output?.length ?? 0);
  };
  for (const message of request.messages) {
    for (const part of message.content) {
      add(part);
      if (part.type === "tool-result" && typeof part.content !== "string") {
        part.content.forEach(add);
      }
    }
  }
  return count;
}
