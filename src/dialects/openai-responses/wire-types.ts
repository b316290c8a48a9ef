/**
 * @module
 * The OpenAI Responses API on the wire (`POST /v1/responses`, also the
 * ChatGPT Codex backend): request bodies, input and output items, the
 * response object, stream events and error bodies. Only the fields subgate
 * reads or writes are named; everything else passes through as `Extras`.
 * The last section types what this codec keeps in `providerData`.
 */

import type { ApiError } from "../../errors/api-error.ts";

/** Fields of a wire object that the canonical model has no place for, verbatim. */
export type Extras = Record<string, unknown>;

// ---------------------------------------------------------------- content parts

export interface InputTextPart {
  type: "input_text";
  text: string;
}

export interface OutputTextPart {
  type: "output_text";
  text: string;
  annotations?: unknown[];
  logprobs?: unknown[];
}

export interface RefusalPart {
  type: "refusal";
  refusal: string;
}

export interface InputImagePart {
  type: "input_image";
  /** A `data:` URL or an http(s) URL. */
  image_url?: string | null;
  file_id?: string | null;
  detail?: "low" | "high" | "auto" | "original";
}

export interface InputFilePart {
  type: "input_file";
  /** A `data:<media type>;base64,…` URL (or bare base64). */
  file_data?: string;
  file_url?: string;
  file_id?: string | null;
  filename?: string;
}

export type MessageContentPart =
  | InputTextPart
  | OutputTextPart
  | RefusalPart
  | InputImagePart
  | InputFilePart;

/** What a function_call_output may carry instead of a string. */
export type FunctionOutputPart = InputTextPart | InputImagePart | InputFilePart;

/** A content or output part of a type subgate does not know, kept verbatim. */
export interface UnknownPart {
  type: string;
  [field: string]: unknown;
}

// ---------------------------------------------------------------- items

export type MessageRole = "user" | "assistant" | "system" | "developer";

export interface MessageItem {
  /** Optional on input: `{role, content}` is an "easy" message. */
  type?: "message";
  id?: string;
  role: MessageRole;
  content: string | Array<MessageContentPart | UnknownPart>;
  status?: string;
  /** Codex: "commentary" | "final_answer". */
  phase?: string;
}

export interface FunctionCallItem {
  type: "function_call";
  id?: string;
  call_id: string;
  /** The namespace of the tool, when it sits in one (see `NamespaceTool`). */
  namespace?: string;
  name: string;
  arguments: string;
  status?: string | null;
}

export interface FunctionCallOutputItem {
  type: "function_call_output";
  id?: string;
  call_id: string;
  output: string | Array<FunctionOutputPart | UnknownPart>;
  status?: string | null;
}

export interface CustomToolCallItem {
  type: "custom_tool_call";
  id?: string;
  call_id: string;
  namespace?: string;
  name: string;
  input: string;
  status?: string;
}

export interface CustomToolCallOutputItem {
  type: "custom_tool_call_output";
  id?: string;
  call_id: string;
  output: string | Array<FunctionOutputPart | UnknownPart>;
}

export interface SummaryText {
  type: "summary_text";
  text: string;
}

export interface ReasoningText {
  type: "reasoning_text";
  text: string;
}

export interface ReasoningItem {
  type: "reasoning";
  id?: string;
  summary: SummaryText[];
  content?: ReasoningText[] | null;
  encrypted_content?: string | null;
  status?: string;
}

/**
 * Codex CLI's "code mode" (its newer models; the request also carries the header
 * `x-openai-internal-codex-responses-lite: true` and an empty `tools`): the tools come as
 * the first input item, grouped in namespaces. The `functions` namespace holds a freeform
 * `exec` tool taking JavaScript that calls the other tools as `tools.<name>(…)`.
 */
export interface AdditionalToolsItem {
  type: "additional_tools";
  id?: string;
  role?: "developer";
  tools: Tool[];
}

/**
 * An item the canonical model cannot express (web_search_call, local_shell_call, mcp_call …,
 * or a type subgate does not know yet), kept verbatim.
 */
export interface BuiltinItem {
  type: string;
  id?: string;
  [field: string]: unknown;
}

