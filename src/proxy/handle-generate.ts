/**
 * @module
 * The generic pipeline for every generation endpoint: parse and check the
 * client's body once, then try the model's accounts in the pool's order.
 * Each attempt either passes the request through untouched (same dialect both
 * sides) or translates it through the canonical model. A failure rests the
 * account and moves on, or ends the request when the request itself is at
 * fault. Nothing here knows a provider; upstreams and codecs do.
 */
import type { Config } from "../config/config-types.ts";
import type { DecodeContext, DialectId, StreamDecoder } from "../dialects/codec.ts";
import { CODECS } from "../dialects/registry.ts";
import type { CanonicalRequest } from "../ir/request.ts";
import type { Logger } from "../log/logger.ts";
import { classifyFailure } from "../pool/classify-failure.ts";
import { allResting, type Pool } from "../pool/pool.ts";
import { affinityKey } from "../pool/session-affinity.ts";
import { type ApiError, apiError, ApiErrorException } from "../server/api-error.ts";
import type { Account } from "../store/account.ts";
import type { UpstreamAction } from "../upstreams/upstream.ts";
import { passthroughHeaders, responseHeaders, translationHeaders } from "./forward-headers.ts";
import { candidatesFor, type Resolved, resolvedFor } from "./resolve-model.ts";
import { canRefresh, freshAccount } from "../auth/refresh/fresh-account.ts";
import { setTopLevelString } from "./rewrite-model.ts";
import { translateStream } from "./translate-stream.ts";
import { collectStream } from "./collect-stream.ts";
import { peekStream } from "./peek-stream.ts";

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
  config(): Config;
  pool: Pool;
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

/** The upstream's stream decoder, unwrapping each event first when the upstream wraps them. */
function upstreamDecoder(resolved: Resolved): StreamDecoder {
  const decoder = CODECS[resolved.upstream.dialect].createStreamDecoder();
  const unwrap = resolved.upstream.unwrap;
  if (!unwrap) return decoder;
  return {
    decode(event) {
      let data: unknown;
      try {
        data = JSON.parse(event.data);
      } catch {
        return decoder.decode(event);
      }
      return decoder.decode({ ...event, data: JSON.stringify(unwrap(data)) });
    },
    end: () => decoder.end(),
  };
}

/** Whether the last turn answers tool calls, and whether any image is in the request. */
function turnOf(request: CanonicalRequest): { toolResults: boolean; images: boolean } {
  const last = request.messages.at(-1);
  const toolResults = last?.role === "tool" ||
    (last?.role === "user" && last.content.some((part) => part.type === "tool-result"));
  const images = request.messages.some((message) =>
    message.content.some((part) => part.type === "file" && part.mediaType?.startsWith("image/"))
  );
  return { toolResults, images };
}

/** What one attempt on one account gave: the client's answer, or a failure to classify. */
type Attempt =
  | { ok: true; response: Response }
  | { ok: false; error: ApiError; headers?: Headers; respond(): Response | never };

interface Prepared {
  input: GenerateInput;
  model: string;
  body: Record<string, unknown>;
  canonical: CanonicalRequest;
  context: PipelineContext;
}

/**
 * One upstream call. It must start answering within the configured timeout, or it counts as a
 * failure (504) and the next account is tried; the client going away aborts it at any time.
 */
async function send(
  url: string,
  init: RequestInit & { signal: AbortSignal },
  timeoutSeconds: number,
): Promise<Response | ApiError> {
  const timeout = AbortSignal.timeout(timeoutSeconds * 1000);
  try {
    return await fetch(url, { ...init, signal: AbortSignal.any([init.signal, timeout]) });
  } catch (error) {
    if (init.signal.aborted) throw error;
    if (timeout.aborted) {
      return {
        kind: "api_error",
        status: 504,
        message: `The upstream did not start answering within ${timeoutSeconds} s.`,
      };
    }
    return {
      kind: "api_error",
      status: 502,
      message: `Could not reach the upstream: ${(error as Error).message}`,
    };
  }
}

