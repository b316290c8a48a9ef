/**
 * @module
 * GitLab Duo through a GitLab token (`gitlab-token:` in the config, or
 * `GITLAB_TOKEN`): Claude and GPT models through GitLab's AI gateway, for
 * GitLab.com or a self-managed instance (`base-url`). See `upstream.ts` and
 * `gateway-token.ts` for the protocol and its sources.
 *
 * The seed list is what GitLab's own external-agent setup and public GitLab
 * Duo clients name (GitLab's docs run Codex CLI on `gpt-5.1-codex`); which
 * models the gateway admits today could not be checked here, and GitLab
 * publishes no list to ask: set `models` on the entry to serve others
 * (a wildcard such as `claude-*` routes every matching name).
 */
import type { KeyKindDescriptor } from "../key-kind.ts";
import { gitlabUpstream } from "./upstream.ts";

export const gitlabToken: KeyKindDescriptor<"gitlab-token", "gitlab"> = {
  id: "gitlab-token",
  provider: "gitlab",
  entries: "api-key",
  models: [
    "claude-sonnet-4-6",
    "claude-sonnet-4-5-20250929",
    "claude-opus-4-5-20251101",
    "claude-haiku-4-5-20251001",
    "gpt-5.1-codex",
    "gpt-5.1-2025-11-13",
    "gpt-5-mini-2025-08-07",
  ],
  ownedBy: "gitlab",
  envKey: "GITLAB_TOKEN",
  upstream: (account) => gitlabUpstream(account),
};
