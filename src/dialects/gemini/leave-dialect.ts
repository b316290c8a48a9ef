/**
 * @module
 * What a Gemini request loses on its way to another dialect: built-in tools
 * (`googleSearch`, `codeExecution` …) and parts of kinds subgate does not know
 * are dropped with a warning; a function-calling mode subgate does not know
 * would change the answer, so it is refused.
 */
import type { CanonicalRequest } from "../../ir/request.ts";
import { apiError } from "../../errors/api-error.ts";
import type { EncodeContext } from "../codec.ts";
import { ORIGIN } from "./decode-response.ts";
import type { Json } from "../../ir/json.ts";

function count(list: unknown): number {
  return Array.isArray(list) ? list.length : 0;
}

export function leaveDialect(request: CanonicalRequest, context: EncodeContext): void {
  const data = (request.providerData?.[ORIGIN] ?? {}) as Json;
  const calling = data.functionCallingConfig as Json | undefined;
  if (calling) {
    throw apiError(
      "invalid_request",
      `toolConfig.functionCallingConfig.mode: ${JSON.stringify(calling.mode)} cannot be asked ` +
        "of this model's upstream.",
    );
  }
  for (const tool of Array.isArray(data.tools) ? data.tools as Json[] : []) {
    context.warn("tools", `built-in tool ${Object.keys(tool).join(", ")} dropped`);
  }
  let parts = count(data.systemKept);
  for (const message of request.messages) {
    parts += count(message.providerData?.[ORIGIN]?.kept);
    for (const part of message.content) {
      if (part.type === "tool-result") parts += count(part.providerData?.[ORIGIN]?.responseParts);
    }
  }
  if (parts > 0) {
    context.warn("contents", `${parts} part(s) of a kind subgate does not know dropped`);
  }
}
