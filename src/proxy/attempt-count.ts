/**
 * @module
 * A token count on one account: counted by the upstream in its own dialect
 * when it can count (the client's count request translated into the
 * upstream's count request, the number back into the client's answer), or
 * else answered by the local estimate (`estimate-tokens.ts`). A count going
 * to an upstream of the client's own dialect passes through like any request
 * (`attempt-passthrough.ts`).
 */
import { CODECS } from "../dialects/registry.ts";
import { readJson, readText } from "../http/read-upstream.ts";
import { type Attempt, failed, limitsOf, type Prepared, send } from "./attempt.ts";
import { estimateInputTokens } from "./estimate-tokens.ts";
import { translationHeaders } from "./forward-headers.ts";
import { checkTranslatable } from "./json-problem.ts";
import type { Resolved } from "./resolve-model.ts";

/** Whether this account's upstream can count tokens in a dialect subgate can ask it in. */
export function upstreamCounts(resolved: Resolved): boolean {
  return resolved.upstream.countsTokens && CODECS[resolved.upstream.dialect].count !== undefined;
}

/** The client's answer for `tokens`. */
function answer(prepared: Prepared, tokens: number): Attempt {
  const client = CODECS[prepared.input.dialect].count!;
  return { ok: true, response: Response.json(client.encodeResponse(tokens)) };
}

export function estimated(prepared: Prepared): Attempt {
  return answer(prepared, estimateInputTokens(prepared.canonical));
}

export async function countAcross(prepared: Prepared, resolved: Resolved): Promise<Attempt> {
  const { input, canonical, context } = prepared;
  checkTranslatable(input.body);
  const target = CODECS[resolved.upstream.dialect];
  const encoded = target.count!.encodeRequest(canonical, {
    model: resolved.upstreamModel,
    warn: () => {},
  });
  const body = resolved.upstream.prepareBody?.(encoded, { model: resolved.upstreamModel }) ??
    encoded;
  const call = await resolved.upstream.target({
    model: resolved.upstreamModel,
    stream: false,
    action: "count-tokens",
    headers: translationHeaders(input.request.headers),
    query: new URLSearchParams(),
  });
  const upstream = await send(call.url, {
    method: "POST",
    headers: call.headers,
    body: JSON.stringify(body),
    signal: input.request.signal,
  }, context.config().upstreamTimeout);
  if (!(upstream instanceof Response)) return failed(upstream);
  context.hooks?.answered?.(resolved.account, upstream.status, upstream.headers);
  if (!upstream.ok) {
    const text = await readText(upstream, limitsOf(prepared).body);
    if (typeof text !== "string") return failed(text);
    const error = target.decodeError(upstream.status, text, upstream.headers);
    return failed(error, { status: upstream.status, headers: upstream.headers });
  }
  const read = await readJson(upstream, limitsOf(prepared).body);
  if (!read.ok) return failed(read.error);
  const tokens = target.count!.decodeResponse(resolved.upstream.unwrap?.(read.value) ?? read.value);
  if (!Number.isFinite(tokens)) {
    return failed({
      kind: "api_error",
      status: 502,
      message: "The upstream's count had no number.",
    });
  }
  return answer(prepared, tokens);
}
