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
  /**
   * For a provider without a login (GitLab's): the models its entries serve until the config
   * lists theirs or the upstream answers with its own, and who the model list names as
   * `owned_by`. A login provider's seed list and owner are used otherwise.
   */
  readonly models?: readonly string[];
  readonly ownedBy?: string;
  /**
   * An environment variable whose value, when set, is one more entry's `api-key` (with the
   * defaults for everything else), after the config's own entries (`GITLAB_TOKEN`). The
   * variable must be in the `subgate` permission set's env allow list (`deno.json`).
   */
  readonly envKey?: string;
  /** The API one of its accounts is served through. */
  upstream(account: UpstreamAccount): Upstream;
}
