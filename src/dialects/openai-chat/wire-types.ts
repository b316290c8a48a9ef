/**
 * @module
 * OpenAI Chat Completions on the wire (`POST /v1/chat/completions`): the
 * request, the `chat.completion` body, the `chat.completion.chunk` stream
 * events and the error body, as far as subgate reads or writes them.
 * OpenAI-compatible upstreams add fields (`reasoning_content`, `reasoning`,
 * `x_groq`, `prompt_cache_hit_tokens` …); the ones subgate uses are typed here.
 */

/** Fields a wire object may carry beyond the typed ones (kept for a same-dialect round trip). */
export type Extras = Record<string, unknown>;

export interface ChatTextPart {
  type: "text";
  text: string;
}

export interface ChatRefusalPart {
  type: "refusal";
  refusal: string;
}

export interface ChatImagePart {
  type: "image_url";
  image_url: { url: string; detail?: string };
}

export interface ChatAudioPart {
  type: "input_audio";
  input_audio: { data: string; format: string };
}

export interface ChatFilePart {
  type: "file";
  file: { file_data?: string; file_id?: string; filename?: string };
}

export type ChatUserPart = ChatTextPart | ChatImagePart | ChatAudioPart | ChatFilePart;

/**
 * A content part, tool, tool call, tool choice or response format of a type subgate does not
 * know (the API's `custom` tools and calls, a newer content part …), kept verbatim.
 */
export interface ChatUnknown {
  type: string;
  [field: string]: unknown;
}

export interface ChatToolCall {
  id: string;
  type: "function";
  function: { name: string; arguments: string };
}

export interface ChatSystemMessage {
  role: "system" | "developer";
  content: string | Array<ChatTextPart | ChatUnknown>;
  name?: string;
}

export interface ChatUserMessage {
  role: "user";
  content: string | Array<ChatUserPart | ChatUnknown>;
  name?: string;
}

export interface ChatAssistantMessage {
  role: "assistant";
  content?: string | Array<ChatTextPart | ChatRefusalPart | ChatUnknown> | null;
  refusal?: string | null;
  tool_calls?: Array<ChatToolCall | ChatUnknown>;
  /** DeepSeek, Kimi, xAI and other OpenAI-compatible providers: the model's reasoning text. */
  reasoning_content?: string;
  /** OpenRouter and Groq spell it `reasoning`. */
  reasoning?: string;
  name?: string;
}

export interface ChatToolMessage {
  role: "tool";
  tool_call_id: string;
  content: string | Array<ChatTextPart | ChatUnknown>;
}

export type ChatMessage =
  | ChatSystemMessage
  | ChatUserMessage
  | ChatAssistantMessage
  | ChatToolMessage;

export interface ChatFunctionTool {
  type: "function";
  function: {
    name: string;
    description?: string;
    parameters?: Record<string, unknown>;
    strict?: boolean | null;
  };
}

export type ChatToolChoice =
  | "auto"
  | "none"
  | "required"
  | { type: "function"; function: { name: string } };

export type ChatResponseFormat =
  | { type: "text" }
  | { type: "json_object" }
  | {
    type: "json_schema";
    json_schema: {
      name: string;
      description?: string;
      schema?: Record<string, unknown>;
      strict?: boolean | null;
    };
  };

export type ChatReasoningEffort =
  | "none"
  | "minimal"
  | "low"
  | "medium"
  | "high"
  | "xhigh"
  | "max";

/** The request body subgate sends upstream (and reads from clients). */
export interface ChatRequest {
  model: string;
  messages: ChatMessage[];
  tools?: Array<ChatFunctionTool | ChatUnknown>;
  tool_choice?: ChatToolChoice | ChatUnknown;
  parallel_tool_calls?: boolean;
  response_format?: ChatResponseFormat | ChatUnknown;
  max_tokens?: number;
  max_completion_tokens?: number;
  temperature?: number;
  top_p?: number;
  stop?: string | string[];
  reasoning_effort?: ChatReasoningEffort;
  stream?: boolean;
  stream_options?: { include_usage?: boolean } & Extras;
  user?: string;
}

export interface ChatUsage {
  prompt_tokens?: number;
  completion_tokens?: number;
  total_tokens?: number;
  prompt_tokens_details?: { cached_tokens?: number; cache_write_tokens?: number } | null;
  completion_tokens_details?: { reasoning_tokens?: number } | null;
  /** DeepSeek's older spelling of cached_tokens. */
  prompt_cache_hit_tokens?: number;
}

export interface ChatResponseMessage {
  role: "assistant";
  content: string | null;
  refusal?: string | null;
  reasoning_content?: string | null;
  reasoning?: string | null;
  tool_calls?: ChatToolCall[];
  /** url_citation annotations (search models). */
  annotations?: unknown[];
}

