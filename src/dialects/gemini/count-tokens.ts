/**
 * @module
 * Gemini's `:countTokens`: the request is a generateContent request, bare or
 * wrapped as `{generateContentRequest}`; the answer `{totalTokens}`.
 */
import type { CountCodec } from "../codec.ts";
import { decodeRequest } from "./decode-request.ts";
import { encodeRequest } from "./encode-request.ts";

export const count: CountCodec = {
  decodeRequest(body, context) {
    const wrapped = body.generateContentRequest;
    const inner = wrapped && typeof wrapped === "object" && !Array.isArray(wrapped)
      ? wrapped as Record<string, unknown>
      : body;
    return decodeRequest(inner, context);
  },
  encodeResponse: (tokens) => ({ totalTokens: tokens }),
  encodeRequest: (request, context) => ({
    generateContentRequest: {
      model: `models/${context.model}`,
      ...encodeRequest(request, context),
    },
  }),
  decodeResponse: (body) => Number((body as { totalTokens?: unknown } | null)?.totalTokens),
};