export type InputItem =
  | MessageItem
  | FunctionCallItem
  | FunctionCallOutputItem
  | CustomToolCallItem
  | CustomToolCallOutputItem
  | ReasoningItem
  | AdditionalToolsItem
  | BuiltinItem;

export interface OutputMessageItem {
  type: "message";
  id: string;
  role: "assistant";
  status: string;
  content: Array<OutputTextPart | RefusalPart>;
  phase?: string;
}

export type OutputItem =
  | OutputMessageItem
  | (ReasoningItem & { id: string })
  | (FunctionCallItem & { id: string })
  | (CustomToolCallItem & { id: string })
  | BuiltinItem;

// ---------------------------------------------------------------- tools and request

export interface FunctionTool {
  type: "function";
  name: string;
  description?: string | null;
  parameters?: Record<string, unknown> | null;
  strict?: boolean | null;
}

/** A freeform tool (Codex's `apply_patch` on GPT-5 models): the model writes raw text. */
export interface CustomTool {
  type: "custom";
  name: string;
  description?: string;
  format?: Record<string, unknown>;
}

/** Function and custom tools grouped under a name: the model calls them with `namespace`. */
export interface NamespaceTool {
  type: "namespace";
  name: string;
  description?: string;
  tools: Array<FunctionTool | CustomTool>;
}

export interface BuiltinTool {
  type: string;
  [field: string]: unknown;
}

export type Tool = FunctionTool | CustomTool | NamespaceTool | BuiltinTool;

export type ToolChoiceWire =
  | "auto"
  | "none"
  | "required"
  | { type: "function"; name: string }
  | { type: "custom"; name: string }
  | { type: string; [field: string]: unknown };

export type TextFormat =
  | { type: "text" }
  | { type: "json_object" }
  | {
    type: "json_schema";
    name: string;
    schema: Record<string, unknown>;
    strict?: boolean | null;
    description?: string;
  };

export type ReasoningEffortWire = "none" | "minimal" | "low" | "medium" | "high" | "xhigh";

export interface ReasoningWire {
  effort?: ReasoningEffortWire | null;
  summary?: string | null;
  [field: string]: unknown;
}

export interface ResponsesRequest {
  model: string;
  input: string | InputItem[];
  instructions?: string | null;
  tools?: Tool[];
  tool_choice?: ToolChoiceWire;
  parallel_tool_calls?: boolean;
  text?: { format?: TextFormat; verbosity?: string; [field: string]: unknown };
  max_output_tokens?: number;
  temperature?: number;
  top_p?: number;
  reasoning?: ReasoningWire;
  stream?: boolean;
  [field: string]: unknown;
}

// ---------------------------------------------------------------- response

export interface ResponsesUsage {
  input_tokens: number;
  input_tokens_details?: { cached_tokens?: number; [field: string]: unknown };
  output_tokens: number;
  output_tokens_details?: { reasoning_tokens?: number; [field: string]: unknown };
  total_tokens?: number;
}

export interface ResponseErrorObject {
  code?: string | null;
  message?: string;
  type?: string;
  param?: string | null;
}

export type ResponseStatus =
  | "completed"
  | "incomplete"
  | "failed"
  | "in_progress"
  | "queued"
  | "cancelled";

export interface ResponseObject {
  id: string;
  object: "response";
  created_at: number;
  status: ResponseStatus;
  error: ResponseErrorObject | null;
  incomplete_details: { reason?: string } | null;
  model: string;
  output: OutputItem[];
  usage: ResponsesUsage | null;
  [field: string]: unknown;
}

// ---------------------------------------------------------------- stream events
// As the decoder reads them: past `type`, every field is optional, since servers leave fields
// out (some send no deltas, some no item events), and the decoder tests a field's type where it
// reads it. `readStreamEvent` (decode-stream.ts) checks the `type`.

/** An output item in a stream event: of any type, with the fields the decoder reads. */
export type StreamItem = {
  type?: string;
  id?: string;
  /** function_call and custom_tool_call */
  call_id?: string;
  namespace?: string;
  name?: string;
  arguments?: string;
  input?: string;
  /** message: its parts (output_text, refusal) */
  content?: unknown[];
  /** reasoning */
  summary?: unknown[];
  encrypted_content?: string | null;
};

