/**
 * @module
 * A canonical response as a Responses API response object for a client
 * (what `openai.responses.create()` returns; the SDK computes `output_text`
 * itself from the output items).
 *
 * - `id` is `resp_…` (the upstream's id, prefixed when it lacks the prefix).
 * - Output items: reasoning → `{type:"reasoning", summary, encrypted_content}`
 *   (encrypted content only when it came from the Responses API); text →
 *   message items `{type:"message", role:"assistant", content:[output_text …]}`
 *   (`annotations: []` unless the upstream gave some); refusal-marked text →
 *   `refusal` parts; tool calls → `function_call` items (`fc_…`, `call_id`),
 *   or `custom_tool_call` for a custom tool of the request, named as the
 *   request offered the tool (`namespace` and name for a namespaced one, see
 *   `tool-names.ts`); kept built-in items go back in place. Item ids are the upstream's when known, else
 *   derived from the response id.
 * - `status` and `incomplete_details` from the stop reason; a failed answer
 *   carries `error`.
 * - The request's settings are echoed (tools, tool_choice, text, reasoning,
 *   temperature …) as the API does; `store` is false (subgate keeps nothing).
 * - Files in the answer (Gemini images) have no output item and are dropped.
 */
import type { AssistantPart, ReasoningPart, ToolCallPart } from "../../ir/message.ts";
import type { CanonicalRequest } from "../../ir/request.ts";
import type { CanonicalResponse, Usage } from "../../ir/response.ts";
import type { ApiError } from "../../errors/api-error.ts";
import { encodeError } from "./encode-error.ts";
import { DIALECT } from "./decode-request.ts";
import {
  customInput,
  encodeReasoning,
  encodeText,
  encodeToolChoice,
  encodeTools,
  isRefusal,
  partMemo,
  requestMemo,
} from "./encode-request.ts";
import { encodeStatus } from "./map-stop-reason.ts";
import { callNameFields, type WireToolName, wireToolNames } from "./tool-names.ts";
import type {
  OutputItem,
  OutputMessageItem,
  PartMemo,
  ResponseErrorObject,
  ResponseMemo,
  ResponseObject,
  ResponsesUsage,
} from "./wire-types.ts";

/** A Responses id for any upstream id. */
export function responseId(id: string): string {
  if (id.startsWith("resp_")) return id;
  return `resp_${id ? id.replace(/[^A-Za-z0-9_-]/g, "") : crypto.randomUUID().replace(/-/g, "")}`;
}

/** Makes item ids `msg_<base>_0`, `fc_<base>_1` … from a response id. */
export function itemIds(id: string): (prefix: string) => string {
  const base = id.slice(5);
  let next = 0;
  return (prefix) => `${prefix}_${base}_${next++}`;
}

export function encodeUsage(usage: Usage): ResponsesUsage {
  const details: NonNullable<ResponsesUsage["input_tokens_details"]> = {
    cached_tokens: usage.cachedInputTokens ?? 0,
  };
  if (usage.cacheCreationInputTokens) details.cache_write_tokens = usage.cacheCreationInputTokens;
  return {
    input_tokens: usage.inputTokens,
    input_tokens_details: details,
    output_tokens: usage.outputTokens,
    output_tokens_details: { reasoning_tokens: usage.reasoningTokens ?? 0 },
    total_tokens: usage.inputTokens + usage.outputTokens,
  };
}

/** The `error` of a failed response. */
export function failureObject(error: ApiError | undefined): ResponseErrorObject {
  if (!error) {
    return { code: "server_error", message: "The upstream failed to complete the answer." };
  }
  const wire = encodeError(error).error;
  return { code: wire.code ?? wire.type, message: error.message };
}

/**
 * The response object without output, status or usage: the request's
 * settings echoed. Streams build it once and reuse it for every snapshot.
 */
export function responseShell(
  request: CanonicalRequest,
  id: string,
  model: string,
  created: number,
): ResponseObject {
  const fields = requestMemo(request).fields ?? {};
  const reasoning = encodeReasoning(request);
  const text = encodeText(request) ?? {};
  return {
    id,
    object: "response",
    created_at: created,
    status: "in_progress",
    background: false,
    error: null,
    incomplete_details: null,
    instructions: request.system.length > 0
      ? request.system.map((part) => part.text).join("\n\n")
      : null,
    max_output_tokens: request.maxOutputTokens ?? null,
    max_tool_calls: fields.max_tool_calls ?? null,
    model,
    output: [],
    parallel_tool_calls: request.parallelToolCalls ?? true,
    previous_response_id: fields.previous_response_id ?? null,
    prompt_cache_key: fields.prompt_cache_key ?? null,
    reasoning: { effort: reasoning?.effort ?? null, summary: reasoning?.summary ?? null },
    safety_identifier: fields.safety_identifier ?? null,
    service_tier: fields.service_tier ?? "default",
    store: false,
    temperature: request.temperature ?? 1,
    text: { ...text, format: text.format ?? { type: "text" } },
    tool_choice: encodeToolChoice(request) ?? "auto",
    tools: encodeTools(request) ?? [],
    top_logprobs: fields.top_logprobs ?? 0,
    top_p: request.topP ?? 1,
    truncation: fields.truncation ?? "disabled",
    usage: null,
    user: fields.user ?? null,
    metadata: fields.metadata ?? {},
  };
}

