/**
 * @module
 * What a Chat Completions request loses on its way to another dialect: what
 * decode-request kept because subgate does not know its type. Content parts
 * and tools of such types are dropped with a warning. A tool choice or a
 * response format of such a type would change the answer, and so would a
 * tool call of such a type in the history (its result would answer a call
 * the target never saw): those are refused.
 */
import type { Message } from "../../ir/message.ts";
import type { CanonicalRequest } from "../../ir/request.ts";
import { apiError } from "../../errors/api-error.ts";
import type { EncodeContext } from "../codec.ts";
import { keptPartCount } from "../kept-parts.ts";
import type {
  ChatMessageLayout,
  ChatPartLayout,
  ChatRequestLayout,
  ChatUnknown,
} from "./wire-types.ts";

const DIALECT = "openai-chat";

function refuse(field: string, what: ChatUnknown, problem: string): never {
  throw apiError("invalid_request", `${field}: ${JSON.stringify(what.type)} ${problem}`);
}

export function leaveDialect(request: CanonicalRequest, context: EncodeContext): void {
  const layout = request.providerData?.[DIALECT] as ChatRequestLayout | undefined;
  if (layout?.toolChoice) {
    refuse("tool_choice", layout.toolChoice, "cannot be asked of this model's upstream");
  }
  if (layout?.responseFormat) {
    refuse("response_format", layout.responseFormat, "cannot be asked of this model's upstream");
  }
  for (const message of request.messages) {
    const call = (message.providerData?.[DIALECT] as ChatMessageLayout | undefined)?.toolCalls;
    if (call?.length) {
      refuse("tool_calls", call[0].call, "tool calls cannot be sent to this model's upstream");
    }
  }
  for (const { tool } of layout?.tools ?? []) {
    context.warn("tools", `tool type ${JSON.stringify(tool.type)} dropped`);
  }
  let parts = layout?.system?.reduce((sum, entry) => sum + (entry.kept?.length ?? 0), 0) ?? 0;
  parts += request.system.reduce((sum, part) => sum + keptPartCount(part, DIALECT), 0);
  for (const message of request.messages) parts += keptParts(message);
  if (parts > 0) {
    context.warn("content", `${parts} content part(s) of a type subgate does not know dropped`);
  }
}

/** How many content parts of unknown types a message keeps. */
function keptParts(message: Message): number {
  let count = (message.providerData?.[DIALECT] as ChatMessageLayout | undefined)?.kept?.length ?? 0;
  for (const part of message.content) {
    count += keptPartCount(part, DIALECT);
    if (part.type === "tool-result") {
      count += (part.providerData?.[DIALECT] as ChatPartLayout | undefined)?.kept?.length ?? 0;
      if (typeof part.content !== "string") {
        for (const inner of part.content) count += keptPartCount(inner, DIALECT);
      }
    }
  }
  return count;
}
