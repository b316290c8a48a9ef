/**
 * @module
 * A Responses API response object from an upstream as a canonical response.
 *
 * - Output items in order: message `output_text` → text parts (annotations
 *   and the item's id and fields kept for a Responses client), `refusal` →
 *   refusal-marked text, reasoning → a reasoning part (summary parts joined by
 *   a blank line, `encrypted_content`, id, `origin: "openai-responses"`),
 *   `function_call` → a tool call (`call_id` is its id), `custom_tool_call` →
 *   a tool call with `{"input": …}` arguments; a call with a `namespace` gets
 *   the flat name the request's namespaced tool has (`tool-names.ts`).
 * - Built-in tool items (web_search_call, code_interpreter_call,
 *   local_shell_call, mcp_*, image_generation_call …) cannot be expressed;
 *   they are kept with their position in `providerData["openai-responses"].items`
 *   so that a Responses client still gets them.
 * - Status → stop reason (see map-stop-reason). A `failed` response is not
 *   thrown: its stop reason is `error` and its error, as a canonical
 *   `ApiError`, is in `providerData["openai-responses"].error` for the pipeline.
 * - Usage: `input_tokens` already includes cached tokens (the canonical
 *   convention), `output_tokens` already includes reasoning tokens.
 */
import type { AssistantPart, TextPart, ToolCallPart } from "../../ir/message.ts";
import type { CanonicalResponse, Usage } from "../../ir/response.ts";
import { apiError } from "../../errors/api-error.ts";
import { memoData, reasoningFromItem } from "./decode-request.ts";
import { extrasOf, finiteNumber, isObject, stringOrEmpty } from "../../ir/json.ts";
import { errorFromObject } from "./decode-error.ts";
import { decodeStatus } from "./map-stop-reason.ts";
import { decodeCallName } from "./tool-names.ts";
import type {
  BuiltinItem,
  PartMemo,
  ResponseErrorObject,
  ResponseMemo,
  ResponsesUsage,
} from "./wire-types.ts";

/** Responses usage as canonical usage (only the fields the upstream reported). */
export function decodeUsage(usage: ResponsesUsage | null | undefined): Partial<Usage> {
  if (!isObject(usage)) return {};
  const result: Partial<Usage> = {};
  const input = finiteNumber(usage.input_tokens);
  const output = finiteNumber(usage.output_tokens);
  const cached = finiteNumber(usage.input_tokens_details?.cached_tokens);
  const written = finiteNumber(usage.input_tokens_details?.cache_write_tokens);
  const reasoning = finiteNumber(usage.output_tokens_details?.reasoning_tokens);
  if (input !== undefined) result.inputTokens = input;
  if (output !== undefined) result.outputTokens = output;
  if (cached !== undefined) result.cachedInputTokens = cached;
  if (written) result.cacheCreationInputTokens = written;
  if (reasoning !== undefined) result.reasoningTokens = reasoning;
  return result;
}

const MESSAGE_KEYS = new Set(["type", "id", "role", "content"]);
const TEXT_KEYS = new Set(["type", "text"]);
const REFUSAL_KEYS = new Set(["type", "refusal"]);
const CALL_KEYS = new Set(["type", "id", "call_id", "namespace", "name", "arguments"]);
const CUSTOM_CALL_KEYS = new Set(["type", "id", "call_id", "namespace", "name", "input"]);

/** What a response's output items say, in canonical terms. */
export interface DecodedOutput {
  content: AssistantPart[];
  builtin: Array<{ part: number; item: BuiltinItem }>;
  hasToolCalls: boolean;
  hasRefusal: boolean;
}

/** Output items as canonical parts. */
export function decodeOutput(output: unknown): DecodedOutput {
  const result: DecodedOutput = {
    content: [],
    builtin: [],
    hasToolCalls: false,
    hasRefusal: false,
  };
  if (!Array.isArray(output)) return result;
  for (const item of output) {
    if (!isObject(item)) continue;
    switch (item.type) {
      case "message": {
        const parts = Array.isArray(item.content) ? item.content : [];
        parts.forEach((part, index) => {
          if (!isObject(part)) return;
          const refusal = part.type === "refusal";
          if (!refusal && part.type !== "output_text") return;
          const memo: PartMemo = {
            extra: extrasOf(part, refusal ? REFUSAL_KEYS : TEXT_KEYS),
          };
          if (refusal) {
            memo.refusal = true;
            result.hasRefusal = true;
          }
          if (index === 0) {
            memo.item = extrasOf(item, MESSAGE_KEYS) ?? {};
            if (typeof item.id === "string") memo.itemId = item.id;
          }
          const textPart: TextPart = {
            type: "text",
            text: stringOrEmpty(refusal ? part.refusal : part.text),
          };
          const data = memoData(memo);
          if (data) textPart.providerData = data;
          result.content.push(textPart);
        });
        break;
      }
      case "reasoning":
        result.content.push(reasoningFromItem(item));
        break;
      case "function_call":
      case "custom_tool_call": {
        const custom = item.type === "custom_tool_call";
        const called = decodeCallName(item.namespace, stringOrEmpty(item.name));
        const call: ToolCallPart = {
          type: "tool-call",
          id: stringOrEmpty(item.call_id) || stringOrEmpty(item.id),
          name: called.name,
          arguments: custom
            ? JSON.stringify({ input: stringOrEmpty(item.input) })
            : stringOrEmpty(item.arguments),
        };
        const memo: PartMemo = {
          ...called.memo,
          extra: extrasOf(item, custom ? CUSTOM_CALL_KEYS : CALL_KEYS),
          custom: custom || undefined,
          itemId: typeof item.id === "string" ? item.id : undefined,
        };
        const data = memoData(memo);
        if (data) call.providerData = data;
        result.content.push(call);
        result.hasToolCalls = true;
        break;
      }
      default:
        if (typeof item.type === "string") {
          result.builtin.push({ part: result.content.length, item: item as BuiltinItem });
        }
    }
  }
  return result;
}

export function decodeResponse(body: unknown): CanonicalResponse {
  if (!isObject(body) || !Array.isArray(body.output)) {
    throw apiError("api_error", "upstream answer is not a Responses API response object", {
      status: 502,
    });
  }
  const decoded = decodeOutput(body.output);
  const incomplete = isObject(body.incomplete_details)
    ? stringOrEmpty(body.incomplete_details.reason)
    : undefined;
  const status = typeof body.status === "string" ? body.status : undefined;
  const response: CanonicalResponse = {
    id: stringOrEmpty(body.id),
    model: stringOrEmpty(body.model),
    content: decoded.content,
    stopReason: decodeStatus(status, incomplete, decoded.hasToolCalls, decoded.hasRefusal),
    usage: { inputTokens: 0, outputTokens: 0, ...decodeUsage(body.usage as ResponsesUsage) },
  };
  if (typeof body.created_at === "number") response.created = body.created_at;
  const memo: ResponseMemo = {};
  if (decoded.builtin.length > 0) memo.items = decoded.builtin;
  if (status === "failed") {
    memo.error = errorFromObject(
      isObject(body.error) ? body.error as ResponseErrorObject : { message: "response failed" },
      0,
    );
  }
  if (
    status === "incomplete" && incomplete && incomplete !== "max_output_tokens" &&
    incomplete !== "content_filter"
  ) {
    memo.incompleteReason = incomplete;
  }
  const data = memoData(memo);
  if (data) response.providerData = data;
  return response;
}
