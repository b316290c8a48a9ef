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
