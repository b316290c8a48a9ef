/**
 * @module
 * The Responses API answers errors in OpenAI's one shape, as Chat Completions does.
 */
export { encodeError, type OpenAIErrorBody } from "../openai-chat/encode-error.ts";
