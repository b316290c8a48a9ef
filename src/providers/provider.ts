/**
 * @module
 * What subgate knows about a subscription provider, as plain data plus a few
 * hooks: how it logs in, which models it serves, and how its API is called.
 * Each provider lives in its own folder and is listed once in `registry.ts`,
 * which also derives `ProviderId` from that list.
 */
import type { LoginSpec } from "../oauth/login-spec.ts";
import type { ProviderQuota } from "../upstreams/quota.ts";
import type { Upstream, UpstreamAccount } from "../upstreams/upstream.ts";
import type { ProviderOverride } from "./provider-override.ts";
import type { VendorFile } from "./vendor-file.ts";

/** A provider that logs in with OAuth or device codes and keeps an account file. */
export interface ProviderDescriptor<Id extends string = string> {
  /** Its name in commands, file names and the config (`providers.<id>`). */
  readonly id: Id;
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
  /**
   * The vendor's own CLI login file, which `subgate import` takes over (and `--link` shares),
   * when the vendor has a CLI.
   */
  readonly vendorFile?: VendorFile;
  /**
   * Where its logins' plan quota is read: an answer's headers, a usage endpoint (`quota.ts` in
   * the provider's folder), when the provider reports it.
   */
  readonly quota?: ProviderQuota;
  /**
   * The API one of its logins is served through, with `providers.<id>` applied. A provider
   * without one can log in but serves no requests yet.
   */
  upstream?(account: UpstreamAccount, override: ProviderOverride | undefined): Upstream;
}
