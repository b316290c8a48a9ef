/**
 * @module
 * Errors as typed values, part of the canonical model: each codec encodes
 * one in its own shape (`encode-error.ts`). What the client itself got wrong
 * is thrown as `ApiErrorException`; the server's one error handler renders it
 * in the client's shape and logs it once. An upstream's failure is a value
 * the account loop judges (`pool/classify-failure.ts`).
 */
import type { LogFields } from "../log/logger.ts";

export type ErrorKind =
  | "invalid_request"
  | "authentication"
  | "permission"
  | "not_found"
  | "request_too_large"
  | "rate_limit"
  | "api_error"
  | "overloaded";

export interface ApiError {
  kind: ErrorKind;
  status: number;
  message: string;
  retryAfterSeconds?: number;
  /**
   * The upstream's own name for the error (`insufficient_quota`, `usage_limit_reached` …), so
   * an upstream can read its quota signals. Never shown to the client beyond its message.
   */
  code?: string;
}

const DEFAULT_STATUS: Record<ErrorKind, number> = {
  invalid_request: 400,
  authentication: 401,
  permission: 403,
  not_found: 404,
  request_too_large: 413,
  rate_limit: 429,
  api_error: 500,
  overloaded: 503,
};

export interface ApiErrorOptions {
  /** What the refusal's log line adds to method, path and dialect: the request's model. */
  fields?: LogFields;
}

export class ApiErrorException extends Error {
  readonly fields: LogFields;

  constructor(readonly error: ApiError, options: ApiErrorOptions = {}) {
    super(error.message);
    this.name = "ApiErrorException";
    this.fields = { ...options.fields };
  }
}

/**
 * The error as a refusal when the client's input caused it: an `ApiErrorException` as it is, and
 * the runtime's errors that only input causes (a URL that does not decode, a body nested deeper
 * than the code walking it can follow). Undefined for anything else: a fault of subgate's own.
 */
export function refusalOf(error: unknown): ApiErrorException | undefined {
  if (error instanceof ApiErrorException) return error;
  // strictUrl refuses URLs that do not decode before any route runs; this is the safety net,
  // also for a name from the request that cannot be put into an upstream's URL.
  if (error instanceof URIError) {
    return apiError(
      "invalid_request",
      `The request's URL, or a name from the request put into a URL, is not valid (${error.message}).`,
    );
  }
  if (error instanceof RangeError && /call stack/i.test(error.message)) {
    return apiError(
      "invalid_request",
      "The request body is nested too deeply for subgate to process.",
    );
  }
  return undefined;
}

/** The model of the request a runtime error (a client that went away) interrupted. */
const interruptedModels = new WeakMap<object, string>();

/**
 * The error with the request's model noted: a refusal names it in its log line, any other error
 * carries it to the error handler (`modelOfError`). The pipeline knows the model, the handler that
 * logs does not.
 */
export function withModel(error: unknown, model: () => string | undefined): unknown {
  const refusal = refusalOf(error);
  if (refusal) {
    refusal.fields.model ??= model();
    return refusal;
  }
  const name = model();
  if (name && error !== null && typeof error === "object") interruptedModels.set(error, name);
  return error;
}

export function modelOfError(error: unknown): string | undefined {
  return error !== null && typeof error === "object" ? interruptedModels.get(error) : undefined;
}

export function apiError(
  kind: ErrorKind,
  message: string,
  extra: Partial<Omit<ApiError, "kind" | "message">> = {},
): ApiErrorException {
  return new ApiErrorException({ kind, message, status: DEFAULT_STATUS[kind], ...extra });
}
