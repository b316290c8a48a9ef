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
  limitsOf,
  type OnFault,
  type Prepared,
  send,
  turnOf,
  upstreamDecoder,
} from "./attempt.ts";
import { type ApiError, ApiErrorException } from "../errors/api-error.ts";
import { readJson, readText } from "../http/read-upstream.ts";
import { checkTranslatable } from "./json-problem.ts";
import { translationHeaders } from "./forward-headers.ts";
import { peekStream } from "./peek-stream.ts";
import type { Resolved } from "./resolve-model.ts";
import { translateStream } from "./translate-stream.ts";

export async function translate(
  prepared: Prepared,
  resolved: Resolved,
  onFault: OnFault,
): Promise<Attempt> {
  const { input, model, canonical, context } = prepared;
  // Translation walks the request recursively; passthrough never does, so it is checked here.
  checkTranslatable(input.body);
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
  context.hooks?.answered?.(resolved.account, upstream.status, upstream.headers);
  const limits = limitsOf(prepared);
  if (!upstream.ok) {
    const text = await readText(upstream, limits.body);
    if (typeof text !== "string") return failed(text);
    const error = target.decodeError(upstream.status, text, upstream.headers);
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
      const peeked = await peekStream(body, upstreamDecoder(resolved), limits.event);
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
          { maxEvent: limits.event, onFault, onEnd: prepared.recorder?.onStreamEnd },
        ),
        {
          headers: {
            "content-type": "text/event-stream; charset=utf-8",
            "cache-control": "no-cache",
          },
        },
      ),
      streamed: prepared.recorder !== undefined,
    };
  }
  const json = await readJson(upstream, limits.body);
  if (!json.ok) return failed(json.error);
  let answer;
  try {
    answer = target.decodeResponse(resolved.upstream.unwrap?.(json.value) ?? json.value);
  } catch (error) {
    // An answer its own dialect cannot read is the upstream's fault: another account may do better.
    if (error instanceof ApiErrorException) return failed(error.error);
    throw error;
  }
  // An answer that is itself a failure (a Responses `failed` status) is an error for the client.
  const failure = answer.providerData?.[target.id]?.error as ApiError | undefined;
  if (answer.stopReason === "error" && failure?.kind) return failed(failure);
  answer.model = model;
  return {
    ok: true,
    response: Response.json(client.encodeResponse(answer, canonical)),
    usage: answer.usage,
  };
}
