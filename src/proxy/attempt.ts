/**
 * @module
 * One attempt on one account, the parts both ways of attempting share: the
 * upstream call with its timeout, failures as values, the upstream's stream
 * decoder (unwrapping wrapped events), the kind of turn, and a stream-only
 * upstream's answer collected for a plain client.
 */
import type { Config } from "../config/config-types.ts";
import type { DialectId, StreamDecoder } from "../dialects/codec.ts";
import { CODECS } from "../dialects/registry.ts";
import { errorResponse } from "../dialects/error-response.ts";
import type { CanonicalRequest } from "../ir/request.ts";
import type { Logger } from "../log/logger.ts";
import type { Pool } from "../pool/pool.ts";
import { type ApiError, apiError, ApiErrorException } from "../errors/api-error.ts";
import type { Account } from "../store/account.ts";
import type { TokenStorage } from "../auth/refresh/token-storage.ts";
import type { UpstreamAction, UpstreamAnswer } from "../upstreams/upstream.ts";
import { collectStream } from "./collect-stream.ts";
import { deadline } from "./deadlines.ts";
import { describeFetchError, formatSeconds, isOutOfFiles } from "../http/describe-fetch-error.ts";
import { LOCAL_SHORTAGE } from "../pool/classify-failure.ts";
import { headerRecord } from "./forward-headers.ts";
import { jsonProblem } from "./json-problem.ts";
import type { Resolved } from "./resolve-model.ts";
import type { PipelineHooks } from "./request-record.ts";
import type { Admit } from "./admission.ts";
import type { AnswerUsage, Recorder } from "./record-request.ts";

export interface GenerateInput {
  dialect: DialectId;
  request: Request;
  /** The raw body, exactly as the client sent it. */
  body: string;
  action: UpstreamAction;
  /** From the URL, for Gemini. */
  model?: string;
  stream?: boolean;
  /** The name of the client key the request came with, when keys are named. */
  clientKey?: string;
  /** Settles once the answer has been sent (from the server), for the request's record. */
  completed?: Promise<void>;
}

export interface PipelineContext {
  accounts(): readonly Account[];
  config(): Config;
  pool: Pool;
  log: Logger;
  /** Listeners for what happens to requests (usage, quota, limits, metrics). */
  hooks?: PipelineHooks;
  /** Asked once the model is known: the client key's allowlist and limits. */
  admit?: Admit;
  /** Where login tokens are refreshed: the auth dir by default, the shared database for teams. */
  tokens?: TokenStorage;
}

export function parseBody(body: string): Record<string, unknown> {
  let parsed: unknown;
  try {
    parsed = JSON.parse(body);
  } catch (error) {
    throw apiError(
      "invalid_request",
      `The request body is not valid JSON (${jsonProblem(body, error as SyntaxError)}).`,
    );
  }
  if (!parsed || typeof parsed !== "object" || Array.isArray(parsed)) {
    throw apiError("invalid_request", "The request body must be a JSON object.");
  }
  return parsed as Record<string, unknown>;
}

/** Longest model name accepted: no provider's names come near it. */
export const MAX_MODEL_NAME = 256;

export function modelOf(input: GenerateInput, body: Record<string, unknown>): string {
  const model = input.model ?? body.model;
  if (typeof model !== "string" || model.trim() === "") {
    throw apiError("invalid_request", "model: required, a non-empty string naming the model.");
  }
  if (model.length > MAX_MODEL_NAME) {
    throw apiError(
      "invalid_request",
      `model: at most ${MAX_MODEL_NAME} characters (this one has ${model.length}).`,
    );
  }
  return model;
}