function failed(error: ApiError, headers?: Headers): Extract<Attempt, { ok: false }> {
  return {
    ok: false,
    error,
    headers,
    respond: () => {
      throw new ApiErrorException(error);
    },
  };
}

/** Same dialect both sides: the body goes up untouched but for the model, the answer comes back as sent. */
async function passthrough(prepared: Prepared, resolved: Resolved): Promise<Attempt> {
  const { input, model, body } = prepared;
  const { upstream: via } = resolved;
  const clientStreams = input.stream ?? body.stream === true;
  const collect = via.streamsOnly === true && !clientStreams;
  let text = input.body;
  if (via.prepareBody) {
    // The upstream demands fields of its own: the body is rebuilt, the client's fields kept.
    const named = input.model === undefined ? { model: resolved.upstreamModel } : {};
    text = JSON.stringify(
      via.prepareBody({ ...body, ...named }, { model: resolved.upstreamModel }),
    );
  } else if (input.model === undefined && resolved.upstreamModel !== model) {
    text = setTopLevelString(text, "model", resolved.upstreamModel) ??
      JSON.stringify({ ...body, model: resolved.upstreamModel });
  }
  const target = await via.target({
    model: resolved.upstreamModel,
    stream: clientStreams || collect,
    action: input.action,
    headers: passthroughHeaders(input.request.headers),
    query: new URL(input.request.url).searchParams,
    turn: turnOf(prepared.canonical),
  });
  const upstream = await send(target.url, {
    method: "POST",
    headers: target.headers,
    body: text,
    signal: input.request.signal,
  }, prepared.context.config().upstreamTimeout);
  if (!(upstream instanceof Response)) return failed(upstream);
  if (upstream.ok && collect) {
    return await collected(
      prepared,
      upstreamDecoder(resolved),
      input.dialect,
      upstream,
      prepared.canonical,
    );
  }
  if (upstream.ok) {
    let body: ReadableStream<Uint8Array> | null = upstream.body;
    if (via.errorsInStream && body && clientStreams) {
      const peeked = await peekStream(body, CODECS[input.dialect].createStreamDecoder());
      const answer = () =>
        new Response(peeked.stream, {
          status: upstream.status,
          headers: responseHeaders(upstream.headers),
        });
      // The client would see the upstream's own error event; another account may do better.
      if (peeked.error) return { ok: false, error: peeked.error, respond: answer };
      body = peeked.stream;
    }
    return {
      ok: true,
      response: new Response(body, {
        status: upstream.status,
        headers: responseHeaders(upstream.headers),
      }),
    };
  }
  // The error is already in the client's dialect: read it to judge it, hand it over as sent.
  const errorText = await upstream.text();
  return {
    ok: false,
    error: CODECS[input.dialect].decodeError(upstream.status, errorText, upstream.headers),
    headers: upstream.headers,
    respond: () =>
      new Response(errorText, {
        status: upstream.status,
        headers: responseHeaders(upstream.headers),
      }),
  };
}

