/**
 * @module
 * The Gemini `generateContent` dialect (`/v1beta/models/{model}:generateContent`
 * and `:streamGenerateContent?alt=sse`). The Code Assist `v1internal`
 * envelope (`{"response": …}`) belongs to the provider, not here.
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
import { encodeResponse } from "./encode-response.ts";
import { createStreamEncoder } from "./encode-stream.ts";
import { leaveDialect } from "./leave-dialect.ts";

export const codec: DialectCodec = {
  id: "gemini",
  errorFormat: "gemini",
  decodeRequest,
  encodeResponse,
  createStreamEncoder,
  encodeRequest,
  decodeResponse,
  createStreamDecoder,
  decodeError,
  count,
  encodeError,
  streamError: (error) => formatSse(JSON.stringify(encodeError(error))),
  leaveDialect,
};
