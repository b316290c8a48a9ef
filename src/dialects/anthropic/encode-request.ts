/**
 * @module
 * A canonical request as a Messages request body for an Anthropic upstream.
 *
 * - `max_tokens` is required: the client's, else 8192; a thinking budget gets
 *   that much room on top when it would not fit.
 * - Reasoning → `thinking`: a budget as given (at least 1024); an effort as a
 *   budget (minimal 1024, low 2048, medium 8192, high 16384, xhigh 32768), or,
 *   for models that take only adaptive thinking (Opus 4.7 and later, Claude 5),
 *   `{type:"adaptive"}` with `output_config.effort`. Thinking is left out (with
 *   a warning) when the request forces a tool or continues a tool call whose
 *   assistant turn has no signed thinking, both of which Anthropic refuses;
 *   `temperature`/`top_k`/`top_p` that thinking forbids are dropped instead.
 * - Tool results: consecutive `tool` messages become one user message of
 *   tool_result blocks. System messages after the conversation began go back
 *   inside `messages` when they came from there, else join the top-level
 *   system (with a warning).
 * - Reasoning parts go back as thinking blocks only when Anthropic signed them
 *   (origin "anthropic"); others are dropped with a warning.
 * - A JSON schema → `output_config.format` (structured outputs are GA); plain
 *   JSON mode → an instruction at the end of the system prompt, with a warning.
 * - Tool ids are made to fit Anthropic's pattern; a forced tool choice with no
 *   tools, or a file Anthropic cannot read, is an `invalid_request`.
 */
import type {
  AssistantPart,
  FilePart,
  Message,
  TextPart,
  ToolResultPart,
  UserPart,
} from "../../ir/message.ts";
import type { CanonicalRequest, ReasoningConfig, ToolDefinition } from "../../ir/request.ts";
import { apiError } from "../../errors/api-error.ts";
import type { EncodeContext } from "../codec.ts";
import { interleave, parseToolInput } from "./encode-response.ts";
import type {
  AnthropicBlock,
  AnthropicCustomTool,
  AnthropicMessageParam,
  AnthropicRequest,
  AnthropicTextBlock,
  AnthropicToolChoice,
  AnthropicToolResultBlock,
  MessageProviderData,
} from "./wire-types.ts";
import type { Json } from "../../ir/json.ts";

type Effort = Exclude<NonNullable<ReasoningConfig["effort"]>, "none">;

const DEFAULT_MAX_TOKENS = 8192;
const MIN_BUDGET = 1024;
const DEFAULT_BUDGET = 8192;
const EFFORT_BUDGET: Record<Effort, number> = {
  minimal: 1024,
  low: 2048,
  medium: 8192,
  high: 16384,
  xhigh: 32768,
};
const ADAPTIVE_EFFORT: Record<Effort, string> = {
  minimal: "low",
  low: "low",
  medium: "medium",
  high: "high",
  xhigh: "xhigh",
};
const JSON_INSTRUCTION = "Answer with a single valid JSON object and nothing else.";

/** Losses counted while encoding, reported once each. */
interface Tally {
  reasoning: number;
  assistantFiles: number;
  badArguments: number;
  movedSystem: number;
}

interface ThinkingPlan {
  thinking?: Json;
  budget?: number;
  effort?: string;
}

/** Models that refuse `budget_tokens` and take only adaptive thinking. */
function adaptiveOnly(model: string): boolean {
  if (/claude-(?:mythos|fable)/.test(model)) return true;
  const match = /claude-(?:opus|sonnet|haiku)-(\d+)(?:-(\d{1,2}))?(?!\d)/.exec(model);
  if (!match) return false;
  const major = Number(match[1]);
  return major > 4 || (major === 4 && Number(match[2] ?? 0) >= 7);
}

/** Tool ids as Anthropic takes them (`^[a-zA-Z0-9_-]+$`), the same id mapping the same way. */
function toolId(id: string): string {
  if (/^[a-zA-Z0-9_-]+$/.test(id)) return id;
  return id ? id.replace(/[^a-zA-Z0-9_-]/g, "_") : "toolu_missing";
}

