/**
 * @module
 * The Anthropic Messages API on the wire (`POST /v1/messages`): request,
 * response, stream events and error bodies, plus what this codec keeps in
 * `providerData.anthropic`. Request and response objects carry an index
 * signature because fields the codec does not model travel through verbatim.
 */
import type { Json } from "../../ir/json.ts";

export interface AnthropicCacheControl {
  type: "ephemeral";
  ttl?: "5m" | "1h";
}

export interface AnthropicTextBlock {
  type: "text";
  text: string;
  citations?: unknown[] | null;
  cache_control?: AnthropicCacheControl;
  [field: string]: unknown;
}

export interface AnthropicBase64Source {
  type: "base64";
  media_type: string;
  data: string;
}

export interface AnthropicUrlSource {
  type: "url";
  url: string;
}

/** A plain-text document's source: the text itself, not base64. */
export interface AnthropicTextSource {
  type: "text";
  media_type: "text/plain";
  data: string;
}

export interface AnthropicImageBlock {
  type: "image";
  source: AnthropicBase64Source | AnthropicUrlSource;
  [field: string]: unknown;
}

export interface AnthropicDocumentBlock {
  type: "document";
  source: AnthropicBase64Source | AnthropicUrlSource | AnthropicTextSource;
  title?: string;
  [field: string]: unknown;
}

export interface AnthropicToolUseBlock {
  type: "tool_use";
  id: string;
  name: string;
  input: Json;
  [field: string]: unknown;
}

export interface AnthropicToolResultBlock {
  type: "tool_result";
  tool_use_id: string;
  content?: string | AnthropicBlock[];
  is_error?: boolean;
  [field: string]: unknown;
}

export interface AnthropicThinkingBlock {
  type: "thinking";
  thinking: string;
  signature: string;
}

export interface AnthropicRedactedThinkingBlock {
  type: "redacted_thinking";
  data: string;
}

/**
 * Any content block as this codec writes it. Blocks it has no canonical part
 * for (server_tool_use, web_search_tool_result, mcp_tool_use, compaction, …)
 * are `Json` kept verbatim.
 */
export type AnthropicBlock =
  | AnthropicTextBlock
  | AnthropicImageBlock
  | AnthropicDocumentBlock
  | AnthropicToolUseBlock
  | AnthropicToolResultBlock
  | AnthropicThinkingBlock
  | AnthropicRedactedThinkingBlock
  | Json;

export interface AnthropicMessageParam {
  /** "system" inside `messages` is what Claude Code sends mid-conversation. */
  role: "user" | "assistant" | "system";
  content: string | AnthropicBlock[];
}

export interface AnthropicCustomTool {
  name: string;
  description?: string;
  input_schema: Json;
  strict?: boolean;
  [field: string]: unknown;
}

export type AnthropicToolChoice =
  | { type: "auto" | "any"; disable_parallel_tool_use?: boolean }
  | { type: "tool"; name: string; disable_parallel_tool_use?: boolean }
  | { type: "none" };

export type AnthropicThinking =
  | { type: "enabled"; budget_tokens: number; [field: string]: unknown }
  | { type: "adaptive"; [field: string]: unknown }
  | { type: "disabled"; [field: string]: unknown };

/** `output_config`: structured output (`format`, GA) and the effort level. */
export interface AnthropicOutputConfig {
  format?: { type: "json_schema"; schema: Json };
  effort?: string;
  [field: string]: unknown;
}

export interface AnthropicRequest {
  model: string;
  max_tokens: number;
  messages: AnthropicMessageParam[];
  system?: string | AnthropicTextBlock[];
  stream?: boolean;
  temperature?: number;
  top_p?: number;
  top_k?: number;
  stop_sequences?: string[];
  /** Custom tools, and server tools (`{type:"web_search_20250305",…}`) verbatim. */
  tools?: Array<AnthropicCustomTool | Json>;
  tool_choice?: AnthropicToolChoice;
  thinking?: AnthropicThinking;
  metadata?: { user_id?: string; [field: string]: unknown };
  output_config?: AnthropicOutputConfig;
  [field: string]: unknown;
}

export interface AnthropicUsage {
  input_tokens: number;
  output_tokens: number;
  cache_creation_input_tokens?: number | null;
  cache_read_input_tokens?: number | null;
  output_tokens_details?: { thinking_tokens?: number; [field: string]: unknown };
  [field: string]: unknown;
}

