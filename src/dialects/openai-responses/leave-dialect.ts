/**
 * @module
 * What a Responses request loses on its way to another dialect: built-in
 * tools and items are dropped with a warning; a forced built-in tool or a
 * `previous_response_id` (state only OpenAI holds) would change the answer,
 * so they are refused.
 */
import type { CanonicalRequest } from "../../ir/request.ts";
import { apiError } from "../../server/api-error.ts";
import type { EncodeContext } from "../codec.ts";
import type { RequestMemo } from "./wire-types.ts";

export function leaveDialect(request: CanonicalRequest, context: EncodeContext): void {
  const memo = request.providerData?.["openai-responses"] as RequestMemo | undefined;
  if (!memo) return;
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
  for (const { tool } of memo.tools ?? []) {
    context.warn(
      "tools",
      `built-in tool ${JSON.stringify((tool as { type?: string }).type)} dropped`,
    );
  }
  if (memo.items?.length) {
    context.warn("input", `${memo.items.length} built-in tool item(s) dropped`);
  }
}
