/**
 * @module
 * Login failures as typed values: which provider, which step, what to do.
 * Messages never carry a token, code or verifier.
 */

export type LoginStep =
  | "callback"
  | "state"
  | "consent"
  | "timeout"
  | "exchange"
  | "device"
  | "identify"
  | "save"
  | "refresh"
  | "cancelled";

export class LoginError extends Error {
  constructor(readonly provider: string, readonly step: LoginStep, message: string) {
    super(message);
    this.name = "LoginError";
  }
}