function utf8FromBase64(data: string): string {
  return new TextDecoder().decode(Uint8Array.from(atob(data), (c) => c.charCodeAt(0)));
}

function encodeText(part: TextPart): AnthropicTextBlock | undefined {
  const extra = part.providerData?.anthropic;
  if (part.text === "" && !extra) return undefined;
  return { ...extra, type: "text", text: part.text };
}

function textBlocks(parts: TextPart[]): AnthropicTextBlock[] {
  const blocks: AnthropicTextBlock[] = [];
  for (const part of parts) {
    const block = encodeText(part);
    if (block) blocks.push(block);
  }
  return blocks;
}

/** An image or document block; `path` names the part in an error. */
function encodeFile(part: FilePart, path: string): AnthropicBlock {
  const extra = part.providerData?.anthropic;
  let { mediaType, data, url } = part;
  const inline = url?.startsWith("data:") ? /^data:([^;,]*)(;base64)?,(.*)$/s.exec(url) : null;
  if (inline?.[2]) {
    mediaType ??= inline[1] || undefined;
    data = inline[3];
    url = undefined;
  }
  const image = mediaType === undefined ? data === undefined : mediaType.startsWith("image/");
  const pdf = mediaType === "application/pdf";
  const text = mediaType?.startsWith("text/") === true && data !== undefined;
  if (!image && !pdf && !text) {
    throw apiError(
      "invalid_request",
      `${path}: Anthropic reads images, PDF and text files, not ${
        mediaType ?? "a file without a media type"
      }.`,
    );
  }
  const source = data !== undefined
    ? text
      ? { type: "text", media_type: "text/plain", data: utf8FromBase64(data) }
      : { type: "base64", media_type: mediaType, data }
    : url !== undefined
    ? { type: "url", url }
    : undefined;
  if (!source) throw apiError("invalid_request", `${path}: a file needs its data or a URL.`);
  if (image) return { ...extra, type: "image", source };
  const block: Json = { ...extra, type: "document", source };
  if (part.filename !== undefined) block.title = part.filename;
  return block;
}

function encodeToolResult(part: ToolResultPart, path: string): AnthropicToolResultBlock {
  const { opaque, ...extra } = part.providerData?.anthropic ?? {};
  const block: AnthropicToolResultBlock = {
    ...extra,
    type: "tool_result",
    tool_use_id: toolId(part.toolCallId),
  };
  if (typeof part.content !== "string") {
    const blocks: AnthropicBlock[] = [];
    for (const item of part.content) {
      const encoded = item.type === "text" ? encodeText(item) : encodeFile(item, path);
      if (encoded) blocks.push(encoded);
    }
    block.content = interleave(blocks, opaque);
  } else if (part.content !== "") block.content = part.content;
  if (part.isError !== undefined) block.is_error = part.isError;
  return block;
}

function encodeUserPart(part: UserPart, path: string): AnthropicBlock | undefined {
  switch (part.type) {
    case "text":
      return encodeText(part);
    case "file":
      return encodeFile(part, path);
    case "tool-result":
      return encodeToolResult(part, path);
  }
}

function encodeAssistantPart(part: AssistantPart, tally: Tally): AnthropicBlock | undefined {
  switch (part.type) {
    case "text":
      return encodeText(part);
    case "reasoning":
      // Only Anthropic's own signed thinking is accepted back.
      if (part.origin === "anthropic") {
        if (part.redacted && part.encrypted) {
          return { type: "redacted_thinking", data: part.encrypted };
        }
        if (!part.redacted && part.signature) {
          return { type: "thinking", thinking: part.text, signature: part.signature };
        }
      }
      tally.reasoning++;
      return undefined;
    case "tool-call": {
      let input = parseToolInput(part.arguments);
      if (!input) {
        tally.badArguments++;
        input = {};
      }
      return {
        ...part.providerData?.anthropic,
        type: "tool_use",
        id: toolId(part.id),
        name: part.name,
        input,
      };
    }
    case "file":
      tally.assistantFiles++;
      return undefined;
  }
}

