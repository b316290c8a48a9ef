/**
 * @module
 * Canonical conversation content, the hub every dialect translates through.
 * Modelled on vercel/ai's LanguageModelV3Prompt: role-discriminated messages,
 * type-discriminated parts. `providerData` carries what only one dialect can
 * express (cache_control, signatures' origin, unknown fields) so it survives
 * a round trip through the same dialect.
 */

/** Opaque per-dialect data, keyed by dialect id ("anthropic", "gemini", …). */
export type ProviderData = Record<string, Record<string, unknown>>;

export interface TextPart {
  type: "text";
  text: string;
  providerData?: ProviderData;
}

/** An image or document: by URL, or as base64 bytes with a media type. */
export interface FilePart {
  type: "file";
  /** e.g. image/png, application/pdf */
  mediaType?: string;
  /** base64 without a data: prefix */
  data?: string;
  url?: string;
  filename?: string;
  providerData?: ProviderData;
}

/**
 * Model reasoning. `signature` (Anthropic thinking, Gemini thoughtSignature)
 * and `encrypted` (OpenAI reasoning.encrypted_content, Anthropic
 * redacted_thinking data) must go back unchanged to the provider that made
 * them; `origin` names that provider's dialect.
 */
export interface ReasoningPart {
  type: "reasoning";
  text: string;
  signature?: string;
  encrypted?: string;
  redacted?: boolean;
  origin?: string;
  /** Responses API reasoning item id. */
  id?: string;
  providerData?: ProviderData;
}

export interface ToolCallPart {
  type: "tool-call";
  id: string;
  name: string;
  /** Arguments as JSON text, exactly as the model produced them. */
  arguments: string;
  /** Gemini's thoughtSignature on a functionCall part. */
  signature?: string;
  providerData?: ProviderData;
}

export interface ToolResultPart {
  type: "tool-result";
  toolCallId: string;
  /** Gemini needs the function name on a functionResponse. */
  toolName?: string;
  /** Text, or richer content (text and images). */
  content: string | Array<TextPart | FilePart>;
  isError?: boolean;
  providerData?: ProviderData;
}

export type UserPart = TextPart | FilePart | ToolResultPart;
export type AssistantPart = TextPart | FilePart | ReasoningPart | ToolCallPart;

export type Message =
  /** A system/developer instruction inside the conversation (Claude Code sends these mid-way). */
  | { role: "system"; content: TextPart[]; providerData?: ProviderData }
  | { role: "user"; content: UserPart[]; providerData?: ProviderData }
  | { role: "assistant"; content: AssistantPart[]; providerData?: ProviderData }
  /** Tool results as their own turn (OpenAI Chat's role "tool", Responses' function_call_output). */
  | { role: "tool"; content: ToolResultPart[]; providerData?: ProviderData };