export type AnthropicStopReason =
  | "end_turn"
  | "max_tokens"
  | "stop_sequence"
  | "tool_use"
  | "pause_turn"
  | "refusal"
  | "model_context_window_exceeded";

export interface AnthropicResponse {
  id: string;
  type: "message";
  role: "assistant";
  model: string;
  content: AnthropicBlock[];
  stop_reason: AnthropicStopReason | null;
  stop_sequence: string | null;
  usage: AnthropicUsage;
  [field: string]: unknown;
}

// ---------------------------------------------------------------- stream events
// As the decoder reads them: past the discriminants (`type`, and the `index` that names a block),
// every field is optional, since upstreams and proxies leave fields out or garble them, and the
// decoder tests a field's type where it reads it. `readStreamEvent` (decode-stream.ts) checks
// the discriminants.

/**
 * A block as `content_block_start` opens it; its text, thinking or input mostly follow in
 * deltas. Blocks of other types (server_tool_use, web_search_tool_result, mcp_*, compaction …)
 * arrive too: the canonical stream has no place for them and the decoder skips them.
 */
export type AnthropicBlockStart =
  | { type: "text"; text?: string; citations?: unknown[] }
  | { type: "thinking"; thinking?: string; signature?: string }
  | { type: "redacted_thinking"; data?: string }
  | { type: "tool_use"; id?: string; name?: string; input?: unknown };

/** A `content_block_delta`'s delta; other delta types are skipped. */
export type AnthropicDelta =
  | { type: "text_delta"; text?: string }
  | { type: "input_json_delta"; partial_json?: string }
  | { type: "thinking_delta"; thinking?: string }
  | { type: "signature_delta"; signature?: string }
  | { type: "citations_delta"; citation?: unknown };

/**
 * The stream's events the decoder acts on, each sent as `event: <type>` with this as its
 * `data`. `ping`, `message_stop` and event types newer than subgate say nothing it needs.
 */
export type AnthropicStreamEvent =
  | {
    type: "message_start";
    message?: { id?: string; model?: string; usage?: Partial<AnthropicUsage> };
  }
  | { type: "content_block_start"; index: number; content_block: AnthropicBlockStart }
  | { type: "content_block_delta"; index: number; delta: AnthropicDelta }
  | { type: "content_block_stop"; index: number }
  | {
    type: "message_delta";
    delta?: { stop_reason?: string | null; stop_sequence?: string | null };
    usage?: Partial<AnthropicUsage>;
  }
  | { type: "error"; error?: Partial<AnthropicErrorObject> };

// ---------------------------------------------------------------- errors

export interface AnthropicErrorObject {
  /** invalid_request_error, authentication_error, permission_error, not_found_error, request_too_large, rate_limit_error, api_error, overloaded_error, … */
  type: string;
  message: string;
}

/** An error response's body (what this codec writes); read back, its `error` may be anything. */
export interface AnthropicErrorBody {
  type: "error";
  error: AnthropicErrorObject;
  request_id?: string;
}

/** A content block the canonical model has no part for, and where it stood in its array. */
export interface OpaqueBlock {
  at: number;
  block: Json;
}

/**
 * `providerData.anthropic` as this codec writes it (and nothing else reads):
 *
 * - On a part: the block's fields the part has no place for, verbatim
 *   (`cache_control`, `citations`, `caller`, a document's `context`, …); on a
 *   tool-result part also `opaque`, the unmodelled blocks of its content.
 * - On a message: `opaque` (unmodelled blocks such as `server_tool_use` and
 *   `web_search_tool_result`, with their positions) and `inMessages` (a
 *   `role:"system"` item that stood inside `messages`).
 * - On a response: top-level fields it has no place for (`container`,
 *   `context_management`), `usage` (usage fields beyond the counts) and `opaque`.
 * - On a request: unknown top-level fields verbatim, and the remainder of the
 *   fields the IR only partly holds: `thinking` (without `budget_tokens`),
 *   `metadata` (without `user_id`), `output_config` (without `format`) and
 *   `tools` (the tool list with each custom tool as `null`, server tools verbatim).
 */
export interface MessageProviderData {
  opaque?: OpaqueBlock[];
  inMessages?: boolean;
}
