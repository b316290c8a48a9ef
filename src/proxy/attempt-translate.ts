/**
 * @module
 * An attempt across dialects: the client's request goes through the
 * canonical model into the upstream's dialect, and the answer (or its
 * stream, in one stage) comes back into the client's.
 */
import { CODECS } from "../dialects/registry.ts";
import {
  type Attempt,
  collected,
  failed,
  type Prepared,
  send,
  turnOf,
  upstreamDecoder,
} from "./attempt.ts";
import { type ApiError, apiError } from "../server/api-error.ts";
import { MAX_JSON_DEPTH, nestsDeeperThan } from "./json-problem.ts";
import { translationHeaders } from "./forward-headers.ts";
import { peekStream } from "./peek-stream.ts";
import type { Resolved } from "./resolve-model.ts";
import { translateStream } from "./translate-stream.ts";

export async function translate(prepared: Prepared, resolved: Resolved): Promise<Attempt> {
  const { input, model, canonical, context } = prepared;
  // Translation walks the request recursively; passthrough never does, so it is checked here.
  if (nestsDeeperThan(input.body, MAX_JSON_DEPTH)) {
    throw apiError(
      "invalid_request",
      `The request body nests objects and arrays more than ${MAX_JSON_DEPTH} levels deep; ` +
        "subgate translates requests up to that depth.",
    );
  }
  const client = CODECS[input.dialect];
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
  // Only another dialect loses what the client's dialect kept; the same one (Code Assist's
  // wrapped Gemini, an Anthropic body with a foreign signature) gets it all back.
  if (target.id !== client.id) client.leaveDialect?.(canonical, encodeContext);
  const collect = resolved.upstream.streamsOnly === true && !canonical.stream;
  const encoded = target.encodeRequest(
    collect ? { ...canonical, stream: true } : canonical,
    encodeContext,
  );
  const upstreamBody =
    resolved.upstream.prepareBody?.(encoded, { model: resolved.upstreamModel }) ??
      encoded;
  const call = await resolved.upstream.target({
    model: resolved.upstreamModel,
    stream: canonical.stream || collect,
    action: "generate",
    headers: translationHeaders(input.request.headers),
    query: new URLSearchParams(),
    turn: turnOf(canonical),
  });
  const upstream = await send(call.url, {
    method: "POST",
    headers: call.headers,
    body: JSON.stringify(upstreamBody),
    signal: input.request.signal,
  }, context.config().upstreamTimeout);
  if (!(upstream instanceof Response)) return failed(upstream);
  if (!upstream.ok) {
    const error = target.decodeError(upstream.status, await upstream.text(), upstream.headers);
    return failed(error, { status: upstream.status, headers: upstream.headers });
  }
  if (collect) {
    return await collected(prepared, upstreamDecoder(resolved), target.id, upstream, canonical);
  }
  if (canonical.stream) {
    if (!upstream.body) {
      return failed({ kind: "api_error", status: 502, message: "The upstream sent no stream." });
    }
    let body: ReadableStream<Uint8Array> | null = upstream.body;
    if (resolved.upstream.errorsInStream) {
      const peeked = await peekStream(body, upstreamDecoder(resolved));
      if (peeked.error) {
        await peeked.stream.cancel();
        return failed(peeked.error);
      }
      body = peeked.stream;
    }
    return {
      ok: true,
      response: new Response(
        translateStream(
          body,
          upstreamDecoder(resolved),
          client.createStreamEncoder(canonical),
          target.id,
        ),
        {
          headers: {
            "content-type": "text/event-stream; charset=utf-8",
            "cache-control": "no-cache",
          },
        },
      ),
    };
  }
  const json = await upstream.json();
  const answer = target.decodeResponse(resolved.upstream.unwrap?.(json) ?? json);
  // An answer that is itself a failure (a Responses `failed` status) is an error for the client.
  const failure = answer.providerData?.[target.id]?.error as ApiError | undefined;
  if (answer.stopReason === "error" && failure?.kind) return failed(failure);
  answer.model = model;
  return { ok: true, response: Response.json(client.encodeResponse(answer, canonical)) };
}
