/**
 * @module
 * `POST /v1/messages/count_tokens` and Gemini's `:countTokens`: the upstream
 * counts when it can (Anthropic and Gemini upstreams have endpoints for it);
 * otherwise subgate answers with its local estimate (`estimate-tokens.ts`).
 */
import type { DialectId } from "../dialects/codec.ts";
import { CODECS } from "../dialects/registry.ts";
import type { CanonicalRequest } from "../ir/request.ts";
import { apiError, ApiErrorException, withModel } from "../errors/api-error.ts";
import { translationHeaders } from "./forward-headers.ts";
import type { GenerateInput, PipelineContext } from "./handle-generate.ts";
import { handleGenerate, modelName, parseBody } from "./handle-generate.ts";
import { estimateInputTokens } from "./estimate-tokens.ts";
import { modelOf, send } from "./attempt.ts";
import { checkTranslatable } from "./json-problem.ts";
import { readJson, readText } from "../http/read-upstream.ts";
import { resolveModel } from "./resolve-model.ts";

/** The count-request body and the count answer, for the dialects that count. */
const COUNTING: Partial<
  Record<DialectId, {
    body(encoded: Record<string, unknown>, model: string): unknown;
    read(answer: Record<string, unknown>): number;
    answer(tokens: number): unknown;
  }>
> = {
  anthropic: {
    // count_tokens takes the prompt only: no sampling, limits or metadata.
    body: (encoded) => {
      const {
        max_tokens: _max,
        stream: _stream,
        temperature: _temperature,
        top_p: _topP,
        top_k: _topK,
        stop_sequences: _stop,
        metadata: _metadata,
        ...rest
      } = encoded;
      return rest;
    },
    read: (answer) => Number(answer.input_tokens),
    answer: (tokens) => ({ input_tokens: tokens }),
  },
  gemini: {
    body: (encoded, model) => ({
      generateContentRequest: { model: `models/${model}`, ...encoded },
    }),
    read: (answer) => Number(answer.totalTokens),
    answer: (tokens) => ({ totalTokens: tokens }),
  },
};

/** The client's count request as a generation request its codec can decode. */
function asGenerateBody(
  dialect: DialectId,
  body: Record<string, unknown>,
): Record<string, unknown> {
  if (
    dialect === "gemini" && body.generateContentRequest &&
    typeof body.generateContentRequest === "object"
  ) {
    return body.generateContentRequest as Record<string, unknown>;
  }
  if (dialect === "anthropic" && body.max_tokens === undefined) return { ...body, max_tokens: 1 };
  return body;
}

export async function handleCountTokens(
  input: GenerateInput,
  context: PipelineContext,
): Promise<Response> {
  try {
    return await countTokens(input, context);
  } catch (error) {
    throw withModel(error, () => input.model ?? modelName(input.body));
  }
}

async function countTokens(input: GenerateInput, context: PipelineContext): Promise<Response> {
  const body = parseBody(input.body);
  const shape = COUNTING[input.dialect];
  if (!shape) throw apiError("not_found", `${input.dialect} has no token-counting endpoint.`);
  const model = modelOf(input, body);
  const resolved = resolveModel(
    context.accounts(),
    model,
    context.config().providers,
    input.dialect,
  );
  if (resolved.upstream.countsTokens && resolved.upstream.dialect === input.dialect) {
    return await handleGenerate({ ...input, action: "count-tokens" }, context);
  }
  checkTranslatable(input.body);
  const canonical: CanonicalRequest = CODECS[input.dialect].decodeRequest(
    asGenerateBody(input.dialect, body),
    { model: input.model, stream: false },
  );
  const upstreamShape = COUNTING[resolved.upstream.dialect];
  if (resolved.upstream.countsTokens && upstreamShape) {
    const target = CODECS[resolved.upstream.dialect];
    const encoded = target.encodeRequest(canonical, {
      model: resolved.upstreamModel,
      warn: () => {},
    });
    const call = await resolved.upstream.target({
      model: resolved.upstreamModel,
      stream: false,
      action: "count-tokens",
      headers: translationHeaders(input.request.headers),
      query: new URLSearchParams(),
    });
    const config = context.config();
    const fields = { provider: resolved.account.provider, account: resolved.account.label };
    const response = await send(call.url, {
      method: "POST",
      headers: call.headers,
      body: JSON.stringify(upstreamShape.body(encoded, resolved.upstreamModel)),
      signal: input.request.signal,
    }, config.upstreamTimeout);
    if (!(response instanceof Response)) throw new ApiErrorException(response, { fields });
    if (!response.ok) {
      const text = await readText(response, config.upstreamBodyLimit);
      const error = typeof text === "string"
        ? target.decodeError(response.status, text, response.headers)
        : text;
      throw new ApiErrorException(error, { fields });
    }
    const read = await readJson(response, config.upstreamBodyLimit);
    if (!read.ok) throw new ApiErrorException(read.error, { fields });
    return Response.json(shape.answer(upstreamShape.read(read.value as Record<string, unknown>)));
  }
  return Response.json(shape.answer(estimateInputTokens(canonical)));
}
