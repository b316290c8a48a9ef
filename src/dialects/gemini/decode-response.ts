/**
 * @module
 * A `GenerateContentResponse` from a Gemini upstream as a canonical response,
 * and the part, usage and id helpers the stream and request decoders share.
 *
 * Choices made here:
 * - Only the first candidate counts (subgate never asks for more).
 * - Thought parts are reasoning with origin "gemini"; a `thoughtSignature` on
 *   a thought part is that reasoning's signature.
 * - A `thoughtSignature` on any other non-call part (Gemini 3 puts it on the
 *   first text part, or on a trailing empty text part when streaming) becomes
 *   an empty reasoning part with that signature right before the part's own
 *   content: clients of every dialect can carry a reasoning signature back, and
 *   the encoders put it back on the part that follows it (or on an empty text
 *   part when nothing follows), where Gemini sent it.
 * - A `thoughtSignature` on a `functionCall` part is the tool call's
 *   `signature`. A call without an `id` gets `call_<responseId>_<n>`: stable
 *   for one answer, unique across the turns of a conversation.
 * - `executableCode` / `codeExecutionResult` parts become Markdown text that
 *   keeps the original part in `providerData.gemini.part`, so a Gemini client
 *   gets the part itself back.
 * - Usage: `promptTokenCount` is the input (cached tokens included),
 *   `candidatesTokenCount + thoughtsTokenCount` the output.
 */
import type { AssistantPart, ReasoningPart, TextPart } from "../../ir/message.ts";
import type { CanonicalResponse, Usage } from "../../ir/response.ts";
import { decodeFinishReason } from "./map-stop-reason.ts";
import type {
  GeminiCandidate,
  GeminiPart,
  GeminiResponse,
  GeminiUsageMetadata,
} from "./wire-types.ts";
import { finiteNumber, stringOrEmpty } from "../../ir/json.ts";

export const ORIGIN = "gemini";

/** Whether a usage block carries any token count (stream chunks may carry only `trafficType`). */
export function hasTokenCounts(meta: GeminiUsageMetadata | undefined): boolean {
  return !!meta && typeof meta === "object" &&
    (typeof meta.promptTokenCount === "number" ||
      typeof meta.candidatesTokenCount === "number" ||
      typeof meta.thoughtsTokenCount === "number" ||
      typeof meta.totalTokenCount === "number");
}

function count(value: unknown): number {
  return finiteNumber(value) ?? 0;
}

export function decodeUsage(meta: GeminiUsageMetadata | undefined): Usage {
  const usage: Usage = {
    inputTokens: count(meta?.promptTokenCount),
    outputTokens: count(meta?.candidatesTokenCount) + count(meta?.thoughtsTokenCount),
  };
  if (typeof meta?.cachedContentTokenCount === "number") {
    usage.cachedInputTokens = meta.cachedContentTokenCount;
  }
  if (typeof meta?.thoughtsTokenCount === "number") usage.reasoningTokens = meta.thoughtsTokenCount;
  return usage;
}

/** `call_<responseId>_<n>` for calls Gemini sent without an id. */
export function callIdMaker(responseId: string | undefined): () => string {
  const base = typeof responseId === "string" && responseId
    ? responseId.replace(/[^A-Za-z0-9_-]/g, "")
    : crypto.randomUUID().replaceAll("-", "").slice(0, 20);
  let next = 0;
  return () => `call_${base}_${next++}`;
}

/** The candidate subgate reads: index 0, else the first. */
export function firstCandidate(
  candidates: GeminiCandidate[] | undefined,
): GeminiCandidate | undefined {
  if (!Array.isArray(candidates) || candidates.length === 0) return undefined;
  const first = candidates[0];
  if (!first || (first.index ?? 0) === 0) return first;
  return candidates.find((candidate) => (candidate?.index ?? 0) === 0) ?? first;
}

/** A reasoning part that only carries a signature for the part after it. */
export function signatureCarrier(signature: string, thought = false): ReasoningPart {
  const part: ReasoningPart = { type: "reasoning", text: "", signature, origin: ORIGIN };
  if (thought) part.providerData = { gemini: { thought: true } };
  return part;
}

/** `executableCode` / `codeExecutionResult` as Markdown, or undefined for other parts. */
export function renderCodePart(part: GeminiPart): string | undefined {
  if (part.executableCode && typeof part.executableCode === "object") {
    const language = String(part.executableCode.language ?? "").toLowerCase();
    return `\n\`\`\`${language === "language_unspecified" ? "" : language}\n${
      part.executableCode.code ?? ""
    }\n\`\`\`\n`;
  }
  if (part.codeExecutionResult && typeof part.codeExecutionResult === "object") {
    return `\n\`\`\`\n${part.codeExecutionResult.output ?? ""}\n\`\`\`\n`;
  }
  return undefined;
}

