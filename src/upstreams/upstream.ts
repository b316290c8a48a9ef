/**
 * @module
 * How a request reaches an account's upstream: which dialect it speaks, and
 * the URL and headers of a call. Each provider's folder builds its own
 * (`providers/<name>/upstream.ts`) from the pieces in this folder, and
 * `providers/upstream-for.ts` picks one for an account, so provider knowledge
 * stays out of the generic pipeline.
 */
import type { DialectId } from "../dialects/codec.ts";
import type { ApiError } from "../errors/api-error.ts";
import { readJson } from "../http/read-upstream.ts";
import { describeFetchError } from "../http/describe-fetch-error.ts";

export type UpstreamAction = "generate" | "count-tokens";

/**
 * What an upstream adapter needs of an account: the store's accounts have this shape and more,
 * and the adapters never see the rest.
 */
export interface UpstreamAccount {
  /** Stable identity, for state kept per account (Copilot's token cache). */
  id: string;
  /** Token data as stored (access token, keys, base URL, headers). Never logged. */
  credentials: Readonly<Record<string, unknown>>;
  /** Upstream model name → the API paths the upstream serves it on, when it said (Copilot). */
  modelEndpoints?: Record<string, string[]>;
}

export interface UpstreamCall {
  /** The upstream's model name. */
  model: string;
  stream: boolean;
  action: UpstreamAction;
  /**
   * The client's headers, already stripped of its auth and hop-by-hop headers: a fresh object
   * made for this call, which the target sets its own headers on (no copy per request).
   */
  headers: Headers;
  /** The client's query string (Claude Code sends `?beta=true`). */
  query: URLSearchParams;
  /** What kind of turn this is, for upstreams that bill or route by it. */
  turn?: { toolResults: boolean; images: boolean };
}

/** A model an upstream listed, with the API paths it serves it on when the upstream says. */
export interface UpstreamModel {
  id: string;
  endpoints?: string[];
}

/** The status and headers of an upstream's error answer, as it sent them. */
export interface UpstreamAnswer {
  status: number;
  headers: Headers;
}

export interface UpstreamTarget {
  url: string;
  headers: Headers;
}

export interface Upstream {
  dialect: DialectId;
  /** Whether this upstream can count tokens itself. */
  countsTokens: boolean;
  /** The upstream only streams: a client that asked for one answer gets the stream collected. */
  streamsOnly?: boolean;
  /** The upstream reports failures inside 200 streams: look at a stream's start before answering. */
  errorsInStream?: boolean;
  /** Sets the fields the upstream requires and removes those it refuses (JSON body going up). */
  prepareBody?(body: Record<string, unknown>, call: { model: string }): Record<string, unknown>;
  /**
   * The upstream wraps its answers (Code Assist's `{"response": …}`): unwrap a JSON answer or
   * one stream event's data. Such upstreams always go through the codec, never passthrough.
   */
  unwrap?(data: unknown): unknown;
  /**
   * When a failed call means the account is spent until a known time (a subscription window,
   * a monthly quota), that time in epoch ms; the pool rests the account until then.
   */
  restUntil?(error: ApiError, answer: UpstreamAnswer): number | undefined;
  /**
   * The models this login may use now, asked of the upstream (an empty list when it lists none
   * for this caller). `query` carries what a client said of itself when it asked subgate
   * (`client_version`), passed on as the client sent it.
   */
  listModels?(query: URLSearchParams): Promise<UpstreamModel[]>;
  /**
   * An upstream with several APIs (Copilot: Chat Completions, Responses, Messages) picks the
   * one for this model, preferring the client's own dialect so the request passes through.
   */
  forModel?(model: string, client: DialectId): Upstream;
  target(call: UpstreamCall): UpstreamTarget | Promise<UpstreamTarget>;
}

/** Joins a base URL and a path without doubling or dropping the slash. */
export function joinUrl(base: string, path: string): string {
  return base.replace(/\/+$/, "") + path;
}

/** Largest model list read: the biggest real ones are a few hundred kilobytes. */
const MODEL_LIST_LIMIT = 16 * 1024 * 1024;

/**
 * GETs a model list as JSON (POSTs `body` as JSON, for an API that lists models by a method call:
 * Code Assist's `fetchAvailableModels`); an HTTP error is thrown as a sentence without secrets.
 */
export async function getModelList(
  url: string,
  headers: HeadersInit,
  body?: unknown,
): Promise<unknown> {
  let response: Response;
  try {
    const init: RequestInit = body === undefined
      ? { headers }
      : { method: "POST", headers, body: JSON.stringify(body) };
    response = await fetch(url, { ...init, signal: AbortSignal.timeout(30_000) });
  } catch (error) {
    // "fetch failed" says nothing; the host and the cause say what to look at.
    throw new Error(describeFetchError(error, url));
  }
  if (!response.ok) {
    await response.body?.cancel();
    throw new Error(`the model list answered HTTP ${response.status}`);
  }
  const read = await readJson(response, MODEL_LIST_LIMIT);
  if (!read.ok) throw new Error(read.error.message);
  return read.value;
}

/** Adds the config entry's own headers (`headers:` in the config) last, so they win. */
export function withConfiguredHeaders(headers: Headers, configured: unknown): Headers {
  for (const [name, value] of Object.entries((configured ?? {}) as Record<string, string>)) {
    headers.set(name, value);
  }
  return headers;
}
