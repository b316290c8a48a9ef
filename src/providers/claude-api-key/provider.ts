/**
 * @module
 * Anthropic API keys (`claude-api-key:` in the config): Claude's models
 * through the Messages API, each entry with its own base URL and headers.
 */
import type { KeyKindDescriptor } from "../key-kind.ts";
import { anthropicApiUpstream } from "./upstream.ts";

export const claudeApiKey: KeyKindDescriptor<"claude-api-key", "claude"> = {
  id: "claude-api-key",
  provider: "claude",
  entries: "api-key",
  upstream: anthropicApiUpstream,
};
