/**
 * @module
 * A `chat.completion` body from an upstream as a canonical response. Only
 * `choices[0]` is read (subgate asks for one choice). `reasoning_content`
 * (DeepSeek, Kimi, xAI) and `reasoning` (OpenRouter, Groq) become a reasoning
 * part; `refusal` becomes a text part marked `{refusal: true}`.
 */
import type { AssistantPart, ProviderData } from "../../ir/message.ts";
import type { CanonicalResponse, Usage } from "../../ir/response.ts";
import { emptyUsage, mergeUsage } from "../../ir/usage.ts";
import { apiError, ApiErrorException } from "../../errors/api-error.ts";
import { errorFromObject } from "./decode-error.ts";
import { decodeFinishReason } from "./map-stop-reason.ts";
import type { ChatCompletion, ChatErrorObject, ChatUsage } from "./wire-types.ts";
import { finiteNumber, stringOrEmpty } from "../../ir/json.ts";

/**
 * Chat usage as canonical usage (only the fields the upstream reported).
 * xAI leaves reasoning tokens out of `completion_tokens` (its total is
 * prompt + completion + reasoning); they are added back so that
 * `outputTokens` includes reasoning, as everywhere else.
 */
export function decodeUsage(usage: ChatUsage | null | undefined): Partial<Usage> {
  if (!usage || typeof usage !== "object") return {};
  const result: Partial<Usage> = {};
  const input = finiteNumber(usage.prompt_tokens);
  let output = finiteNumber(usage.completion_tokens);
  const reasoning = finiteNumber(usage.completion_tokens_details?.reasoning_tokens);
  const cached = finiteNumber(usage.prompt_tokens_details?.cached_tokens) ??
    finiteNumber(usage.prompt_cache_hit_tokens);
  const written = finiteNumber(usage.prompt_tokens_details?.cache_write_tokens);
  const total = finiteNumber(usage.total_tokens);
  if (
    output !== undefined && reasoning && input !== undefined && total !== undefined &&
    total === input + output + reasoning
  ) {
    output += reasoning;
  }
  if (input !== undefined) result.inputTokens = input;
  if (output !== undefined) result.outputTokens = output;
  if (cached !== undefined) result.cachedInputTokens = cached;
  if (written !== undefined) result.cacheCreationInputTokens = written;
  if (reasoning !== undefined) result.reasoningTokens = reasoning;
  return result;
}

/** Marks a text part that was (and should go back as) a Chat `refusal`. */
export function refusalMark(): ProviderData {
  return { "openai-chat": { refusal: true } };
}

export function isRefusal(part: { providerData?: ProviderData }): boolean {
  return part.providerData?.["openai-chat"]?.refusal === true;
}

export function decodeResponse(body: unknown): CanonicalResponse {
  if (!body || typeof body !== "object" || Array.isArray(body)) {
    throw apiError("api_error", "upstream answer is not a chat.completion object");
  }
  const record = body as Partial<ChatCompletion> & { error?: ChatErrorObject | string | null };
  if (record.error) throw new ApiErrorException(errorFromObject(record.error, 0));
  const choice = Array.isArray(record.choices) ? record.choices[0] : undefined;
  if (!choice || typeof choice !== "object") {
    throw apiError("api_error", "upstream chat.completion has no choices");
  }
  const message = choice.message ?? { role: "assistant", content: null };
  const content: AssistantPart[] = [];
  const reasoning = message.reasoning_content ?? message.reasoning;
  if (typeof reasoning === "string" && reasoning) {
    content.push({ type: "reasoning", text: reasoning });
  }
  if (typeof message.content === "string" && message.content) {
    const annotations = (message as { annotations?: unknown }).annotations;
    content.push(
      Array.isArray(annotations) && annotations.length > 0
        ? { type: "text", text: message.content, providerData: { "openai-chat": { annotations } } }
        : { type: "text", text: message.content },
    );
  }
  const hasRefusal = typeof message.refusal === "string" && message.refusal !== "";
  if (hasRefusal) {
    content.push({ type: "text", text: message.refusal as string, providerData: refusalMark() });
  }
  const toolCalls = Array.isArray(message.tool_calls) ? message.tool_calls : [];
  for (const call of toolCalls) {
    content.push({
      type: "tool-call",
      id: String(call.id ?? ""),
      name: String(call.function?.name ?? ""),
      arguments: typeof call.function?.arguments === "string" ? call.function.arguments : "",
    });
  }
  const extras: Record<string, unknown> = {};
  const wire = body as Record<string, unknown>;
  if (wire.system_fingerprint != null) extras.system_fingerprint = wire.system_fingerprint;
  if (wire.service_tier != null) extras.service_tier = wire.service_tier;
  const response: CanonicalResponse = {
    id: stringOrEmpty(record.id),
    model: stringOrEmpty(record.model),
    content,
    stopReason: decodeFinishReason(choice.finish_reason, toolCalls.length > 0, hasRefusal),
    usage: mergeUsage(emptyUsage(), decodeUsage(record.usage)),
  };
  if (typeof record.created === "number") response.created = record.created;
  if (Object.keys(extras).length > 0) response.providerData = { "openai-chat": extras };
  return response;
}
