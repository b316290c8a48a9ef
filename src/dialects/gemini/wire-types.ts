/**
 * @module
 * Gemini `generateContent` on the wire (`POST /v1beta/models/{model}:generateContent`
 * and `:streamGenerateContent?alt=sse`): the request, the
 * `GenerateContentResponse` (a whole body, or one per SSE `data:` line) and the
 * google.rpc `Status` error body, as far as subgate reads or writes them. The
 * API also accepts snake_case field names in requests (proto JSON); the request
 * decoder reads both spellings and these types name the camelCase one.
 */

/** Fields a wire object may carry beyond the typed ones (kept for a same-dialect round trip). */
export type Extras = Record<string, unknown>;

/** A JSON Schema (`parametersJsonSchema`, `responseJsonSchema`) or an OpenAPI `Schema`. */
export type JsonSchema = Record<string, unknown>;

export interface GeminiBlob {
  mimeType: string;
  /** base64 */
  data: string;
  displayName?: string;
}

export interface GeminiFileData {
  mimeType?: string;
  fileUri: string;
  displayName?: string;
}

/** One streamed argument value (Vertex `streamFunctionCallArguments`, Gemini 3). */
export interface GeminiPartialArg {
  /** RFC 9535 path of the value, e.g. `$.recipe.steps[0]`. */
  jsonPath?: string;
  stringValue?: string;
  numberValue?: number;
  boolValue?: boolean;
  nullValue?: string;
  /** The string at this path goes on in the next partial arg. */
  willContinue?: boolean;
}

export interface GeminiFunctionCall {
  /** Set by Gemini 3 (and by clients that number their calls); echoed on the response. */
  id?: string;
  name?: string;
  args?: Record<string, unknown>;
  partialArgs?: GeminiPartialArg[];
  /** More chunks of this call follow. */
  willContinue?: boolean;
}

/** A part inside a `functionResponse` (Gemini 3 multimodal tool results). */
export interface GeminiFunctionResponsePart {
  inlineData?: GeminiBlob;
  fileData?: GeminiFileData;
  /** Kinds of part subgate does not know are kept verbatim. */
  [field: string]: unknown;
}

/**
 * A part subgate does not know (no field it reads), kept verbatim with its position `at` in
 * its list (a turn's parts, `systemInstruction.parts`), so a Gemini upstream gets it back in
 * place: on a turn's first message as `providerData.gemini.kept`, on the request as
 * `providerData.gemini.systemKept`. A tool result keeps such parts of its `functionResponse`
 * as `providerData.gemini.responseParts`.
 */
export interface PlacedPart {
  at: number;
  part: Record<string, unknown>;
}

export interface GeminiFunctionResponse {
  id?: string;
  name: string;
  response: Record<string, unknown>;
  parts?: GeminiFunctionResponsePart[];
}

export interface GeminiExecutableCode {
  language?: string;
  code?: string;
}

export interface GeminiCodeExecutionResult {
  outcome?: string;
  output?: string;
}

export interface GeminiPart {
  text?: string;
  /** The text is a thought summary. */
  thought?: boolean;
  /** Opaque reasoning state; must go back unchanged to Gemini. */
  thoughtSignature?: string;
  inlineData?: GeminiBlob;
  fileData?: GeminiFileData;
  functionCall?: GeminiFunctionCall;
  functionResponse?: GeminiFunctionResponse;
  executableCode?: GeminiExecutableCode;
  codeExecutionResult?: GeminiCodeExecutionResult;
  videoMetadata?: Extras;
}

export interface GeminiContent {
  /** "user" or "model" ("function" in old clients, for tool results). */
  role?: string;
  parts: GeminiPart[];
}

export interface GeminiFunctionDeclaration {
  name: string;
  description?: string;
  /** OpenAPI 3.0 subset (`type: "OBJECT"` …). */
  parameters?: JsonSchema;
  /** Plain JSON Schema; mutually exclusive with `parameters`. */
  parametersJsonSchema?: JsonSchema;
  response?: JsonSchema;
  responseJsonSchema?: JsonSchema;
  behavior?: string;
}

