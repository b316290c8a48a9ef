/**
 * @module
 * A canonical answer as the `GenerateContentResponse` a Gemini client expects:
 * one candidate (index 0) with a `model` turn, its `finishReason`, the usage,
 * `modelVersion` and `responseId`. Parts are encoded as in encode-parts.ts
 * (calls carry their `id`, and their `thoughtSignature` when they have one;
 * reasoning from another model is thought text without a signature).
 */
import type { CanonicalRequest } from "../../ir/request.ts";
import type { CanonicalResponse, Usage } from "../../ir/response.ts";
import { ORIGIN } from "./decode-response.ts";
import { encodeAssistantParts } from "./encode-parts.ts";
import { encodeFinishReason } from "./map-stop-reason.ts";
import type { GeminiCandidate, GeminiResponse, GeminiUsageMetadata } from "./wire-types.ts";

export function encodeUsage(usage: Partial<Usage>): GeminiUsageMetadata {
  const input = usage.inputTokens ?? 0;
  const output = usage.outputTokens ?? 0;
  const reasoning = usage.reasoningTokens ?? 0;
  const meta: GeminiUsageMetadata = { promptTokenCount: input };
  // Gemini leaves the count out when nothing was generated.
  if (output - reasoning > 0) meta.candidatesTokenCount = output - reasoning;
  meta.totalTokenCount = input + output;
  if (usage.cachedInputTokens !== undefined) meta.cachedContentTokenCount = usage.cachedInputTokens;
  if (usage.reasoningTokens !== undefined) meta.thoughtsTokenCount = usage.reasoningTokens;
  return meta;
}

/** RFC 3339 of Unix seconds. */
export function createTime(created: number | undefined): string | undefined {
  return created === undefined ? undefined : new Date(created * 1000).toISOString();
}

export function encodeResponse(
  response: CanonicalResponse,
  _request: CanonicalRequest,
): GeminiResponse {
  const parts = encodeAssistantParts(response.content, { upstream: false });
  const kept = response.providerData?.[ORIGIN] ?? {};
  const candidate: GeminiCandidate = {
    content: { role: "model", parts },
    finishReason: encodeFinishReason(response.stopReason),
    index: 0,
  };
  if (typeof kept.finishMessage === "string") candidate.finishMessage = kept.finishMessage;
  if (kept.groundingMetadata && typeof kept.groundingMetadata === "object") {
    candidate.groundingMetadata = kept.groundingMetadata as Record<string, unknown>;
  }
  if (kept.citationMetadata && typeof kept.citationMetadata === "object") {
    candidate.citationMetadata = kept.citationMetadata as Record<string, unknown>;
  }
  const out: GeminiResponse = {
    candidates: [candidate],
    usageMetadata: encodeUsage(response.usage),
    modelVersion: response.model,
    responseId: response.id,
  };
  const time = createTime(response.created);
  if (time) out.createTime = time;
  if (kept.promptFeedback && typeof kept.promptFeedback === "object") {
    out.promptFeedback = kept.promptFeedback;
  }
  return out;
}
