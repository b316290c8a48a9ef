/**
 * @module
 * An Anthropic Messages response body (from an upstream) as a canonical answer.
 *
 * - text → text (its `citations` in `providerData.anthropic`); thinking →
 *   reasoning with its signature; redacted_thinking → reasoning with
 *   `encrypted` and `redacted`; tool_use → a tool call, input as JSON text.
 *   All reasoning gets origin "anthropic".
 * - Server blocks (server_tool_use, web_search_tool_result, mcp_tool_use,
 *   code execution results, compaction, …) stay verbatim with their positions
 *   in `providerData.anthropic.opaque`; top-level extras (`container`,
 *   `context_management`) and usage extras (`service_tier`, …) are kept too.
 * - Usage: inputTokens = input + cache read + cache written (the IR counts
 *   the whole prompt); the cache counts go in their own fields.
 */
import type { AssistantPart, ProviderData } from "../../ir/message.ts";
import type { CanonicalResponse, Usage } from "../../ir/response.ts";
import { apiError, ApiErrorException } from "../../errors/api-error.ts";
import { errorFromObject } from "./decode-error.ts";
import { decodeStopReason } from "./map-stop-reason.ts";
import type { AnthropicErrorBody, OpaqueBlock } from "./wire-types.ts";
import { extrasOf, finiteNumber, isObject, type Json, stringOrEmpty } from "../../ir/json.ts";

const RESPONSE_FIELDS = new Set([
  "id",
  "type",
  "role",
  "model",
  "content",
  "stop_reason",
  "stop_sequence",
  "usage",
]);
const USAGE_FIELDS = new Set([
  "input_tokens",
  "output_tokens",
  "cache_creation_input_tokens",
  "cache_read_input_tokens",
]);
const BLOCK_FIELDS: Record<string, ReadonlySet<string>> = {
  text: new Set(["type", "text"]),
  tool_use: new Set(["type", "id", "name", "input"]),
};

/** Anthropic's token counts, as they arrive (a stream sends them in two events). */
export interface UsageCounts {
  input?: number;
  cacheRead?: number;
  cacheWritten?: number;
  output?: number;
  reasoning?: number;
}

/** Copies the counts `usage` reports into `counts` (later reports overwrite earlier ones). */
export function readUsage(usage: unknown, counts: UsageCounts): UsageCounts {
  if (!usage || typeof usage !== "object") return counts;
  const fields = usage as Json;
  counts.input = finiteNumber(fields.input_tokens) ?? counts.input;
  counts.cacheRead = finiteNumber(fields.cache_read_input_tokens) ?? counts.cacheRead;
  counts.cacheWritten = finiteNumber(fields.cache_creation_input_tokens) ?? counts.cacheWritten;
  counts.output = finiteNumber(fields.output_tokens) ?? counts.output;
  const details = fields.output_tokens_details as Json | undefined;
  counts.reasoning = finiteNumber(details?.thinking_tokens) ?? counts.reasoning;
  return counts;
}

export function canonicalUsage(counts: UsageCounts): Usage {
  const usage: Usage = {
    inputTokens: (counts.input ?? 0) + (counts.cacheRead ?? 0) + (counts.cacheWritten ?? 0),
    outputTokens: counts.output ?? 0,
  };
  if (counts.cacheRead !== undefined) usage.cachedInputTokens = counts.cacheRead;
  if (counts.cacheWritten !== undefined) usage.cacheCreationInputTokens = counts.cacheWritten;
  if (counts.reasoning !== undefined) usage.reasoningTokens = counts.reasoning;
  return usage;
}

function data(extra: Json | undefined): { providerData?: ProviderData } {
  return extra ? { providerData: { anthropic: extra } } : {};
}

/** One response block as a part, or undefined for a block kept verbatim. */
function decodeBlock(block: Json): AssistantPart | undefined {
  switch (block.type) {
    case "text":
      if (typeof block.text !== "string") return undefined;
      return { type: "text", text: block.text, ...data(extrasOf(block, BLOCK_FIELDS.text)) };
    case "thinking": {
      if (typeof block.thinking !== "string") return undefined;
      const signature = typeof block.signature === "string" && block.signature
        ? { signature: block.signature }
        : {};
      return { type: "reasoning", text: block.thinking, ...signature, origin: "anthropic" };
    }
    case "redacted_thinking":
      if (typeof block.data !== "string") return undefined;
      return {
        type: "reasoning",
        text: "",
        encrypted: block.data,
        redacted: true,
        origin: "anthropic",
      };
    case "tool_use":
      if (typeof block.id !== "string" || typeof block.name !== "string") return undefined;
      return {
        type: "tool-call",
        id: block.id,
        name: block.name,
        arguments: JSON.stringify(block.input ?? {}),
        ...data(extrasOf(block, BLOCK_FIELDS.tool_use)),
      };
    default:
      return undefined;
  }
}

export function decodeResponse(body: unknown): CanonicalResponse {
  if (!isObject(body)) {
    throw apiError("api_error", "The upstream answer is not a JSON object.", { status: 502 });
  }
  const message = body;
  if (message.type === "error") {
    // An error body on HTTP 200 (some proxies): its `error` is checked where it is read.
    throw new ApiErrorException(errorFromObject((message as Partial<AnthropicErrorBody>).error));
  }
  if (!Array.isArray(message.content)) {
    throw apiError("api_error", "The upstream answer has no content array.", { status: 502 });
  }
  const content: AssistantPart[] = [];
  const opaque: OpaqueBlock[] = [];
  message.content.forEach((block: unknown, at: number) => {
    const part = block && typeof block === "object" ? decodeBlock(block as Json) : undefined;
    if (part) content.push(part);
    else if (block && typeof block === "object") opaque.push({ at, block: block as Json });
  });

  const usage = message.usage && typeof message.usage === "object" ? message.usage as Json : {};
  const extra: Json = extrasOf(message, RESPONSE_FIELDS) ?? {};
  const usageExtra = extrasOf(usage, USAGE_FIELDS);
  if (usageExtra) extra.usage = usageExtra;
  if (opaque.length > 0) extra.opaque = opaque;

  const response: CanonicalResponse = {
    id: stringOrEmpty(message.id),
    model: stringOrEmpty(message.model),
    content,
    stopReason: decodeStopReason(message.stop_reason),
    usage: canonicalUsage(readUsage(usage, {})),
  };
  if (typeof message.stop_sequence === "string") response.stopSequence = message.stop_sequence;
  if (Object.keys(extra).length > 0) response.providerData = { anthropic: extra };
  return response;
}
