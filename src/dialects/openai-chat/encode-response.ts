/**
 * @module
 * A canonical response as the `chat.completion` body an OpenAI client expects.
 * Text parts are joined into `content` (null when there is none, e.g. only
 * tool calls), reasoning text into `reasoning_content` (the DeepSeek field that
 * OpenAI-compatible clients read), refusal-marked text into `refusal`. Files
 * in an answer (images a model drew) have no place in a Chat message and are
 * left out.
 */
import type { CanonicalRequest } from "../../ir/request.ts";
import type { CanonicalResponse, Usage } from "../../ir/response.ts";
import { isRefusal } from "./decode-response.ts";
import { encodeFinishReason } from "./map-stop-reason.ts";
import type { ChatCompletion, ChatResponseMessage, ChatToolCall, ChatUsage } from "./wire-types.ts";

/** Chat ids start with `chatcmpl-`; ids from other dialects get the prefix. */
export function chatId(id: string): string {
  if (id.startsWith("chatcmpl-")) return id;
  return `chatcmpl-${id || crypto.randomUUID().replaceAll("-", "")}`;
}

export function encodeUsage(usage: Partial<Usage>): ChatUsage {
  const input = usage.inputTokens ?? 0;
  const output = usage.outputTokens ?? 0;
  const promptDetails: { cached_tokens: number; cache_write_tokens?: number } = {
    cached_tokens: usage.cachedInputTokens ?? 0,
  };
  if (usage.cacheCreationInputTokens !== undefined) {
    promptDetails.cache_write_tokens = usage.cacheCreationInputTokens;
  }
  return {
    prompt_tokens: input,
    completion_tokens: output,
    total_tokens: input + output,
    prompt_tokens_details: promptDetails,
    completion_tokens_details: { reasoning_tokens: usage.reasoningTokens ?? 0 },
  };
}

export function encodeResponse(
  response: CanonicalResponse,
  request: CanonicalRequest,
): ChatCompletion {
  let text: string | undefined;
  let refusal: string | undefined;
  let reasoning: string | undefined;
  const annotations: unknown[] = [];
  const toolCalls: ChatToolCall[] = [];
  for (const part of response.content) {
    switch (part.type) {
      case "text": {
        if (isRefusal(part)) {
          refusal = (refusal ?? "") + part.text;
          break;
        }
        text = (text ?? "") + part.text;
        const found = part.providerData?.["openai-chat"]?.annotations;
        if (Array.isArray(found)) annotations.push(...found);
        break;
      }
      case "reasoning":
        if (part.text) reasoning = (reasoning ?? "") + part.text;
        break;
      case "tool-call":
        toolCalls.push({
          id: part.id,
          type: "function",
          function: { name: part.name, arguments: part.arguments },
        });
        break;
      case "file":
        break;
    }
  }
  const message: ChatResponseMessage = {
    role: "assistant",
    content: text ?? null,
    refusal: refusal ?? null,
  };
  if (reasoning !== undefined) message.reasoning_content = reasoning;
  if (toolCalls.length > 0) message.tool_calls = toolCalls;
  if (annotations.length > 0) message.annotations = annotations;
  const body: ChatCompletion = {
    id: chatId(response.id),
    object: "chat.completion",
    created: response.created ?? Math.floor(Date.now() / 1000),
    model: response.model || request.model,
    choices: [{
      index: 0,
      message,
      logprobs: null,
      finish_reason: encodeFinishReason(response.stopReason, refusal !== undefined),
    }],
    usage: encodeUsage(response.usage),
  };
  const extras = response.providerData?.["openai-chat"];
  return extras ? { ...body, ...extras } : body;
}
