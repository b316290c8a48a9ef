/**
 * @module
 * OpenAI API keys (`codex-api-key:` in the config): OpenAI's models
 * through the Responses API.
 */
import type { KeyKindDescriptor } from "../key-kind.ts";
import { openaiResponsesUpstream } from "./upstream.ts";

export const codexApiKey: KeyKindDescriptor<"codex-api-key", "codex"> = {
  id: "codex-api-key",
  provider: "codex",
  entries: "api-key",
  upstream: openaiResponsesUpstream,
};