/** The original code part without its signature (the signature travels on a carrier). */
export function codePartData(part: GeminiPart): Record<string, unknown> {
  const { thoughtSignature: _signature, ...rest } = part;
  return rest;
}

export interface ModelPartOptions {
  /** An id for a call that came without one. */
  newId: () => string;
  /** Marks the ids made up here (a Gemini client's own calls had none to send back). */
  markGeneratedIds?: boolean;
}

/** Gemini parts of a model turn as canonical assistant parts. */
export function decodeModelParts(parts: GeminiPart[], options: ModelPartOptions): AssistantPart[] {
  const out: AssistantPart[] = [];
  for (const part of parts) {
    if (!part || typeof part !== "object") continue;
    const signature = typeof part.thoughtSignature === "string" && part.thoughtSignature
      ? part.thoughtSignature
      : undefined;
    const call = part.functionCall;
    if (call && typeof call === "object") {
      const given = typeof call.id === "string" && call.id ? call.id : undefined;
      const id = given ?? options.newId();
      out.push({
        type: "tool-call",
        id,
        name: stringOrEmpty(call.name),
        arguments: JSON.stringify(call.args && typeof call.args === "object" ? call.args : {}),
        ...(signature ? { signature } : {}),
        ...(!given && options.markGeneratedIds
          ? { providerData: { gemini: { generatedId: true } } }
          : {}),
      });
      continue;
    }
    if (part.thought === true) {
      const text = stringOrEmpty(part.text);
      if (text === "" && signature) out.push(signatureCarrier(signature, true));
      else if (text !== "" || signature) {
        out.push({
          type: "reasoning",
          text,
          origin: ORIGIN,
          ...(signature ? { signature } : {}),
        });
      }
      continue;
    }
    if (signature) out.push(signatureCarrier(signature));
    if (typeof part.text === "string") {
      if (part.text !== "") out.push({ type: "text", text: part.text });
    } else if (part.inlineData && typeof part.inlineData === "object") {
      out.push({ type: "file", mediaType: part.inlineData.mimeType, data: part.inlineData.data });
    } else if (part.fileData && typeof part.fileData === "object") {
      out.push({
        type: "file",
        ...(part.fileData.mimeType ? { mediaType: part.fileData.mimeType } : {}),
        url: part.fileData.fileUri,
      });
    } else {
      const rendered = renderCodePart(part);
      if (rendered !== undefined) {
        const text: TextPart = {
          type: "text",
          text: rendered,
          providerData: { gemini: { part: codePartData(part) } },
        };
        out.push(text);
      }
    }
  }
  return out;
}

/** Unix seconds of an RFC 3339 time, when it is one. */
export function createdFrom(time: string | undefined): number | undefined {
  if (typeof time !== "string") return undefined;
  const millis = Date.parse(time);
  return Number.isNaN(millis) ? undefined : Math.floor(millis / 1000);
}

export function decodeResponse(body: unknown): CanonicalResponse {
  const response = (body && typeof body === "object" ? body : {}) as GeminiResponse;
  const candidate = firstCandidate(response.candidates);
  const parts = Array.isArray(candidate?.content?.parts) ? candidate.content.parts : [];
  const content = decodeModelParts(parts, { newId: callIdMaker(response.responseId) });
  const hasToolCalls = content.some((part) => part.type === "tool-call");
  const blocked = !candidate && !!response.promptFeedback?.blockReason;
  const result: CanonicalResponse = {
    id: typeof response.responseId === "string" && response.responseId
      ? response.responseId
      : `resp_${crypto.randomUUID().replaceAll("-", "").slice(0, 24)}`,
    model: stringOrEmpty(response.modelVersion),
    content,
    stopReason: blocked
      ? "content-filter"
      : decodeFinishReason(candidate?.finishReason, hasToolCalls),
    usage: decodeUsage(response.usageMetadata),
  };
  const created = createdFrom(response.createTime);
  if (created !== undefined) result.created = created;
  const kept: Record<string, unknown> = {};
  if (candidate?.groundingMetadata) kept.groundingMetadata = candidate.groundingMetadata;
  if (candidate?.citationMetadata) kept.citationMetadata = candidate.citationMetadata;
  if (candidate?.finishMessage) kept.finishMessage = candidate.finishMessage;
  if (response.promptFeedback) kept.promptFeedback = response.promptFeedback;
  if (Object.keys(kept).length > 0) result.providerData = { gemini: kept };
  return result;
}
