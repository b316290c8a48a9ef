/**
 * @module
 * A canonical answer as an Anthropic Messages response body for the client.
 *
 * - `id` gets the `msg_` prefix when it lacks it; `model` is the response's
 *   (the pipeline sets it to the model the client asked for).
 * - Usage: `input_tokens` is the uncached part (inputTokens − cached − written),
 *   the cache counts go in their own fields.
 * - Reasoning from Anthropic goes back as thinking/redacted_thinking with its
 *   signature. Another provider's signed or encrypted reasoning is wrapped in
 *   a `subgate.reasoning.v1:` signature, so that when the client sends the
 *   block back, `decode-request.ts` restores its origin instead of mistaking
 *   it for Anthropic's.
 * - Blocks kept verbatim (`providerData.anthropic.opaque`) go back in place.
 */
import type { AssistantPart, ReasoningPart } from "../../ir/message.ts";
import type { CanonicalRequest } from "../../ir/request.ts";
import type { CanonicalResponse, Usage } from "../../ir/response.ts";
import { encodeStopReason } from "./map-stop-reason.ts";
import type {
  AnthropicBlock,
  AnthropicResponse,
  AnthropicUsage,
  OpaqueBlock,
} from "./wire-types.ts";
import { isObject, type Json } from "../../ir/json.ts";

export const FOREIGN_PREFIX = "subgate.reasoning.v1:";

type ForeignReasoning = Pick<ReasoningPart, "origin" | "signature" | "encrypted" | "id">;

/** Another provider's reasoning secrets as one opaque Anthropic signature. */
export function wrapForeignReasoning(part: ReasoningPart): string {
  const foreign: ForeignReasoning = { origin: part.origin };
  if (part.signature !== undefined) foreign.signature = part.signature;
  if (part.encrypted !== undefined) foreign.encrypted = part.encrypted;
  if (part.id !== undefined) foreign.id = part.id;
  return FOREIGN_PREFIX + JSON.stringify(foreign);
}

/** The wrapped reasoning back, or undefined for a signature that is not subgate's wrapping. */
export function readForeignReasoning(signature: string): ForeignReasoning | undefined {
  if (!signature.startsWith(FOREIGN_PREFIX)) return undefined;
  try {
    const value = JSON.parse(signature.slice(FOREIGN_PREFIX.length));
    if (!value || typeof value !== "object") return undefined;
    const foreign: ForeignReasoning = {};
    for (const key of ["origin", "signature", "encrypted", "id"] as const) {
      if (typeof value[key] === "string") foreign[key] = value[key];
    }
    return foreign;
  } catch {
    return undefined;
  }
}

export function messageId(id: string): string {
  if (!id) return `msg_${crypto.randomUUID().replaceAll("-", "")}`;
  return id.startsWith("msg_") ? id : `msg_${id}`;
}

/** Canonical usage as Anthropic's, with `extra` (service_tier, cache_creation, …) kept. */
export function encodeUsage(usage: Partial<Usage>, extra?: Json): AnthropicUsage {
  const cached = usage.cachedInputTokens ?? 0;
  const written = usage.cacheCreationInputTokens ?? 0;
  const encoded: AnthropicUsage = {
    ...extra,
    input_tokens: Math.max(0, (usage.inputTokens ?? 0) - cached - written),
    cache_creation_input_tokens: written,
    cache_read_input_tokens: cached,
    output_tokens: usage.outputTokens ?? 0,
  };
  if (usage.reasoningTokens !== undefined && !encoded.output_tokens_details) {
    encoded.output_tokens_details = { thinking_tokens: usage.reasoningTokens };
  }
  return encoded;
}

/** Tool arguments as an input object (Anthropic takes only objects). */
export function parseToolInput(text: string): Json | undefined {
  if (text.trim() === "") return {};
  try {
    const value = JSON.parse(text);
    return isObject(value) ? value : undefined;
  } catch {
    return undefined;
  }
}

/** Blocks with the verbatim ones put back at their old positions. */
export function interleave(blocks: AnthropicBlock[], opaque: unknown): AnthropicBlock[] {
  if (!Array.isArray(opaque) || opaque.length === 0) return blocks;
  const out: AnthropicBlock[] = [];
  let next = 0;
  for (const { at, block } of opaque as OpaqueBlock[]) {
    while (out.length < at && next < blocks.length) out.push(blocks[next++]);
    out.push(block);
  }
  while (next < blocks.length) out.push(blocks[next++]);
  return out;
}

function encodeReasoning(part: ReasoningPart): AnthropicBlock {
  const own = part.origin === undefined || part.origin === "anthropic";
  if (part.redacted) {
    const data = own ? part.encrypted ?? "" : wrapForeignReasoning(part);
    return { type: "redacted_thinking", data };
  }
  const secret = part.signature !== undefined || part.encrypted !== undefined;
  const signature = own ? part.signature ?? "" : secret ? wrapForeignReasoning(part) : "";
  return { type: "thinking", thinking: part.text, signature };
}

function encodePart(part: AssistantPart): AnthropicBlock | undefined {
  const extra = part.providerData?.anthropic;
  switch (part.type) {
    case "text":
      if (part.text === "" && !extra) return undefined;
      return { ...extra, type: "text", text: part.text };
    case "reasoning":
      return encodeReasoning(part);
    case "tool-call":
      return {
        ...extra,
        type: "tool_use",
        id: part.id,
        name: part.name,
        input: parseToolInput(part.arguments) ?? {},
      };
    case "file":
      // An answer's files (generated images) have no Anthropic block.
      return undefined;
  }
}

export function encodeResponse(
  response: CanonicalResponse,
  request: CanonicalRequest,
): AnthropicResponse {
  const { usage: usageExtra, opaque, ...extra } = response.providerData?.anthropic ?? {};
  const blocks: AnthropicBlock[] = [];
  for (const part of response.content) {
    const block = encodePart(part);
    if (block) blocks.push(block);
  }
  return {
    ...extra,
    id: messageId(response.id),
    type: "message",
    role: "assistant",
    model: response.model || request.model,
    content: interleave(blocks, opaque),
    stop_reason: encodeStopReason(response.stopReason),
    stop_sequence: response.stopSequence ?? null,
    usage: encodeUsage(response.usage, usageExtra as Json | undefined),
  };
}