function blocksOf<P>(
  parts: P[],
  encode: (part: P, index: number) => AnthropicBlock | undefined,
  opaque: unknown,
): AnthropicBlock[] {
  const blocks: AnthropicBlock[] = [];
  parts.forEach((part, index) => {
    const block = encode(part, index);
    if (block) blocks.push(block);
  });
  return interleave(blocks, opaque);
}

function encodeMessages(
  messages: Message[],
  system: AnthropicTextBlock[],
  tally: Tally,
): AnthropicMessageParam[] {
  const out: AnthropicMessageParam[] = [];
  let toolTurn: { role: "user"; content: AnthropicBlock[] } | undefined;
  let begun = false;
  messages.forEach((message, i) => {
    const data = message.providerData?.anthropic as MessageProviderData | undefined;
    if (message.role !== "tool") toolTurn = undefined;
    switch (message.role) {
      case "system": {
        const blocks = textBlocks(message.content);
        if (data?.inMessages) {
          out.push({ role: "system", content: interleave(blocks, data.opaque) });
        } else {
          system.push(...blocks);
          if (begun) tally.movedSystem++;
        }
        return;
      }
      case "user":
      case "assistant": {
        const content = message.role === "user"
          ? blocksOf(
            message.content,
            (part, j) => encodeUserPart(part, `messages[${i}].content[${j}]`),
            data?.opaque,
          )
          : blocksOf(message.content, (part) => encodeAssistantPart(part, tally), data?.opaque);
        // A message that held only parts another dialect keeps for itself has nothing left to
        // say, and Anthropic refuses an empty one.
        if (content.length === 0) return;
        out.push({ role: message.role, content });
        break;
      }
      case "tool": {
        const blocks = message.content.map((part, j) =>
          encodeToolResult(part, `messages[${i}].content[${j}]`)
        );
        if (toolTurn) toolTurn.content.push(...blocks);
        else {
          toolTurn = { role: "user", content: blocks };
          out.push(toolTurn);
        }
        break;
      }
    }
    begun = true;
  });
  return out;
}

function encodeTool(tool: ToolDefinition): AnthropicCustomTool {
  const parameters = tool.parameters ?? {};
  const encoded: AnthropicCustomTool = {
    ...tool.providerData?.anthropic,
    name: tool.name,
    input_schema: typeof parameters.type === "string"
      ? parameters
      : { type: "object", ...parameters },
  };
  if (tool.description !== undefined) encoded.description = tool.description;
  if (tool.strict !== undefined) encoded.strict = tool.strict;
  return encoded;
}

/** Custom tools put back among the server tools the request kept (`slots`), in order. */
function encodeTools(tools: ToolDefinition[], slots: unknown): Array<AnthropicCustomTool | Json> {
  const custom = tools.map(encodeTool);
  if (!Array.isArray(slots)) return custom;
  const out: Array<AnthropicCustomTool | Json> = [];
  let next = 0;
  for (const slot of slots as Array<Json | null>) {
    if (slot) out.push(slot);
    else if (next < custom.length) out.push(custom[next++]);
  }
  while (next < custom.length) out.push(custom[next++]);
  return out;
}

function encodeToolChoice(
  request: CanonicalRequest,
  hasTools: boolean,
): AnthropicToolChoice | undefined {
  const choice = request.toolChoice;
  const parallel = request.parallelToolCalls;
  const flag = parallel === undefined ? {} : { disable_parallel_tool_use: !parallel };
  if ((choice?.type === "required" || choice?.type === "tool") && !hasTools) {
    throw apiError(
      "invalid_request",
      "tool_choice: forces a tool call but the request has no tools.",
    );
  }
  if (!hasTools) return undefined;
  switch (choice?.type) {
    case undefined:
      return parallel === false ? { type: "auto", disable_parallel_tool_use: true } : undefined;
    case "auto":
      return { type: "auto", ...flag };
    case "required":
      return { type: "any", ...flag };
    case "tool":
      return { type: "tool", name: choice.name, ...flag };
    case "none":
      return { type: "none" };
  }
}

