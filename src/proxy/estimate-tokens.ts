/**
 * @module
 * The local token estimate, used when the upstream cannot count: about four
 * characters per token over every text the model reads (system, messages,
 * tool calls and results, tool definitions), and 1,000 tokens per image or
 * document. An estimate, not a tokenizer; clients use it to size context.
 */
import type { CanonicalRequest } from "../ir/request.ts";

const CHARS_PER_TOKEN = 4;
const FILE_TOKENS = 1000;

export function estimateInputTokens(request: CanonicalRequest): number {
  let chars = 0;
  let files = 0;
  for (const part of request.system) chars += part.text.length;
  for (const message of request.messages) {
    for (const part of message.content) {
      switch (part.type) {
        case "text":
        case "reasoning":
          chars += part.text.length;
          break;
        case "file":
          files++;
          break;
        case "tool-call":
          chars += part.name.length + part.arguments.length;
          break;
        case "tool-result":
          if (typeof part.content === "string") chars += part.content.length;
          else {
            for (const item of part.content) {
              if (item.type === "text") chars += item.text.length;
              else files++;
            }
          }
          break;
      }
    }
  }
  for (const tool of request.tools) {
    chars += tool.name.length + (tool.description?.length ?? 0) +
      JSON.stringify(tool.parameters).length;
  }
  return Math.ceil(chars / CHARS_PER_TOKEN) + files * FILE_TOKENS;
}
