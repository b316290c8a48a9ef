/**
 * @module
 * Canonical stream events as a Responses API event stream for a client
 * (`event: <type>` + `data: {"type":…,"sequence_number":n,…}`), in the order
 * the API sends them, so that the openai SDKs' stream helpers (which check
 * every `output_index` and `content_index`) and Codex CLI (which reads items
 * from `output_item.done` and the end from `response.completed`) work.
 *
 * - `start` → `response.created` + `response.in_progress` with the response
 *   object (the request's settings echoed, built once per stream).
 * - Each text block is one message item: `output_item.added`,
 *   `content_part.added`, `output_text.delta`…, `output_text.done`,
 *   `content_part.done`, `output_item.done`. Refusal-marked text uses the
 *   `refusal` part and events. The upstream's item id and Codex `phase` are
 *   kept when the upstream spoke Responses.
 * - Each reasoning block is one reasoning item with one summary part
 *   (`reasoning_summary_part.added`, `reasoning_summary_text.delta`…,
 *   `.done`, `reasoning_summary_part.done`); encrypted content (not that of a
 *   redacted block) goes on the done item; signatures of other dialects are dropped.
 * - Tool calls are `function_call` items with `function_call_arguments.delta`
 *   and `.done`; a call of one of the request's custom tools is a
 *   `custom_tool_call` whose input is sent in one delta when the call ends
 *   (it arrives as the JSON `{"input": …}`). A call is named as the request
 *   offered the tool: `namespace` and name for one in a namespace (Codex CLI's
 *   code mode), see `tool-names.ts`.
 * - `finish` → `response.completed` (or `response.incomplete` for max
 *   tokens / content filter) carrying the full response object with all
 *   output items and usage, built once.
 * - `error` → an `error` event and `response.failed`.
 * - `end()` closes what is open and sends `response.completed` if no
 *   terminal event was sent. Events after the terminal event are dropped.
 * - One `JSON.stringify` per event; output item ids are the upstream's when
 *   known, else derived from the response id.
 */
import type { StreamEncoder } from "../codec.ts";
import type { CanonicalRequest } from "../../ir/request.ts";
import type { StopReason, Usage } from "../../ir/response.ts";
import type { StreamEvent } from "../../ir/stream-event.ts";
import { emptyUsage, mergeUsage } from "../../ir/usage.ts";
import type { ApiError } from "../../errors/api-error.ts";
import { encodeError } from "./encode-error.ts";
import { formatSse } from "../../sse/parse-sse.ts";
import { DIALECT } from "./decode-request.ts";
import { customInput } from "./encode-request.ts";
import {
  encodeUsage,
  failureObject,
  itemIds,
  responseId,
  responseShell,
} from "./encode-response.ts";
import { encodeStatus } from "./map-stop-reason.ts";
import { callNameFields, wireToolNames } from "./tool-names.ts";
import type { OutputItem, PartMemo, ResponseObject } from "./wire-types.ts";

interface TextState {
  kind: "text";
  outputIndex: number;
  itemId: string;
  refusal: boolean;
  text: string;
  item: OutputItem;
}

interface ReasoningState {
  kind: "reasoning";
  outputIndex: number;
  itemId: string;
  text: string;
  partOpen: boolean;
  redacted: boolean;
  encrypted?: string;
}

interface ToolState {
  kind: "tool";
  outputIndex: number;
  itemId: string;
  callId: string;
  /** The call item's `name` (and `namespace`) as the client offered the tool. */
  named: { name: string; namespace?: string };
  custom: boolean;
  args: string;
}

type BlockState = TextState | ReasoningState | ToolState;

