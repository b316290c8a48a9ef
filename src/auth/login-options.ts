/**
 * @module
 * What a login is run with and what it gives back, shared by the three flows
 * (`browser-login.ts`, `manual-login.ts`, `device-login.ts`).
 */
import type { Endpoints, LoginSpec } from "../oauth/login-spec.ts";
import type { ProviderId } from "../providers/registry.ts";
import type { AccountBackend } from "./refresh/token-storage.ts";

export type LoginFlow = "browser" | "manual" | "device";

export interface LoginOptions {
  provider: ProviderId;
  title: string;
  spec: LoginSpec;
  endpoints: Endpoints;
  authDir: string;
  /** Where the account is saved: the auth dir by default, the shared database for teams. */
  backend?: AccountBackend;
  flow: LoginFlow;
  /** Print the URL instead of opening a browser. */
  noBrowser: boolean;
  callbackPort?: number;
  timeoutMs: number;
  say(line: string): void;
}

export interface LoginResult {
  account: string;
  file: string;
  expired?: string;
}
