/**
 * @module
 * An attempt where client and upstream speak the same dialect: the body goes
 * up untouched but for the model (and any fields the upstream itself
 * demands), and the answer comes back as the upstream sent it, piped (a
 * stream watched for a break), a plain answer read within its bound.
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
import { forwardedQuery, passthroughHeaders, responseHeaders } from "./forward-headers.ts";
import { peekStream } from "./peek-stream.ts";
import { readBounded, readText } from "../http/read-upstream.ts";
import { watchedStream } from "./watch-stream.ts";
import { createUsageTap } from "./stream-usage.ts";
import type { Resolved } from "./resolve-model.ts";
import { setTopLevelString } from "./rewrite-model.ts";

/** Same dialect both sides: the body goes up untouched but for the model, the answer comes back as sent. */
export async function passthrough(
  prepared: Prepared,
  resolved: Resolved,
  onFault: OnFault,
): Promise<Attempt> {
  const { input, body } = prepared;
  const { upstream: via } = resolved;
  const counting = input.action === "count-tokens";
  const clientStreams = !counting && (input.stream ?? body.stream === true);
  const collect = !counting && via.streamsOnly === true && !clientStreams;
  let text = input.body;
  if (via.prepareBody) {
    // The upstream demands fields of its own: the body is rebuilt, the client's fields kept.
    const named = input.model === undefined ? { model: resolved.upstreamModel } : {};
    text = JSON.stringify(
      via.prepareBody({ ...body, ...named }, { model: resolved.upstreamModel }),
    );
  } else if (input.model === undefined && resolved.upstreamModel !== body.model) {
    text = setTopLevelString(text, "model", resolved.upstreamModel) ??
      JSON.stringify({ ...body, model: resolved.upstreamModel });
  }
  const target = await via.target({
    model: resolved.upstreamModel,
    stream: clientStreams || collect,
    action: input.action,
    headers: passthroughHeaders(input.request.headers),
    query: forwardedQuery(input.request.url),
    turn: turnOf(prepared.canonical),
  });
  const upstream = await send(target.url, {
    method: "POST",
    headers: target.headers,
    body: text,
    signal: input.request.signal,
  }, prepared.context.config().upstreamTimeout);
  if (!(upstream instanceof Response)) return failed(upstream);
  prepared.context.hooks?.answered?.(resolved.account, upstream.status, upstream.headers);
  if (upstream.ok && collect) {
    return await collected(
      prepared,
      upstreamDecoder(resolved),
      input.dialect,
      upstream,
      prepared.canonical,
    );
  }
  if (upstream.ok) return await answered(prepared, upstream, via, clientStreams, onFault);
  // The error is already in the client's dialect: read it to judge it, hand it over as sent.
  const errorText = await readText(upstream, limitsOf(prepared).body);
  if (typeof errorText !== "string") return failed(errorText);
  return {
    ok: false,
    error: CODECS[input.dialect].decodeError(upstream.status, errorText, upstream.headers),
    answer: { status: upstream.status, headers: upstream.headers },
    handover: () =>
      new Response(errorText, {
        status: upstream.status,
        headers: responseHeaders(upstream.headers),
      }),
  };
}

/** A successful answer handed over: a stream as it comes (watched for a break), a plain body whole. */
async function answered(
  prepared: Prepared,
  upstream: Response,
  via: Resolved["upstream"],
  clientStreams: boolean,
  onFault: OnFault,
): Promise<Attempt> {
  const codec = CODECS[prepared.input.dialect];
  const recorder = prepared.recorder;
  if (!clientStreams) {
    // A plain answer is small and whole: handing over its bytes is cheaper for Deno's server
    // than piping a stream; it is read within upstream-body-limit.
    const payload = await readBounded(upstream, limitsOf(prepared).body);
    if (!(payload instanceof Uint8Array)) return failed(payload);
    // Its usage is decoded from the bytes in hand, after the answer left, and only for a record.
    const generated = recorder && prepared.input.action === "generate";
    return {
      ok: true,
      response: new Response(payload, {
        status: upstream.status,
        headers: responseHeaders(upstream.headers),
      }),
      usage: generated
        ? () => codec.decodeResponse(JSON.parse(new TextDecoder().decode(payload))).usage
        : undefined,
    };
  }
  let body: ReadableStream<Uint8Array> | null = upstream.body;
  if (via.errorsInStream && body) {
    const peeked = await peekStream(body, codec.createStreamDecoder(), limitsOf(prepared).event);
    const answer = () =>
      new Response(peeked.stream, {
        status: upstream.status,
        headers: responseHeaders(upstream.headers),
      });
    // The client would see the upstream's own error event; another account may do better.
    if (peeked.error) return { ok: false, error: peeked.error, handover: answer };
    body = peeked.stream;
  }
  const watched = body &&
    watchedStream(
      body,
      onFault,
      (reason) => codec.streamError({ kind: "api_error", status: 502, message: reason }),
      recorder
        ? {
          tap: createUsageTap(() => codec.createStreamDecoder(), limitsOf(prepared).event),
          onEnd: recorder.onStreamEnd,
        }
        : {},
    );
  return {
    ok: true,
    response: new Response(watched, {
      status: upstream.status,
      headers: responseHeaders(upstream.headers),
    }),
    streamed: watched !== null,
  };
}
