/**
 * @module
 * The one table of dialects. A fifth dialect is a folder plus a line here.
 */
import type { DialectCodec, DialectId } from "./codec.ts";
import { codec as anthropic } from "./anthropic/index.ts";
import { codec as openaiChat } from "./openai-chat/index.ts";
import { codec as openaiResponses } from "./openai-responses/index.ts";
import { codec as gemini } from "./gemini/index.ts";

export const CODECS: Readonly<Record<DialectId, DialectCodec>> = {
  anthropic,
  "openai-chat": openaiChat,
  "openai-responses": openaiResponses,
  gemini,
};
