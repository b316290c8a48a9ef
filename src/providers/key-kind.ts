/**
 * @module
 * An API-key kind: a config section of keys (`claude-api-key:`, …) whose
 * accounts serve one provider's models through an API of their own. Each
 * lives in its own folder and is listed once in `registry.ts`.
 */
import type { Upstream, UpstreamAccount } from "../upstreams/upstream.ts";

export interface KeyKindDescriptor<Id extends string = string, Provider extends string = string> {
  /** The config section its entries are listed in, and its accounts' `kind`. */
  readonly id: Id;
  /**
   * The provider its accounts belong to: the family of model names they serve, the
   * `provider/model` pin, and (for a login provider) the seed model list and `owned_by`.
   */
  readonly provider: Provider;
  /**
   * The shape of its config entries: `api-key` entries (`api-key`, `base-url`, `prefix`,
   * `models`, `excluded-models`, `headers`), or named OpenAI-compatible upstreams.
   */
  readonly entries: "api-key" | "openai-compatibility";
  /** The API one of its accounts is served through. */
  upstream(account: UpstreamAccount): Upstream;
}
