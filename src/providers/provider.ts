/**
 * @module
 * What subgate knows about a provider, as plain data. Each provider lives in
 * its own folder and is listed once in `registry.ts`.
 */

/** Providers that log in with OAuth or device codes and keep an account file. */
export type ProviderId = "claude" | "codex" | "gemini" | "copilot" | "kimi" | "qwen";

import type { LoginSpec } from "../auth/login-spec.ts";

export interface ProviderDescriptor {
  readonly id: ProviderId;
  /** Name shown to people. */
  readonly title: string;
  /** Values of `type` in an account file that belong to this provider (CLIProxyAPI's first). */
  readonly fileTypes: readonly string[];
  /** Who the OpenAI model list names as `owned_by`. */
  readonly ownedBy: string;
  /**
   * Models served when the provider cannot be asked for its own list yet.
   * Later issues replace these with the upstream's live list where one exists.
   */
  readonly models: readonly string[];
  /** The provider's API base URL. */
  readonly baseUrl: string;
  /** A second API some logins need (GitHub's REST API, Google's userinfo). */
  readonly apiUrl?: string;
  readonly login: LoginSpec;
}
