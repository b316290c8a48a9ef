/**
 * @module
 * The generic pipeline for every generation endpoint: parse the client's
 * body, pick the account, then either pass the request through untouched
 * (same dialect both sides) or translate it through the canonical model, and
 * the answer back. Nothing here knows a provider; upstreams and codecs do.
 */
import type { DecodeContext, DialectCodec, DialectId } from "../dialects/codec.ts";
import { CODECS } from "../dialects/registry.ts";
import type { Logger } from "../log/logger.ts";
import { type ApiError, apiError, ApiErrorException } from "../server/api-error.ts";
import type { Account } from "../store/account.ts";
import type { UpstreamAction } from "../upstreams/upstream.ts";
import { passthroughHeaders, responseHeaders, translationHeaders } from "./forward-headers.ts";
import { resolveModel } from "./resolve-model.ts";
import { setTopLevelString } from "./rewrite-model.ts";
import { translateStream } from "./translate-stream.ts";

export interface GenerateInput {
  dialect: DialectId;
  request: Request;
  /** The raw body, exactly as the client sent it. */
  body: string;
  action: UpstreamAction;
  /** From the URL, for Gemini. */
  model?: string;
  stream?: boolean;
}

export interface PipelineContext {
  accounts(): readonly Account[];
  log: Logger;
}

export function parseBody(body: string): Record<string, unknown> {
  let parsed: unknown;
  try {
    parsed = JSON.parse(body);
  } catch (error) {
    const detail = (error as Error).message.replace(/^Unexpected token.*?,\s*/, "");
    throw apiError("invalid_request", `The request body is not valid JSON (${detail}).`);
  }
  if (!parsed || typeof parsed !== "object" || Array.isArray(parsed)) {
    throw apiError("invalid_request", "The request body must be a JSON object.");
  }
  return parsed as Record<string, unknown>;
}

function modelOf(input: GenerateInput, body: Record<string, unknown>): string {
  if (input.model !== undefined) return input.model;
  if (typeof body.model !== "string" || body.model.trim() === "") {
    throw apiError("invalid_request", "model: required, a non-empty string naming the model.");
  }
  return body.model;
}

async function callUpstream(url: string, init: RequestInit): Promise<Response> {
  try {
    return await fetch(url, init);
  } catch (error) {
    if ((error as Error).name === "AbortError") throw error;
    throw apiError("api_error", `Could not reach the upstream: ${(error as Error).message}`, {
      status: 502,
    });
  }
}

/** Same dialect both sides: the body goes up untouched but for the model, the answer comes back as sent. */
async function passthrough(
  input: GenerateInput,
  model: string,
  resolved: ReturnType<typeof resolveModel>,
  body: Record<string, unknown>,
): Promise<Response> {
  let text = input.body;
  if (input.model === undefined && resolved.upstreamModel !== model) {
    text = setTopLevelString(text, "model", resolved.upstreamModel) ??
      JSON.stringify({ ...body, model: resolved.upstreamModel });
  }
  const target = resolved.upstream.target({
    model: resolved.upstreamModel,
    stream: input.stream ?? body.stream === true,
    action: input.action,
    headers: passthroughHeaders(input.request.headers),
    query: new URL(input.request.url).searchParams,
  });
  const upstream = await callUpstream(target.url, {
    method: "POST",
    headers: target.headers,
    body: text,
    signal: input.request.signal,
  });
  return new Response(upstream.body, {
    status: upstream.status,
    headers: responseHeaders(upstream.headers),
  });
}

async function upstreamError(codec: DialectCodec, response: Response): Promise<never> {
  const text = await response.text();
  throw new ApiErrorException(codec.decodeError(response.status, text, response.headers));
}

export async function handleGenerate(
  input: GenerateInput,
  context: PipelineContext,
): Promise<Response> {
  const body = parseBody(input.body);
  const model = modelOf(input, body);
  const client = CODECS[input.dialect];
  const decodeContext: DecodeContext = { model: input.model, stream: input.stream };
  const resolved = resolveModel(context.accounts(), model);
  if (resolved.upstream.dialect === input.dialect && !client.needsTranslation?.(input.body)) {
    // Validate as the client's dialect, so a malformed request fails here in its own terms.
    client.decodeRequest(body, decodeContext);
    return await passthrough(input, model, resolved, body);
  }

  const canonical = client.decodeRequest(body, decodeContext);
  const target = CODECS[resolved.upstream.dialect];
  const encodeContext = {
    model: resolved.upstreamModel,
    warn: (field: string, detail: string) =>
      context.log.warn("field dropped in translation", {
        from: input.dialect,
        to: target.id,
        field,
        detail,
      }),
  };
  client.leaveDialect?.(canonical, encodeContext);
  const upstreamBody = target.encodeRequest(canonical, encodeContext);
  const call = resolved.upstream.target({
    model: resolved.upstreamModel,
    stream: canonical.stream,
    action: "generate",
    headers: translationHeaders(input.request.headers),
    query: new URLSearchParams(),
  });
  const upstream = await callUpstream(call.url, {
    method: "POST",
    headers: call.headers,
    body: JSON.stringify(upstreamBody),
    signal: input.request.signal,
  });
  if (!upstream.ok) return await upstreamError(target, upstream);

  if (canonical.stream) {
    if (!upstream.body) {
      throw apiError("api_error", "The upstream sent no stream.", { status: 502 });
    }
    return new Response(
      translateStream(
        upstream.body,
        target.createStreamDecoder(),
        client.createStreamEncoder(canonical),
        target.id,
      ),
      {
        headers: {
          "content-type": "text/event-stream; charset=utf-8",
          "cache-control": "no-cache",
        },
      },
    );
  }
  const answer = target.decodeResponse(await upstream.json());
  // An answer that is itself a failure (a Responses `failed` status) is an error for the client.
  const failure = answer.providerData?.[target.id]?.error as ApiError | undefined;
  if (answer.stopReason === "error" && failure?.kind) throw new ApiErrorException(failure);
  answer.model = model;
  return Response.json(client.encodeResponse(answer, canonical));
}
