import type { KeyKindDescriptor } from "../key-kind.ts";
import { anthropicApiUpstream } from "./upstream.ts";

export const claudeApiKey: KeyKindDescriptor<"claude-api-key", "claude"> = {
  id: "claude-api-key",
  provider: "claude",
  entries: "api-key",
  upstream: anthropicApiUpstream,
};
