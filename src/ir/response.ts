/**
 * @module
 * A canonical (non-streaming) answer, its usage and why it stopped.
 */
import type { AssistantPart, ProviderData } from "./message.ts";

export interface Usage {
  inputTokens: number;
  outputTokens: number;
  /** Input tokens read from the prompt cache (included in inputTokens? see below). */
  cachedInputTokens?: number;
  /** Input tokens written to the prompt cache (Anthropic). */
  cacheCreationInputTokens?: number;
  /** Output tokens spent on reasoning (included in outputTokens). */
  reasoningTokens?: number;
}
// Convention: inputTokens is the full prompt size, cached tokens included (OpenAI's and Gemini's
// meaning). Anthropic reports uncached input separately; its codec adds the cache fields in on
// the way in and subtracts them on the way out.

export type StopReason =
  | "end"
  | "max-tokens"
  | "stop-sequence"
  | "tool-calls"
  | "content-filter"
  | "refusal"
  | "pause"
  | "error"
  | "other";

export interface CanonicalResponse {
  id: string;
  model: string;
  content: AssistantPart[];
  stopReason: StopReason;
  /** The stop sequence that ended the answer, when one did. */
  stopSequence?: string;
  usage: Usage;
  /** Unix seconds. */
  created?: number;
  providerData?: ProviderData;
}
