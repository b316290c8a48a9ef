/**
 * @module
 * The Anthropic Messages dialect (`POST /v1/messages`, SSE with `event:`
 * names): Anthropic clients (Claude Code, the Anthropic SDKs) on the client
 * side; the Anthropic API and Claude subscriptions on the upstream side.
 */
import type { DialectCodec } from "../codec.ts";
import { count } from "./count-tokens.ts";
import { encodeError } from "./encode-error.ts";
import { formatSse } from "../../sse/parse-sse.ts";
import { decodeError } from "./decode-error.ts";
import { decodeRequest } from "./decode-request.ts";
import { decodeResponse } from "./decode-response.ts";
import { createStreamDecoder } from "./decode-stream.ts";
import { encodeRequest } from "./encode-request.ts";
import { encodeResponse, FOREIGN_PREFIX } from "./encode-response.ts";
import { createStreamEncoder } from "./encode-stream.ts";
import { leaveDialect } from "./leave-dialect.ts";

export const codec: DialectCodec = {
  id: "anthropic",
  errorFormat: "anthropic",
  decodeRequest,
  encodeResponse,
  createStreamEncoder,
  encodeRequest,
  decodeResponse,
  createStreamDecoder,
  decodeError,
  count,
  encodeError,
  streamError: (error) => formatSse(JSON.stringify(encodeError(error)), "error"),
  leaveDialect,
  // Another provider's reasoning, wrapped by subgate for the client, must not reach Anthropic.
  needsTranslation: (rawBody) => rawBody.includes(FOREIGN_PREFIX),
};