/** Canonical answer parts (and kept built-in items) as output items. */
export function encodeOutput(
  content: AssistantPart[],
  request: CanonicalRequest,
  nextId: (prefix: string) => string,
  builtin: ResponseMemo["items"] = [],
): OutputItem[] {
  const output: OutputItem[] = [];
  const names = wireToolNames(request);
  let message: OutputMessageItem | undefined;
  let kept = 0;
  const flushKept = (before: number) => {
    while (kept < builtin.length && builtin[kept].part <= before) {
      output.push(builtin[kept++].item);
      message = undefined;
    }
  };
  content.forEach((part, index) => {
    flushKept(index);
    const memo = partMemo(part);
    switch (part.type) {
      case "text":
        if (!message || memo.item !== undefined) {
          message = {
            ...memo.item,
            id: memo.itemId ?? nextId("msg"),
            type: "message",
            status: "completed",
            role: "assistant",
            content: [],
          };
          output.push(message);
        }
        message.content.push(
          isRefusal(part)
            ? { ...memo.extra, type: "refusal", refusal: part.text }
            : { annotations: [], ...memo.extra, type: "output_text", text: part.text },
        );
        return;
      case "reasoning": {
        message = undefined;
        const item = reasoningItem(part, memo, nextId);
        if (item) output.push(item);
        return;
      }
      case "tool-call":
        message = undefined;
        output.push(callItem(part, memo, names, nextId));
        return;
      case "file":
        return;
    }
  });
  flushKept(Infinity);
  return output;
}

/** A reasoning item; none for another provider's reasoning with no text to show. */
function reasoningItem(
  part: ReasoningPart,
  memo: PartMemo,
  nextId: (prefix: string) => string,
): OutputItem | undefined {
  const encrypted = part.origin === DIALECT ? part.encrypted : undefined;
  if (part.text === "" && part.origin !== DIALECT) return undefined;
  const item: OutputItem = {
    ...memo.extra,
    id: part.id ?? nextId("rs"),
    type: "reasoning",
    summary: memo.summary ??
      (memo.fromContent || part.text === "" ? [] : [{ type: "summary_text", text: part.text }]),
  };
  if (encrypted !== undefined) item.encrypted_content = encrypted;
  return item;
}

/** A call item: `custom_tool_call` for a custom tool's call, else `function_call`. */
function callItem(
  part: ToolCallPart,
  memo: PartMemo,
  names: Map<string, WireToolName>,
  nextId: (prefix: string) => string,
): OutputItem {
  if (memo.custom || names.get(part.name)?.custom) {
    return {
      ...memo.extra,
      id: memo.itemId ?? nextId("ctc"),
      type: "custom_tool_call",
      status: "completed",
      call_id: part.id,
      ...callNameFields(part.name, names, part),
      input: customInput(part.arguments),
    };
  }
  return {
    ...memo.extra,
    id: memo.itemId ?? nextId("fc"),
    type: "function_call",
    status: "completed",
    arguments: part.arguments,
    call_id: part.id,
    ...callNameFields(part.name, names, part),
  };
}

export function encodeResponse(response: CanonicalResponse, request: CanonicalRequest): unknown {
  const memo = (response.providerData?.[DIALECT] ?? {}) as ResponseMemo;
  const id = responseId(response.id);
  const result = responseShell(
    request,
    id,
    response.model || request.model,
    response.created ?? Math.floor(Date.now() / 1000),
  );
  result.output = encodeOutput(response.content, request, itemIds(id), memo.items);
  const outcome = encodeStatus(
    response.stopReason,
    response.content.some((part) => part.type === "text" && isRefusal(part)),
  );
  if (response.stopReason === "other" && memo.incompleteReason) {
    outcome.status = "incomplete";
  }
  result.status = outcome.status;
  if (outcome.status === "incomplete") {
    result.incomplete_details = { reason: memo.incompleteReason ?? outcome.reason };
  }
  if (outcome.status === "failed") result.error = failureObject(memo.error);
  result.usage = encodeUsage(response.usage);
  return result;
}
