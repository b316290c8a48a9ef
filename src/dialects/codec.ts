/**
 * @module
 * The contract every API dialect implements. One codec per dialect, in its
 * own folder, registered once in `registry.ts`. The client side decodes the
 * client's request and encodes the answer; the upstream side encodes the
 * request for an upstream of this dialect and decodes its answer. Everything
 * meets in the canonical model (`src/ir`). Codecs are pure: no I/O.
 */
import type { CanonicalRequest } from "../ir/request.ts";
import type { CanonicalResponse } from "../ir/response.ts";
import type { StreamEvent } from "../ir/stream-event.ts";
import type { ApiError } from "../errors/api-error.ts";
import type { ErrorFormat } from "../errors/error-format.ts";
import type { SseEvent } from "../sse/parse-sse.ts";

export type DialectId = "anthropic" | "openai-chat" | "openai-responses" | "gemini";

export interface DecodeContext {
  /** Gemini puts the model in the URL; others in the body. */
  model?: string;
  /** Gemini's streaming is chosen by the endpoint, not the body. */
  stream?: boolean;
}

export interface EncodeContext {
  /** The model name the upstream knows (after alias resolution). */
  model: string;
  /**
   * Reports a field the target cannot express and drops it. Codecs call this
   * for losses that do not change the answer's meaning; for losses that would
   * (a forced tool choice the target cannot honour) they throw an
   * `invalid_request` ApiErrorException instead.
   */
  warn(field: string, detail: string): void;
}

export interface StreamDecoder {
  /** Canonical events for one upstream SSE event (often none, sometimes several). */
  decode(event: SseEvent): StreamEvent[];
  /** Events owed when the upstream stream ends (e.g. a finish it never sent). */
  end(): StreamEvent[];
}

export interface StreamEncoder {
  /** SSE text for one canonical event ("" when the dialect has nothing to say). */
  encode(event: StreamEvent): string;
  /** What closes the stream properly: open blocks closed, `[DONE]` where the dialect has it. */
  end(): string;
}

/** A dialect's token-count endpoint: its request and answer, both sides. */
export interface CountCodec {
  /** Client side: the count request as a canonical request (its prompt). */
  decodeRequest(body: Record<string, unknown>, context: DecodeContext): CanonicalRequest;
  /** Client side: the count as this dialect answers it. */
  encodeResponse(tokens: number): unknown;
  /** Upstream side: a count request for an upstream of this dialect. */
  encodeRequest(request: CanonicalRequest, context: EncodeContext): Record<string, unknown>;
  /** Upstream side: the number in the upstream's count answer (NaN when it has none). */
  decodeResponse(body: unknown): number;
}

export interface DialectCodec {
  id: DialectId;
  /** Which error body shape this dialect's clients understand. */
  errorFormat: ErrorFormat;
  /** An error as this dialect's error body. */
  encodeError(error: ApiError): unknown;

  // Client side: the request as the client sent it, the answer as the client expects it.
  /** Throws an `invalid_request` ApiErrorException naming the problem for a malformed body. */
  decodeRequest(body: unknown, context: DecodeContext): CanonicalRequest;
  encodeResponse(response: CanonicalResponse, request: CanonicalRequest): unknown;
  createStreamEncoder(request: CanonicalRequest): StreamEncoder;

  // Upstream side: a request for an upstream speaking this dialect, and its answers.
  encodeRequest(request: CanonicalRequest, context: EncodeContext): Record<string, unknown>;
  decodeResponse(body: unknown): CanonicalResponse;
  createStreamDecoder(): StreamDecoder;
  /** An upstream error response (status and raw body) as a canonical error. */
  decodeError(status: number, body: string, headers: Headers): ApiError;
  /**
   * The text that ends a stream of this dialect with an error, written after events someone else
   * produced (a passthrough stream that broke): the error event alone, nothing that assumes this
   * codec began the stream.
   */
  streamError(error: ApiError): string;

  /**
   * Called when a request decoded from this dialect goes to another one: what
   * this dialect kept in `providerData` cannot follow, so it warns about each
   * dropped feature, or throws `invalid_request` when dropping it would change
   * the answer. Optional: dialects whose extras are harmless to drop omit it.
   */
  leaveDialect?(request: CanonicalRequest, context: EncodeContext): void;

  /** Token counting, for the dialects whose APIs count (Anthropic's count_tokens, Gemini's). */
  count?: CountCodec;

  /**
   * True when a same-dialect request cannot go through untouched: it carries
   * something subgate itself put there for another provider (a wrapped
   * foreign signature) that this dialect's upstream would refuse. Checked on
   * the raw body, so passthrough stays a substring test.
   */
  needsTranslation?(rawBody: string): boolean;
}