/** A content or summary part in `*.part.added` / `*.part.done`. */
export interface StreamPart {
  type?: string;
  text?: string;
  refusal?: string;
}

/** An event carrying the response object (without its output until the terminal events). */
interface ResponseEvent<T extends string> {
  type: T;
  response?: Partial<ResponseObject>;
}

/** An event about an output item, or a part of one. */
interface ItemEvent<T extends string> {
  type: T;
  sequence_number?: number;
  output_index?: number;
  item_id?: string;
}

interface ItemAddedOrDone<T extends string> extends ItemEvent<T> {
  item?: StreamItem;
}

interface ContentPartEvent<T extends string> extends ItemEvent<T> {
  content_index?: number;
  part?: StreamPart;
}

interface SummaryPartEvent<T extends string> extends ItemEvent<T> {
  summary_index?: number;
  part?: StreamPart;
}

/** A piece of text: of a content part (`content_index`) or a summary part (`summary_index`). */
interface DeltaEvent<T extends string> extends ItemEvent<T> {
  content_index?: number;
  summary_index?: number;
  delta?: string;
}

/** A part's whole text, at its end. */
interface TextDoneEvent<T extends string> extends ItemEvent<T> {
  content_index?: number;
  summary_index?: number;
  text?: string;
}

/** The stream's events the decoder acts on; built-in tools' events and newer types it skips. */
export type ResponsesStreamEvent =
  | ResponseEvent<"response.created">
  | ResponseEvent<"response.in_progress">
  | ResponseEvent<"response.queued">
  | ItemAddedOrDone<"response.output_item.added">
  | ItemAddedOrDone<"response.output_item.done">
  | ContentPartEvent<"response.content_part.added">
  | ContentPartEvent<"response.content_part.done">
  | DeltaEvent<"response.output_text.delta">
  | TextDoneEvent<"response.output_text.done">
  | DeltaEvent<"response.refusal.delta">
  | (ItemEvent<"response.refusal.done"> & { content_index?: number; refusal?: string })
  | SummaryPartEvent<"response.reasoning_summary_part.added">
  | SummaryPartEvent<"response.reasoning_summary_part.done">
  | DeltaEvent<"response.reasoning_summary_text.delta">
  | TextDoneEvent<"response.reasoning_summary_text.done">
  | DeltaEvent<"response.reasoning_text.delta">
  | TextDoneEvent<"response.reasoning_text.done">
  | DeltaEvent<"response.function_call_arguments.delta">
  | (ItemEvent<"response.function_call_arguments.done"> & { arguments?: string })
  | DeltaEvent<"response.custom_tool_call_input.delta">
  | (ItemEvent<"response.custom_tool_call_input.done"> & { input?: string })
  | ResponseEvent<"response.completed">
  | ResponseEvent<"response.incomplete">
  /** What some servers send for `response.completed`. */
  | ResponseEvent<"response.done">
  | ResponseEvent<"response.failed">
  | {
    type: "error";
    /** Nested (what OpenAI sends) or flat (what its schema says). */
    error?: ResponseErrorObject;
    code?: string | null;
    message?: string;
  };

// ---------------------------------------------------------------- error bodies

export interface ErrorBody {
  /** OpenAI `{error:{…}}`; the Codex backend's usage-limit 429 adds reset fields. */
  error?:
    | (ResponseErrorObject & {
      resets_in_seconds?: number;
      resets_at?: number;
      plan_type?: string;
    })
    | string;
  /** The Codex backend's 400 `{"detail":"Store must be set to false"}`, or an error object. */
  detail?: string | ResponseErrorObject;
  message?: string;
}

// ---------------------------------------------------------------- providerData["openai-responses"]
// What this codec remembers so that a Responses upstream gets the client's body
// back. Other codecs never read these; the pipeline reads only the fields
// documented on `RequestMemo`.

/** An input item the IR cannot express, and where it stood: before part `part` of message `message`. */
export interface AnchoredItem {
  message: number;
  part: number;
  item: BuiltinItem;
  /**
   * What the item says is in the canonical request already (an `additional_tools` item:
   * its tools are `request.tools`), so leaving it out for another dialect loses nothing.
   */
  mapped?: true;
}

