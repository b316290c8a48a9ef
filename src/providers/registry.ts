/**
 * @module
 * The one table of providers, and the one of API-key kinds. Adding either is
 * a folder plus a line here; the ids, the config's `providers:` names and its
 * key sections, and the vendor login files all come from these tables.
 */
import type { ProviderOverride } from "./provider-override.ts";
import { claude } from "./claude/provider.ts";
import { codex } from "./codex/provider.ts";
import { gemini } from "./gemini/provider.ts";
import { antigravity } from "./antigravity/provider.ts";
import { copilot } from "./copilot/provider.ts";
import { kimi } from "./kimi/provider.ts";
import { qwen } from "./qwen/provider.ts";
import { xai } from "./xai/provider.ts";
import { claudeApiKey } from "./claude-api-key/provider.ts";
import { geminiApiKey } from "./gemini-api-key/provider.ts";
import { codexApiKey } from "./codex-api-key/provider.ts";
import { openaiCompatibility } from "./openai-compatibility/provider.ts";
import { gitlabToken } from "./gitlab-token/provider.ts";

/** A table whose keys are its entries' ids, checked by the type system. */
function byId<Table extends { [Id in keyof Table]: { id: Id } }>(table: Table): Table {
  return table;
}

/** Subscription logins, in the order commands and messages list them. */
export const PROVIDERS = byId({ claude, codex, gemini, antigravity, copilot, kimi, qwen, xai });

/** API-key kinds: config sections of keys, in the order the config lists them. */
export const KEY_KINDS = byId({
  "claude-api-key": claudeApiKey,
  "gemini-api-key": geminiApiKey,
  "codex-api-key": codexApiKey,
  "openai-compatibility": openaiCompatibility,
  "gitlab-token": gitlabToken,
});

/** A provider that logs in and keeps an account file (`claude`, `codex`, …). */
export type ProviderId = keyof typeof PROVIDERS;

/** An API-key kind (`claude-api-key`, …, `openai-compatibility`). */
export type KeyKindId = keyof typeof KEY_KINDS;

/** The provider an account belongs to: a login provider, or what a key kind serves. */
export type AccountProvider = ProviderId | (typeof KEY_KINDS)[KeyKindId]["provider"];

/** How an account reaches its upstream: an OAuth login, or one of the config's key kinds. */
export type AccountKind = "oauth" | KeyKindId;

/** Any entry of `PROVIDERS`, its id typed. */
export type AnyProvider = (typeof PROVIDERS)[ProviderId];

/** The config's `providers:` section. */
export type ProviderOverrides = Partial<Record<ProviderId, ProviderOverride>>;

/** Any entry of `KEY_KINDS`, its id typed. */
export type AnyKeyKind = (typeof KEY_KINDS)[KeyKindId];

export const PROVIDER_IDS = Object.keys(PROVIDERS) as ProviderId[];
export const KEY_KIND_IDS = Object.keys(KEY_KINDS) as KeyKindId[];

/** The providers as a list, in table order. */
export const PROVIDER_LIST: readonly AnyProvider[] = PROVIDER_IDS.map((id) => PROVIDERS[id]);

/** The key kinds as a list, in table order. */
export const KEY_KIND_LIST: readonly AnyKeyKind[] = KEY_KIND_IDS.map((id) => KEY_KINDS[id]);

/** The key kinds whose config sections list `api-key` entries. */
export const API_KEY_KIND_IDS: readonly KeyKindId[] = KEY_KIND_IDS.filter((id) =>
  KEY_KINDS[id].entries === "api-key"
);

export function isProviderId(name: string): name is ProviderId {
  return Object.hasOwn(PROVIDERS, name);
}

/** Finds the provider an account file's `type` field names, if any. */
export function providerForFileType(type: string): AnyProvider | undefined {
  const wanted = type.toLowerCase();
  return PROVIDER_LIST.find((p) => p.fileTypes.includes(wanted));
}