function planThinking(
  request: CanonicalRequest,
  rest: Json | undefined,
  effortGiven: boolean,
  context: EncodeContext,
): ThinkingPlan {
  const reasoning = request.reasoning;
  if (!reasoning) return rest ? { thinking: rest } : {};
  const { type: restType, ...extra } = rest ?? {};
  if (reasoning.enabled === false || reasoning.effort === "none") {
    return { thinking: { ...extra, type: "disabled" } };
  }
  if (restType === "adaptive") return { thinking: { ...rest } };
  const adaptive = adaptiveOnly(context.model);
  if (reasoning.budgetTokens !== undefined) {
    if (adaptive) {
      context.warn("reasoning", `${context.model} takes no thinking budget; it thinks adaptively`);
      return { thinking: { ...extra, type: "adaptive" } };
    }
    const budget = Math.max(MIN_BUDGET, reasoning.budgetTokens);
    if (budget !== reasoning.budgetTokens) {
      context.warn(
        "reasoning",
        `a thinking budget of ${reasoning.budgetTokens} was raised to ${budget}`,
      );
    }
    return { thinking: { ...extra, type: "enabled", budget_tokens: budget }, budget };
  }
  if (reasoning.effort && !effortGiven) {
    if (adaptive) {
      return {
        thinking: { ...extra, type: "adaptive" },
        effort: ADAPTIVE_EFFORT[reasoning.effort],
      };
    }
    const budget = EFFORT_BUDGET[reasoning.effort];
    return { thinking: { ...extra, type: "enabled", budget_tokens: budget }, budget };
  }
  if (reasoning.enabled || reasoning.includeThoughts) {
    if (adaptive) return { thinking: { ...extra, type: "adaptive" } };
    return {
      thinking: { ...extra, type: "enabled", budget_tokens: DEFAULT_BUDGET },
      budget: DEFAULT_BUDGET,
    };
  }
  return {};
}

/** Whether the last assistant turn made tool calls now being answered, with no thinking block first. */
function toolLoopWithoutThinking(messages: AnthropicMessageParam[]): boolean {
  let last = messages.length - 1;
  while (last >= 0 && messages[last].role !== "assistant") last--;
  if (last < 0) return false;
  const content = messages[last].content;
  const next = messages[last + 1]?.content;
  if (typeof content === "string" || !Array.isArray(next) || next[0]?.type !== "tool_result") {
    return false;
  }
  if (!content.some((block) => block.type === "tool_use")) return false;
  const first = content[0]?.type;
  return first !== "thinking" && first !== "redacted_thinking";
}

export function encodeRequest(request: CanonicalRequest, context: EncodeContext): AnthropicRequest {
  const {
    thinking: thinkingRest,
    metadata: metadataRest,
    output_config: outputRest,
    tools: toolSlots,
    systemOpaque,
    ...extra
  } = request.providerData?.anthropic ?? {};
  const tally: Tally = { reasoning: 0, assistantFiles: 0, badArguments: 0, movedSystem: 0 };
  const system = textBlocks(request.system);
  const messages = encodeMessages(request.messages, system, tally);
  const body: AnthropicRequest = {
    ...extra,
    model: context.model,
    max_tokens: DEFAULT_MAX_TOKENS,
    messages,
    stream: request.stream,
  };

  const tools = encodeTools(request.tools, toolSlots);
  if (tools.length > 0) body.tools = tools;
  const toolChoice = encodeToolChoice(request, tools.length > 0);
  if (toolChoice) body.tool_choice = toolChoice;

  const outputConfig: Json = { ...(outputRest as Json | undefined) };
  const plan = planThinking(
    request,
    thinkingRest as Json | undefined,
    outputConfig.effort !== undefined,
    context,
  );
  dropImpossibleThinking(plan, toolChoice, messages, context);
  if (plan.thinking) body.thinking = plan.thinking as AnthropicRequest["thinking"];
  if (plan.effort && outputConfig.effort === undefined) outputConfig.effort = plan.effort;
  body.max_tokens = maxTokens(request, plan, context);
  encodeSampling(request, body, context);
  if (request.stopSequences !== undefined) body.stop_sequences = request.stopSequences;

  encodeFormat(request, outputConfig, system, context);
  if (Object.keys(outputConfig).length > 0) body.output_config = outputConfig;
  const systemBlocks = interleave(system, systemOpaque) as AnthropicTextBlock[];
  if (systemBlocks.length > 0) body.system = systemBlocks;

  const metadata: Json = { ...(metadataRest as Json | undefined) };
  if (request.user !== undefined) metadata.user_id = request.user;
  if (Object.keys(metadata).length > 0) body.metadata = metadata;
  warnLosses(tally, context);
  return body;
}