/** The upstream's stream decoder, unwrapping each event first when the upstream wraps them. */
export function upstreamDecoder(resolved: Resolved): StreamDecoder {
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
export function turnOf(request: CanonicalRequest): { toolResults: boolean; images: boolean } {
  const last = request.messages.at(-1);
  const toolResults = last?.role === "tool" ||
    (last?.role === "user" && last.content.some((part) => part.type === "tool-result"));
  const images = request.messages.some((message) =>
    message.content.some((part) => part.type === "file" && part.mediaType?.startsWith("image/"))
  );
  return { toolResults, images };
}

/** Tells the account loop that an answer already handed to the client broke (a server fault). */
export type OnFault = (reason: string) => void;

/** The configured bounds on what an upstream may send. */
export function limitsOf(prepared: Prepared): { body: number; event: number } {
  const config = prepared.context.config();
  return { body: config.upstreamBodyLimit, event: config.sseEventLimit };
}

/** What one attempt on one account gave: the client's answer, or a failure to classify. */
export type Attempt =
  | {
    ok: true;
    response: Response;
    /** A plain answer's usage, for the record. */
    usage?: AnswerUsage;
    /** The answer's body reports its own end to the recorder (a watched or translated stream). */
    streamed?: boolean;
  }
  | {
    ok: false;
    error: ApiError;
    answer?: UpstreamAnswer;
    /** The upstream's own answer, handed over as it came; without it the error is rendered. */
    handover?: () => Response;
  };

export interface Prepared {
  input: GenerateInput;
  model: string;
  body: Record<string, unknown>;
  canonical: CanonicalRequest;
  context: PipelineContext;
  /** This request's record, when someone listens for ended requests. */
  recorder?: Recorder;
}

/**
 * One upstream call. It must start answering within the configured timeout, or it counts as a
 * failure (504) and the next account is tried; the client going away aborts it at any time.
 * The deadline is dropped as soon as the answer starts: a timer left for the full timeout (as
 * `AbortSignal.timeout` would be) kept every finished call alive for ten minutes.
 */
export async function send(
  url: string,
  init: RequestInit & { signal: AbortSignal },
  timeoutSeconds: number,
): Promise<Response | ApiError> {
  const controller = new AbortController();
  const client = init.signal;
  if (client.aborted) controller.abort(client.reason);
  else client.addEventListener("abort", () => controller.abort(client.reason), { once: true });
  let timedOut = false;
  const answered = deadline(timeoutSeconds * 1000, () => {
    timedOut = true;
    controller.abort();
  });
  try {
    const headers = init.headers instanceof Headers ? headerRecord(init.headers) : init.headers;
    return await fetch(url, { ...init, headers, signal: controller.signal });
  } catch (error) {
    if (client.aborted) throw error;
    if (timedOut) {
      return {
        kind: "api_error",
        status: 504,
        message: `The upstream (${hostOf(url)}) did not start answering: timed out after ` +
          `${formatSeconds(timeoutSeconds)} (upstream-timeout).`,
      };
    }
    if (isOutOfFiles(error)) {
      // subgate's own shortage, not the account's: no account rests for it.
      return {
        kind: "overloaded",
        status: 503,
        code: LOCAL_SHORTAGE,
        retryAfterSeconds: 1,
        message: "subgate has run out of file descriptors for upstream calls; retry shortly " +
          "(raise the limit: see README, Client connections and file descriptors).",
      };
    }
    return {
      kind: "api_error",
      status: 502,
      message: `Could not reach the upstream: ${describeFetchError(error, url)}.`,
    };
  } finally {
    answered();
  }
}

function hostOf(url: string): string {
  try {
    return new URL(url).host;
  } catch {
    return "unknown host";
  }
}

export function failed(error: ApiError, answer?: UpstreamAnswer): Extract<Attempt, { ok: false }> {
  return { ok: false, error, answer };
}

/** A failed attempt as the client's answer: the upstream's own, or the error in its dialect. */
export function failureResponse(
  failure: Extract<Attempt, { ok: false }>,
  dialect: DialectId,
): Response {
  return failure.handover?.() ?? errorResponse(CODECS[dialect], failure.error);
}

/** A stream-only upstream's answer for a client that asked for one response. */
export async function collected(
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
    const answer = await collectStream(upstream.body, decoder, target.id, limitsOf(prepared));
    answer.model = prepared.model;
    const client = CODECS[prepared.input.dialect];
    return {
      ok: true,
      response: Response.json(client.encodeResponse(answer, canonical)),
      usage: answer.usage,
    };
  } catch (error) {
    if (error instanceof ApiErrorException) return failed(error.error);
    // A stream that broke off, or one event too large: the upstream's fault, not the client's.
    return failed({
      kind: "api_error",
      status: 502,
      message: `The upstream's stream failed: ${(error as Error).message}`,
    });
  }
}
