/**
 * @module
 * The OpenAI Chat Completions dialect (`POST /v1/chat/completions`): OpenAI
 * clients on the client side; Copilot, Kimi, Qwen and other OpenAI-compatible
 * servers on the upstream side.
 */
import type { DialectCodec } from "../codec.ts";
import { encodeError } from "./encode-error.ts";
import { formatSse } from "../../sse/parse-sse.ts";
import { decodeError } from "./decode-error.ts";
import { decodeRequest } from "./decode-request.ts";
import { decodeResponse } from "./decode-response.ts";
import { createStreamDecoder } from "./decode-stream.ts";
import { encodeRequest } from "./encode-request.ts";
import { encodeResponse } from "./encode-response.ts";
import { leaveDialect } from "./leave-dialect.ts";
import { createStreamEncoder } from "./encode-stream.ts";

export const codec: DialectCodec = {
  id: "openai-chat",
  errorFormat: "openai",
  decodeRequest,
  encodeResponse,
  createStreamEncoder,
  encodeRequest,
  decodeResponse,
  createStreamDecoder,
  decodeError,
  encodeError,
  // Chat clients wait for `[DONE]` after an error chunk too (as vLLM and OpenRouter send it).
  streamError: (error) => formatSse(JSON.stringify(encodeError(error))) + "data: [DONE]\n\n",
  leaveDialect,
};
