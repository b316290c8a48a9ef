/**
 * @module
 * Anthropic's `POST /v1/messages/count_tokens`: the request is a Messages
 * request without sampling, limits or metadata, the answer `{input_tokens}`.
 */
import type { CountCodec } from "../codec.ts";
import { decodeRequest } from "./decode-request.ts";
import { encodeRequest } from "./encode-request.ts";

export const count: CountCodec = {
  // A count request carries no max_tokens, which a Messages request requires.
  decodeRequest: (body, context) =>
    decodeRequest(body.max_tokens === undefined ? { ...body, max_tokens: 1 } : body, context),
  encodeResponse: (tokens) => ({ input_tokens: tokens }),
  encodeRequest(request, context) {
    const {
      max_tokens: _max,
      stream: _stream,
      temperature: _temperature,
      top_p: _topP,
      top_k: _topK,
      stop_sequences: _stop,
      metadata: _metadata,
      ...prompt
    } = encodeRequest(request, context);
    return prompt;
  },
  decodeResponse: (body) => Number((body as { input_tokens?: unknown } | null)?.input_tokens),
};