export function createStreamEncoder(request: CanonicalRequest): StreamEncoder {
  const names = wireToolNames(request);
  let sequence = 0;
  let shell: ResponseObject | undefined;
  let nextId: (prefix: string) => string = itemIds("resp_");
  let terminal = false;
  let hasToolCalls = false;
  let hasRefusal = false;
  let usage: Usage = emptyUsage();
  const output: OutputItem[] = [];
  const blocks = new Map<number, BlockState>();
  const usedIds = new Set<string>();

  const send = (type: string, fields: Record<string, unknown>): string =>
    formatSse(JSON.stringify({ type, sequence_number: sequence++, ...fields }), type);

  const freshId = (wanted: string | undefined, prefix: string): string => {
    const id = wanted && !usedIds.has(wanted) ? wanted : nextId(prefix);
    usedIds.add(id);
    return id;
  };

  const start = (id: string, model: string, created?: number): string => {
    const responseIdValue = responseId(id);
    nextId = itemIds(responseIdValue);
    shell = responseShell(
      request,
      responseIdValue,
      model || request.model,
      created ?? Math.floor(Date.now() / 1000),
    );
    return send("response.created", { response: shell }) +
      send("response.in_progress", { response: shell });
  };

  const ensureStarted = (): string => (shell ? "" : start("", request.model));

  // ------------------------------------------------------------ text

  const textStart = (index: number, memo: PartMemo, chatRefusal: boolean): string => {
    const refusal = memo.refusal === true || chatRefusal;
    if (refusal) hasRefusal = true;
    const itemId = freshId(memo.itemId, "msg");
    const state: TextState = {
      kind: "text",
      outputIndex: output.length,
      itemId,
      refusal,
      text: "",
      item: {
        ...memo.item,
        id: itemId,
        type: "message",
        status: "in_progress",
        content: [],
        role: "assistant",
      },
    };
    blocks.set(index, state);
    output.push(state.item);
    const base = { item_id: state.itemId, output_index: state.outputIndex, content_index: 0 };
    return send("response.output_item.added", {
      output_index: state.outputIndex,
      item: state.item,
    }) +
      send("response.content_part.added", {
        ...base,
        part: refusal
          ? { type: "refusal", refusal: "" }
          : { type: "output_text", annotations: [], logprobs: [], text: "" },
      });
  };

  const textDelta = (state: TextState, delta: string): string => {
    state.text += delta;
    const base = { item_id: state.itemId, output_index: state.outputIndex, content_index: 0 };
    return state.refusal
      ? send("response.refusal.delta", { ...base, delta })
      : send("response.output_text.delta", { ...base, delta, logprobs: [] });
  };

  const textEnd = (state: TextState): string => {
    const base = { item_id: state.itemId, output_index: state.outputIndex, content_index: 0 };
    const part = state.refusal
      ? { type: "refusal", refusal: state.text }
      : { type: "output_text", annotations: [], logprobs: [], text: state.text };
    const item = { ...state.item, status: "completed", content: [part] };
    output[state.outputIndex] = item;
    return (state.refusal
      ? send("response.refusal.done", { ...base, refusal: state.text })
      : send("response.output_text.done", { ...base, text: state.text, logprobs: [] })) +
      send("response.content_part.done", { ...base, part }) +
      send("response.output_item.done", { output_index: state.outputIndex, item });
  };

  // ------------------------------------------------------------ reasoning

  const reasoningStart = (
    index: number,
    id: string | undefined,
    redacted: boolean,
    encrypted: string | undefined,
  ): string => {
    const state: ReasoningState = {
      kind: "reasoning",
      outputIndex: output.length,
      itemId: freshId(id, "rs"),
      text: "",
      partOpen: false,
      redacted,
    };
    if (encrypted !== undefined && !redacted) state.encrypted = encrypted;
    blocks.set(index, state);
    const item: OutputItem = { id: state.itemId, type: "reasoning", summary: [] };
    output.push(item);
    return send("response.output_item.added", { output_index: state.outputIndex, item });
  };

  const reasoningDelta = (state: ReasoningState, delta: string): string => {
    let text = "";
    const base = { item_id: state.itemId, output_index: state.outputIndex, summary_index: 0 };
    if (!state.partOpen) {
      state.partOpen = true;
      text += send("response.reasoning_summary_part.added", {
        ...base,
        part: { type: "summary_text", text: "" },
      });
    }
    state.text += delta;
    return text + send("response.reasoning_summary_text.delta", { ...base, delta });
  };

  const reasoningEnd = (state: ReasoningState): string => {
    let text = "";
    const base = { item_id: state.itemId, output_index: state.outputIndex, summary_index: 0 };
    const summary = state.partOpen ? [{ type: "summary_text", text: state.text }] : [];
    if (state.partOpen) {
      text += send("response.reasoning_summary_text.done", { ...base, text: state.text }) +
        send("response.reasoning_summary_part.done", { ...base, part: summary[0] });
    }
    const item: OutputItem = { id: state.itemId, type: "reasoning", summary };
    if (state.encrypted !== undefined) item.encrypted_content = state.encrypted;
    output[state.outputIndex] = item;
    return text + send("response.output_item.done", { output_index: state.outputIndex, item });
  };

  // ------------------------------------------------------------ tool calls

  const toolStart = (index: number, callId: string, name: string): string => {
    const custom = names.get(name)?.custom === true;
    hasToolCalls = true;
    const state: ToolState = {
      kind: "tool",
      outputIndex: output.length,
      itemId: freshId(undefined, custom ? "ctc" : "fc"),
      callId,
      named: callNameFields(name, names),
      custom,
      args: "",
    };
    blocks.set(index, state);
    const item: OutputItem = custom
      ? {
        id: state.itemId,
        type: "custom_tool_call",
        status: "in_progress",
        call_id: callId,
        ...state.named,
        input: "",
      }
      : {
        id: state.itemId,
        type: "function_call",
        status: "in_progress",
        arguments: "",
        call_id: callId,
        ...state.named,
      };
    output.push(item);
    return send("response.output_item.added", { output_index: state.outputIndex, item });
  };

  const toolDelta = (state: ToolState, delta: string): string => {
    state.args += delta;
    if (state.custom) return "";
    return send("response.function_call_arguments.delta", {
      item_id: state.itemId,
      output_index: state.outputIndex,
      delta,
    });
  };

  const toolEnd = (state: ToolState): string => {
    const base = { item_id: state.itemId, output_index: state.outputIndex };
    let text = "";
    let item: OutputItem;
    if (state.custom) {
      const input = customInput(state.args);
      if (input) text += send("response.custom_tool_call_input.delta", { ...base, delta: input });
      item = {
        id: state.itemId,
        type: "custom_tool_call",
        status: "completed",
        call_id: state.callId,
        ...state.named,
        input,
      };
    } else {
      text += send("response.function_call_arguments.done", {
        ...base,
        ...state.named,
        arguments: state.args,
      });
      item = {
        id: state.itemId,
        type: "function_call",
        status: "completed",
        arguments: state.args,
        call_id: state.callId,
        ...state.named,
      };
    }
    output[state.outputIndex] = item;
    return text + send("response.output_item.done", { output_index: state.outputIndex, item });
  };

  // ------------------------------------------------------------ blocks and the end

  const endBlock = (index: number): string => {
    const state = blocks.get(index);
    if (!state) return "";
    blocks.delete(index);
    switch (state.kind) {
      case "text":
        return textEnd(state);
      case "reasoning":
        return reasoningEnd(state);
      case "tool":
        return toolEnd(state);
    }
  };

  const closeAll = (): string => {
    let text = "";
    for (const index of [...blocks.keys()]) text += endBlock(index);
    return text;
  };

  const finish = (stopReason: StopReason, error?: ApiError): string => {
    let text = ensureStarted();
    // A failure leaves open items as they were (in progress), as the API does.
    if (error) blocks.clear();
    else text += closeAll();
    terminal = true;
    const outcome = encodeStatus(stopReason, hasRefusal);
    const response: ResponseObject = {
      ...(shell as ResponseObject),
      status: outcome.status,
      output,
      usage: encodeUsage(usage),
    };
    if (outcome.status === "incomplete") response.incomplete_details = { reason: outcome.reason };
    if (outcome.status === "failed") {
      response.error = failureObject(error);
      text += send("response.failed", { response });
      return text;
    }
    return text + send(
      outcome.status === "incomplete" ? "response.incomplete" : "response.completed",
      { response },
    );
  };

  const fail = (error: ApiError): string => {
    const wire = (encodeError(error) as {
      error: { type: string; code: string | null; param: null };
    }).error;
    const text = ensureStarted() +
      send("error", {
        error: { ...wire, message: error.message },
        code: wire.code ?? wire.type,
        message: error.message,
        param: null,
      });
    return text + finish("error", error);
  };

  const textState = (index: number): { prefix: string; state: TextState } => {
    const state = blocks.get(index);
    if (state?.kind === "text") return { prefix: "", state };
    const prefix = textStart(index, {}, false);
    return { prefix, state: blocks.get(index) as TextState };
  };

  const reasoningState = (index: number): { prefix: string; state: ReasoningState } => {
    const state = blocks.get(index);
    if (state?.kind === "reasoning") return { prefix: "", state };
    const prefix = reasoningStart(index, undefined, false, undefined);
    return { prefix, state: blocks.get(index) as ReasoningState };
  };

  return {
    encode(event: StreamEvent): string {
      if (terminal) return "";
      switch (event.type) {
        case "start":
          if (event.usage) usage = mergeUsage(usage, event.usage);
          return shell ? "" : start(event.id, event.model, event.created);
        case "text-start": {
          const memo = (event.providerData?.[DIALECT] ?? {}) as PartMemo;
          const chatRefusal = event.providerData?.["openai-chat"]?.refusal === true;
          return ensureStarted() + endBlock(event.index) +
            textStart(event.index, memo, chatRefusal);
        }
        case "text-delta": {
          if (!event.text) return "";
          const started = ensureStarted();
          const { prefix, state } = textState(event.index);
          return started + prefix + textDelta(state, event.text);
        }
        case "reasoning-start":
          return ensureStarted() + endBlock(event.index) +
            reasoningStart(event.index, event.id, event.redacted === true, event.encrypted);
        case "reasoning-delta": {
          if (!event.text) return "";
          const started = ensureStarted();
          const { prefix, state } = reasoningState(event.index);
          return started + prefix + reasoningDelta(state, event.text);
        }
        case "reasoning-signature": {
          const state = blocks.get(event.index);
          const own = event.origin === undefined || event.origin === "openai-responses";
          if (
            own && state?.kind === "reasoning" && event.encrypted !== undefined && !state.redacted
          ) {
            state.encrypted = event.encrypted;
          }
          return "";
        }
        case "tool-call-start":
          return ensureStarted() + endBlock(event.index) +
            toolStart(event.index, event.id, event.name);
        case "tool-call-delta": {
          const state = blocks.get(event.index);
          return state?.kind === "tool" && event.argumentsDelta
            ? toolDelta(state, event.argumentsDelta)
            : "";
        }
        case "text-end":
        case "reasoning-end":
        case "tool-call-end":
          return endBlock(event.index);
        case "usage":
          usage = mergeUsage(usage, event.usage);
          return "";
        case "finish":
          usage = mergeUsage(usage, event.usage);
          return finish(event.stopReason);
        case "error":
          return fail(event.error);
      }
    },
    end(): string {
      if (terminal) return "";
      return finish(hasToolCalls ? "tool-calls" : "end");
    },
  };
}
