/**
 * @module
 * The OpenAI Responses API dialect (`/v1/responses`; also what the ChatGPT
 * Codex backend speaks): one codec for the client side and the upstream side.
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
import { createStreamEncoder } from "./encode-stream.ts";
import { leaveDialect } from "./leave-dialect.ts";

export const codec: DialectCodec = {
  id: "openai-responses",
  errorFormat: "openai",
  decodeRequest,
  encodeResponse,
  createStreamEncoder,
  encodeRequest,
  decodeResponse,
  createStreamDecoder,
  decodeError,
  encodeError,
  streamError: (error) => {
    const wire = (encodeError(error) as { error: { type: string; code: string | null } })
      .error;
    return formatSse(
      JSON.stringify({
        type: "error",
        code: wire.code ?? wire.type,
        message: error.message,
        param: null,
      }),
      "error",
    );
  },
  leaveDialect,
};
