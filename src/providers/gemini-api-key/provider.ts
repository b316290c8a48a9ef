/**
 * @module
 * Gemini API keys (`gemini-api-key:` in the config): Gemini's models
 * through Google's Gemini API.
 */
import type { KeyKindDescriptor } from "../key-kind.ts";
import { geminiApiUpstream } from "./upstream.ts";

export const geminiApiKey: KeyKindDescriptor<"gemini-api-key", "gemini"> = {
  id: "gemini-api-key",
  provider: "gemini",
  entries: "api-key",
  upstream: geminiApiUpstream,
};
