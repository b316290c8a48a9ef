/**
 * @module
 * A canonical generation request: what the client asked for, in no dialect.
 */
import type { Message, ProviderData, TextPart } from "./message.ts";

export interface ToolDefinition {
  name: string;
  description?: string;
  /** JSON Schema of the arguments. */
  parameters: Record<string, unknown>;
  strict?: boolean;
  providerData?: ProviderData;
}

export type ToolChoice =
  | { type: "auto" }
  | { type: "none" }
  /** The model must call some tool. */
  | { type: "required" }
  | { type: "tool"; name: string };

export type ResponseFormat =
  | { type: "text" }
  | { type: "json" }
  | { type: "json-schema"; name?: string; schema: Record<string, unknown>; strict?: boolean };

export interface ReasoningConfig {
  /** OpenAI-style effort, when the client gave one. */
  effort?: "none" | "minimal" | "low" | "medium" | "high" | "xhigh";
  /** Token budget (Anthropic budget_tokens, Gemini thinkingBudget). */
  budgetTokens?: number;
  /** Ask for summaries/thought text back. */
  includeThoughts?: boolean;
  enabled?: boolean;
}

export interface CanonicalRequest {
  model: string;
  /** Leading system instructions (the top-level system / instructions / systemInstruction). */
  system: TextPart[];
  messages: Message[];
  tools: ToolDefinition[];
  toolChoice?: ToolChoice;
  parallelToolCalls?: boolean;
  responseFormat?: ResponseFormat;
  maxOutputTokens?: number;
  temperature?: number;
  topP?: number;
  topK?: number;
  stopSequences?: string[];
  reasoning?: ReasoningConfig;
  stream: boolean;
  /** OpenAI Chat's stream_options.include_usage. */
  includeUsage?: boolean;
  /** A user or session id the client sent (for upstream metadata and session affinity). */
  user?: string;
  /** Fields of the client's dialect the IR has no place for, kept for a same-dialect target. */
  providerData?: ProviderData;
}