export interface ChatCompletion {
  id: string;
  object: "chat.completion";
  created: number;
  model: string;
  choices: Array<{
    index: number;
    message: ChatResponseMessage;
    logprobs: null;
    finish_reason: string | null;
  }>;
  usage?: ChatUsage;
  system_fingerprint?: string | null;
  service_tier?: string | null;
}

/** A tool-call fragment in a stream delta: the first carries id and name, later ones arguments. */
export interface ChatToolCallDelta {
  index?: number;
  id?: string | null;
  type?: string | null;
  function?: { name?: string | null; arguments?: string | null } | null;
}

export interface ChatDelta {
  role?: string | null;
  content?: string | null;
  refusal?: string | null;
  reasoning_content?: string | null;
  reasoning?: string | null;
  tool_calls?: ChatToolCallDelta[] | null;
}

export interface ChatChunkChoice {
  index?: number;
  delta?: ChatDelta | null;
  finish_reason?: string | null;
}

export interface ChatErrorObject {
  message?: string;
  type?: string | null;
  code?: string | number | null;
  param?: string | null;
  /** Groq's in-band errors carry the HTTP status they stand for. */
  status_code?: number;
}

export interface ChatChunk {
  id?: string;
  object?: string;
  created?: number;
  model?: string;
  choices?: ChatChunkChoice[] | null;
  usage?: ChatUsage | null;
  /** An in-band error (OpenRouter, Groq, OpenAI itself) instead of or beside the chunk. */
  error?: ChatErrorObject | string | null;
}

/**
 * An error response's body as OpenAI and its imitators send it: `{"error":{…}}`, or a bare
 * string as the error, or only a top-level `message`. Streaming endpoints of some servers
 * wrap it in an array.
 */
export interface ChatErrorBody {
  error?: ChatErrorObject | string | null;
  message?: string;
}

// What decode-request remembers of the client's wire layout, in
// `providerData["openai-chat"]`, so that a request to an OpenAI-compatible
// upstream reproduces it. Other dialects never write these.

/** How one leading system/developer message was laid out (its parts are in `request.system`). */
export interface ChatSystemLayout {
  role: "system" | "developer";
  /** How many `request.system` parts it holds. */
  parts: number;
  /** `content` was an array of text parts rather than a string. */
  array: boolean;
  /** Its content verbatim when no part of it is of a type subgate knows (`parts` is 0). */
  kept?: ChatUnknown[];
  extra?: Extras;
}

/** `request.providerData["openai-chat"]`. */
export interface ChatRequestLayout {
  /** Top-level fields the canonical request has no place for (seed, logprobs, n, store …). */
  extra?: Extras;
  /** `stream_options` fields other than `include_usage`. */
  streamOptions?: Extras;
  maxTokensField?: "max_tokens" | "max_completion_tokens";
  /** `stop` was a single string. */
  stopString?: boolean;
  system?: ChatSystemLayout[];
  /** An effort the canonical request cannot name (`max`). */
  reasoningEffort?: ChatReasoningEffort;
  responseFormatDescription?: string;
  /** Tools of types subgate does not know (`custom` …), verbatim, with their index in `tools`. */
  tools?: Array<{ index: number; tool: ChatUnknown }>;
  /** A `tool_choice` subgate cannot read (one naming a `custom` tool …), verbatim. */
  toolChoice?: ChatUnknown;
  /** A `response_format` of a type subgate does not know, verbatim. */
  responseFormat?: ChatUnknown;
}

/** How a message's `content` was written when it was not a non-empty string. */
export type ChatContentForm = "array" | "null" | "absent" | "empty";

/** `message.providerData["openai-chat"]`. */
export interface ChatMessageLayout {
  role?: "developer";
  content?: ChatContentForm;
  extra?: Extras;
  /** The content verbatim when no part of it is of a type subgate knows. */
  kept?: ChatUnknown[];
  /** Tool calls of types subgate does not know (`custom`), verbatim, with their index. */
  toolCalls?: Array<{ index: number; call: ChatUnknown }>;
}

/** `part.providerData["openai-chat"]`. */
export interface ChatPartLayout {
  /** A text part that is a refusal. */
  refusal?: boolean;
  /** A tool result's content was an array of text parts. */
  content?: "array";
  /** Unknown fields of the part (`prompt_cache_breakpoint`, `cache_control` …). */
  extra?: Extras;
  /** image_url.detail */
  detail?: string;
  /** input_audio.format */
  format?: string;
  /** The reasoning came in this assistant field. */
  field?: "reasoning_content" | "reasoning";
  /** The tool was declared without `parameters`. */
  noParameters?: boolean;
  annotations?: unknown[];
  /** Content parts of types subgate does not know right before / after this one (`kept-parts.ts`). */
  before?: ChatUnknown[];
  after?: ChatUnknown[];
  /** A tool result's content verbatim when no part of it is of a type subgate knows. */
  kept?: ChatUnknown[];
}
