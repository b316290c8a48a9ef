/**
 * @module
 * Named OpenAI-compatible upstreams (`openai-compatibility:` in the
 * config): whatever models each serves, under its own name, through Chat
 * Completions.
 */
import type { KeyKindDescriptor } from "../key-kind.ts";
import { openaiCompatibleUpstream } from "./upstream.ts";

export const openaiCompatibility: KeyKindDescriptor<
  "openai-compatibility",
  "openai-compatibility"
> = {
  id: "openai-compatibility",
  provider: "openai-compatibility",
  entries: "openai-compatibility",
  upstream: openaiCompatibleUpstream,
};
