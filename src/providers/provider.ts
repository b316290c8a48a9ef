/**
 * @module
 * What subgate knows about a provider, as plain data. Each provider lives in
 * its own folder and is listed once in `registry.ts`.
 */

/** Providers that log in with OAuth or device codes and keep an account file. */
export type ProviderId = "claude" | "codex" | "gemini" | "copilot" | "kimi" | "qwen";

import type { LoginSpec } from "../oauth/login-spec.ts";

export interface ProviderDescriptor {
  readonly id: ProviderId;
  /** Name shown to people. */
  readonly title: string;
  /** Values of `type` in an account file that belong to this provider (CLIProxyAPI's first). */
  readonly fileTypes: readonly string[];
  /** Who the OpenAI model list names as `owned_by`. */
  readonly ownedBy: string;
  /**
   * The seed list: models served until the upstream answers with its own list (and for
   * providers that publish none). Names no list knows still reach the provider by `family`.
   */
  readonly models: readonly string[];
  /**
   * The model names this provider's own API serves (`claude-*` for Anthropic), so a name no
   * list knows yet (a model released after this build) still reaches an account that may serve
   * it, and the upstream answers for it.
   */
  readonly family?: RegExp;
  /**
   * Serves other vendors' models under names of its own (Copilot): for a name no list knows,
   * tried after the accounts of the family that owns the name.
   */
  readonly aggregates?: boolean;
  /** The provider's API base URL. */
  readonly baseUrl: string;
  /** A second API some logins need (GitHub's REST API, Google's userinfo). */
  readonly apiUrl?: string;
  readonly login: LoginSpec;
}