/** Turns thinking off where Anthropic would refuse it: with a forced tool call, or mid tool loop. */
function dropImpossibleThinking(
  plan: ThinkingPlan,
  toolChoice: AnthropicToolChoice | undefined,
  messages: AnthropicMessageParam[],
  context: EncodeContext,
): void {
  const thinks = plan.thinking?.type === "enabled" || plan.thinking?.type === "adaptive";
  if (thinks && (toolChoice?.type === "any" || toolChoice?.type === "tool")) {
    context.warn(
      "reasoning",
      "Anthropic cannot think while a tool call is forced; thinking is off",
    );
    plan.thinking = plan.budget = plan.effort = undefined;
  } else if (thinks && toolLoopWithoutThinking(messages)) {
    context.warn(
      "reasoning",
      "the last assistant turn has no Anthropic thinking before its tool calls; thinking is off",
    );
    plan.thinking = plan.budget = plan.effort = undefined;
  }
}

/** `max_tokens`, raised above the thinking budget (Anthropic counts thinking in it). */
function maxTokens(request: CanonicalRequest, plan: ThinkingPlan, context: EncodeContext): number {
  const asked = request.maxOutputTokens ?? DEFAULT_MAX_TOKENS;
  if (plan.budget === undefined || asked > plan.budget) return asked;
  const raised = plan.budget + asked;
  if (request.maxOutputTokens !== undefined) {
    context.warn("max_tokens", `raised from ${asked} to ${raised} to fit the thinking budget`);
  }
  return raised;
}

/** Temperature, top_k and top_p, as far as Anthropic takes them (less while thinking). */
function encodeSampling(
  request: CanonicalRequest,
  body: AnthropicRequest,
  context: EncodeContext,
): void {
  const on = body.thinking !== undefined && body.thinking.type !== "disabled";
  if (request.temperature !== undefined) {
    if (on && request.temperature !== 1) {
      context.warn("temperature", "Anthropic takes none while thinking");
    } else body.temperature = request.temperature;
  }
  if (request.topK !== undefined) {
    if (on) context.warn("top_k", "Anthropic takes none while thinking");
    else body.top_k = request.topK;
  }
  if (request.topP !== undefined) {
    if (on && request.topP < 0.95) {
      context.warn("top_p", "Anthropic takes only 0.95 to 1 while thinking");
    } else if (body.temperature !== undefined) {
      context.warn("top_p", "Anthropic takes temperature or top_p, not both; temperature kept");
    } else body.top_p = request.topP;
  }
}

/** A JSON schema goes in `output_config.format`; plain JSON mode is asked for in the system. */
function encodeFormat(
  request: CanonicalRequest,
  outputConfig: Json,
  system: AnthropicTextBlock[],
  context: EncodeContext,
): void {
  const format = request.responseFormat;
  if (format?.type === "json-schema") {
    outputConfig.format = { type: "json_schema", schema: format.schema };
  } else if (format?.type === "json") {
    context.warn("response_format", "JSON mode is asked for in the system prompt");
    system.push({ type: "text", text: JSON_INSTRUCTION });
  }
}

function warnLosses(tally: Tally, context: EncodeContext): void {
  if (tally.reasoning > 0) {
    context.warn(
      "reasoning",
      `${tally.reasoning} reasoning part(s) not signed by Anthropic left out`,
    );
  }
  if (tally.assistantFiles > 0) {
    context.warn("messages", `${tally.assistantFiles} file(s) in assistant turns left out`);
  }
  if (tally.badArguments > 0) {
    context.warn(
      "messages",
      `${tally.badArguments} tool call(s) with arguments that are not a JSON object sent as {}`,
    );
  }
  if (tally.movedSystem > 0) {
    context.warn(
      "messages",
      "system messages from the middle of the conversation joined the top-level system",
    );
  }
}