/** A tool: function declarations, or one built-in tool (`googleSearch`, `codeExecution` …). */
export interface GeminiTool extends Extras {
  functionDeclarations?: GeminiFunctionDeclaration[];
}

export type GeminiCallingMode = "AUTO" | "ANY" | "NONE" | "VALIDATED" | "MODE_UNSPECIFIED";

export interface GeminiFunctionCallingConfig {
  mode?: GeminiCallingMode;
  allowedFunctionNames?: string[];
}

export interface GeminiToolConfig extends Extras {
  functionCallingConfig?: GeminiFunctionCallingConfig;
}

export type GeminiThinkingLevel = "MINIMAL" | "LOW" | "MEDIUM" | "HIGH";

export interface GeminiThinkingConfig {
  thinkingBudget?: number;
  includeThoughts?: boolean;
  thinkingLevel?: GeminiThinkingLevel | string;
}

export interface GeminiGenerationConfig extends Extras {
  maxOutputTokens?: number;
  temperature?: number;
  topP?: number;
  topK?: number;
  stopSequences?: string[];
  candidateCount?: number;
  responseMimeType?: string;
  responseSchema?: JsonSchema;
  responseJsonSchema?: JsonSchema;
  thinkingConfig?: GeminiThinkingConfig;
}

/** The request body. The model is in the URL, never here. */
export interface GeminiRequest extends Extras {
  contents: GeminiContent[];
  systemInstruction?: { role?: string; parts: GeminiPart[] };
  tools?: GeminiTool[];
  toolConfig?: GeminiToolConfig;
  generationConfig?: GeminiGenerationConfig;
  safetySettings?: unknown[];
  cachedContent?: string;
  labels?: Record<string, string>;
}

export interface GeminiUsageMetadata {
  promptTokenCount?: number;
  candidatesTokenCount?: number;
  /** Reasoning tokens; not part of candidatesTokenCount. */
  thoughtsTokenCount?: number;
  /** Prompt tokens read from a cache; part of promptTokenCount. */
  cachedContentTokenCount?: number;
  toolUsePromptTokenCount?: number;
  totalTokenCount?: number;
  [detail: string]: unknown;
}

export interface GeminiCandidate {
  content?: { role?: string; parts?: GeminiPart[] };
  finishReason?: string;
  finishMessage?: string;
  index?: number;
  safetyRatings?: unknown[];
  groundingMetadata?: Extras;
  citationMetadata?: Extras;
}

export interface GeminiPromptFeedback {
  blockReason?: string;
  blockReasonMessage?: string;
  safetyRatings?: unknown[];
}

/** A whole answer, or one streamed chunk of it (each chunk carries only new parts). */
export interface GeminiResponse {
  candidates?: GeminiCandidate[];
  promptFeedback?: GeminiPromptFeedback;
  usageMetadata?: GeminiUsageMetadata;
  modelVersion?: string;
  responseId?: string;
  /** Vertex: RFC 3339 time the answer was made. */
  createTime?: string;
  /** An in-band error (a stream that fails after it began). */
  error?: GeminiStatus;
}

/** One entry of a google.rpc `Status.details`. */
export interface GeminiErrorDetail {
  "@type"?: string;
  /** google.rpc.RetryInfo: a protobuf Duration such as "3.56s". */
  retryDelay?: string;
  /** google.rpc.ErrorInfo */
  reason?: string;
  domain?: string;
  metadata?: Record<string, string>;
  [field: string]: unknown;
}

/** google.rpc `Status`, the `error` of an error body. */
export interface GeminiStatus {
  code?: number;
  message?: string;
  status?: string;
  details?: GeminiErrorDetail[];
}

/**
 * An error response's body: `{"error": Status}` from Google; read back, proxies in front of it
 * also send a bare string as the error, or only a top-level `message`. Streaming endpoints
 * without `alt=sse` wrap it in an array.
 */
export interface GeminiErrorBody {
  error?: GeminiStatus | string;
  message?: string;
}
