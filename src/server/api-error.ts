/**
 * @module
 * Errors as typed values. Handlers throw `ApiErrorException`; `app.onError`
 * renders it once, in the dialect the client spoke.
 */

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

export class ApiErrorException extends Error {
  constructor(readonly error: ApiError) {
    super(error.message);
    this.name = "ApiErrorException";
  }
}

export function apiError(
  kind: ErrorKind,
  message: string,
  extra: Partial<Omit<ApiError, "kind" | "message">> = {},
): ApiErrorException {
  return new ApiErrorException({ kind, message, status: DEFAULT_STATUS[kind], ...extra });
}
