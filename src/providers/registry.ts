/**
 * @module
 * The one table of providers. Adding a provider is a folder plus a line here.
 */
import type { ProviderDescriptor, ProviderId } from "./provider.ts";
import { claude } from "./claude/provider.ts";
import { codex } from "./codex/provider.ts";
import { gemini } from "./gemini/provider.ts";
import { copilot } from "./copilot/provider.ts";
import { kimi } from "./kimi/provider.ts";
import { qwen } from "./qwen/provider.ts";

export const PROVIDERS: Readonly<Record<ProviderId, ProviderDescriptor>> = {
  claude,
  codex,
  gemini,
  copilot,
  kimi,
  qwen,
};

export const PROVIDER_IDS = Object.keys(PROVIDERS) as ProviderId[];

/** Finds the provider an account file's `type` field names, if any. */
export function providerForFileType(type: string): ProviderDescriptor | undefined {
  const wanted = type.toLowerCase();
  return PROVIDER_IDS.map((id) => PROVIDERS[id]).find((p) => p.fileTypes.includes(wanted));
}
