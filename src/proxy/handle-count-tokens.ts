/**
 * @module
 * `POST /v1/messages/count_tokens` and Gemini's `:countTokens`, through the
 * same account loop as generation (selection, fresh token, failover,
 * deadline, logging): each account's upstream counts when it can, in its own
 * dialect (`attempt-count.ts`); otherwise subgate answers with its local
 * estimate (`estimate-tokens.ts`).
 */
import { CODECS } from "../dialects/registry.ts";
import { apiError } from "../errors/api-error.ts";
import type { GenerateInput, PipelineContext } from "./handle-generate.ts";
import { handleGenerate } from "./handle-generate.ts";

export function handleCountTokens(
  input: GenerateInput,
  context: PipelineContext,
): Promise<Response> {
  if (!CODECS[input.dialect].count) {
    throw apiError("not_found", `${input.dialect} has no token-counting endpoint.`);
  }
  return handleGenerate({ ...input, action: "count-tokens" }, context);
}