/** `request.providerData["openai-responses"]`. */
export interface RequestMemo {
  /**
   * Top-level fields the IR has no place for, verbatim: store, include, metadata,
   * truncation, service_tier, previous_response_id, prompt_cache_key, user,
   * background, max_tool_calls, top_logprobs, conversation, stream_options …
   */
  fields?: Extras;
  /** Built-in and reference input items (web_search_call, local_shell_call, item_reference …). */
  items?: AnchoredItem[];
  /**
   * Tools other than function/custom, with their position in `tools`; `mapped` for a
   * namespace tool, whose tools are in `request.tools` too.
   */
  tools?: Array<{ index: number; tool: BuiltinTool; mapped?: true }>;
  /** What other dialects cannot be given, named for the warning (`input[0].tools[3]: tool type "web_search"`). */
  lost?: string[];
  /** A tool_choice naming a built-in tool (or allowed_tools), verbatim. */
  toolChoice?: ToolChoiceWire;
  /** `reasoning` fields besides effort (summary, generate_summary …), verbatim. */
  reasoning?: Extras;
  /** `text` fields besides format (verbosity), and a format of a type subgate does not know. */
  text?: Extras;
  /** json_schema format fields the IR lacks (description). */
  format?: Extras;
}

/** `message.providerData["openai-responses"]` (user and system messages). */
export interface MessageMemo {
  /** The item's role when the IR role does not say it (system vs developer). */
  role?: "system" | "developer";
  /** Unknown fields of the message item (status, phase …). */
  item?: Extras;
}

/** `part.providerData["openai-responses"]`. */
export interface PartMemo {
  /**
   * On the first part of an assistant message item: that item's unknown fields
   * (status, phase …). Marks where one assistant message item begins.
   */
  item?: Extras;
  /** The output item's id (responses only; never sent upstream). */
  itemId?: string;
  /** Unknown fields of the part or item itself (annotations, detail, status …). */
  extra?: Extras;
  /** A text part that is a `refusal`. */
  refusal?: boolean;
  /** A tool call or result of a custom (freeform) tool. */
  custom?: boolean;
  /** A reasoning part's text came from `content` (reasoning_text), not `summary`. */
  fromContent?: boolean;
  /** A reasoning item's summary when it had several parts, verbatim. */
  summary?: SummaryText[];
  /**
   * A call of a tool inside a namespace: the namespace and the name as the wire had them
   * (the canonical name is the flattened one, see `tool-names.ts`).
   */
  namespace?: string;
  wireName?: string;
  /**
   * Content parts of a type subgate does not know that stood right before (after) this part
   * in its item, verbatim: a Responses upstream gets them back in place.
   */
  before?: UnknownPart[];
  after?: UnknownPart[];
  /** A tool result's output verbatim, when none of its parts is of a type the IR holds. */
  output?: UnknownPart[];
}

/** `tool.providerData["openai-responses"]`. */
export interface ToolMemo {
  /**
   * The tool sits in a namespace: its namespace, and its name there when the canonical name
   * is the flattened one (see `tool-names.ts`).
   */
  namespace?: string;
  wireName?: string;
  /**
   * The wire carries this tool elsewhere, verbatim (in a namespace tool or an
   * `additional_tools` item): the definition serves other dialects, and encodeTools leaves it out.
   */
  kept?: true;
  /** A custom tool: its `format` (grammar or text). */
  custom?: { format?: Record<string, unknown> };
  /** The function tool had no `strict` field. */
  noStrict?: boolean;
  /** The function tool had no `parameters`. */
  noParameters?: boolean;
  extra?: Extras;
}

/** `response.providerData["openai-responses"]`. */
export interface ResponseMemo {
  /** Built-in output items, before content part `part`. */
  items?: Array<{ part: number; item: BuiltinItem }>;
  /** A `failed` response's error, as a canonical error. */
  error?: ApiError;
  /** `incomplete_details.reason` verbatim, when the stop reason does not say it. */
  incompleteReason?: string;
}