async function translate(prepared: Prepared, resolved: Resolved): Promise<Attempt> {
  const { input, model, canonical, context } = prepared;
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
  client.leaveDialect?.(canonical, encodeContext);
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
    return failed(error, upstream.headers);
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

/** A stream-only upstream's answer for a client that asked for one response. */
async function collected(
  prepared: Prepared,
  decoder: StreamDecoder,
  upstreamDialect: DialectId,
  upstream: Response,
  canonical: CanonicalRequest,
): Promise<Attempt> {
  const target = CODECS[upstreamDialect];
  if (!upstream.body) {
    return failed({ kind: "api_error", status: 502, message: "The upstream sent no stream." });
  }
  try {
    const answer = await collectStream(upstream.body, decoder, target.id);
    answer.model = prepared.model;
    const client = CODECS[prepared.input.dialect];
    return { ok: true, response: Response.json(client.encodeResponse(answer, canonical)) };
  } catch (error) {
    if (error instanceof ApiErrorException) return failed(error.error);
    throw error;
  }
}

export async function handleGenerate(
  input: GenerateInput,
  context: PipelineContext,
): Promise<Response> {
  const started = performance.now();
  const body = parseBody(input.body);
  const model = modelOf(input, body);
  const client = CODECS[input.dialect];
  const decodeContext: DecodeContext = { model: input.model, stream: input.stream };
  const config = context.config();
  const candidates = candidatesFor(context.accounts(), model, config.providers);
  // Decoding first also checks the request, so a malformed one fails in its own terms.
  const canonical = client.decodeRequest(body, decodeContext);
  const prepared: Prepared = { input, model, body, canonical, context };
  const sessionKey = config.routing.sessionAffinity
    ? affinityKey(canonical, input.request.headers)
    : undefined;
  const selection = context.pool.select(candidates, model, config.routing.strategy, sessionKey);
  if (selection.ready.length === 0) throw allResting(model, selection.resting);

  let retries = config.requestRetry;
  let last: Extract<Attempt, { ok: false }> | undefined;
  let rateLimited = false;
  let attempts = 0;
  const run = (account: Account) => {
    const resolved = resolvedFor(account, model, config.providers);
    const sameDialect = resolved.upstream.dialect === input.dialect &&
      !resolved.upstream.unwrap && !client.needsTranslation?.(input.body);
    return sameDialect ? passthrough(prepared, resolved) : translate(prepared, resolved);
  };
  for (const listed of selection.ready) {
    attempts++;
    const fields = {
      dialect: input.dialect,
      model,
      provider: listed.provider,
      account: listed.label,
    };
    // An expired token is refreshed first (once, however many requests want it).
    const fresh = await freshAccount(listed, { authDir: config.authDir, config, force: false });
    if (!fresh.ok) {
      context.log.warn("token refresh failed; trying another account", {
        ...fields,
        reason: fresh.outcome.status === "needs-login" ? "needs login" : "refresh failed",
      });
      context.pool.rest(listed, model, "token refresh failed");
      continue;
    }
    let account = fresh.account;
    let attempt = await run(account);
    if (!attempt.ok && attempt.error.status === 401 && canRefresh(account)) {
      // The token was refused: refresh it and try this account once more.
      const again = await freshAccount(account, { authDir: config.authDir, config, force: true });
      if (again.ok) {
        account = again.account;
        attempt = await run(account);
      }
    }
    context.pool.count(account, attempt.ok);
    if (attempt.ok) {
      context.pool.succeed(account, model);
      if (sessionKey) context.pool.bind(sessionKey, account);
      context.log.info("request", {
        ...fields,
        status: attempt.response.status,
        ms: Math.round(performance.now() - started),
      });
      return attempt.response;
    }
    last = attempt;
    const verdict = classifyFailure(attempt.error, { canRefresh: false, refreshed: false });
    context.log.warn("upstream failed", {
      ...fields,
      status: attempt.error.status,
      next: verdict.action === "next" ? "another account" : "none",
    });
    if (verdict.action !== "next") return attempt.respond();
    // The upstream may know better how long this account is spent (a subscription window).
    const spentUntil = attempt.headers &&
      resolvedFor(account, model, config.providers).upstream.restUntil?.(
        attempt.error.status,
        attempt.headers,
      );
    context.pool.rest(
      account,
      model,
      spentUntil ? "quota spent" : verdict.reason,
      spentUntil ?? verdict.restUntil,
    );
    rateLimited ||= verdict.reason === "rate limited" || spentUntil !== undefined;
    if (verdict.countsAsRetry && retries-- <= 0) return attempt.respond();
  }
  // Every ready account failed. One account: its own answer says it best. Several held back by
  // limits: say who is resting until when.
  const after = context.pool.select(candidates, model, config.routing.strategy);
  if (rateLimited && attempts > 1 && after.ready.length === 0) {
    throw allResting(model, after.resting);
  }
  return last!.respond();
}
