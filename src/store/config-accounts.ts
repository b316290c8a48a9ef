/**
 * @module
 * Accounts defined in the config file: one per entry of each key kind's
 * section (API keys for Claude, Gemini and OpenAI, and named
 * OpenAI-compatible upstreams). Labels never show the key.
 *
 * An entry's `models` list says what it serves: exact names (an `alias`
 * serves both the alias and the upstream's name), and wildcard names
 * (`claude-*`), which route every matching name to the entry without being
 * listed as models. An entry without a list serves its provider's built-in
 * seed until the upstream's own list arrives (`pool/model-catalog.ts`).
 */
import type {
  ApiKeyEntry,
  Config,
  ModelEntry,
  OpenAICompatibilityEntry,
} from "../config/config-types.ts";
import { withoutExcluded } from "../models/match-model.ts";
import { type AnyKeyKind, isProviderId, KEY_KIND_LIST, PROVIDERS } from "../providers/registry.ts";
import type { KeyAccount } from "./account.ts";

interface EntryModels {
  models: string[];
  patterns?: string[];
  upstreamModels: Record<string, string>;
}

const isPattern = (name: string) => name.includes("*");

/** The names clients may use for an entry's models, and the upstream name behind each. */
function entryModels(entries: readonly ModelEntry[], prefix?: string): EntryModels {
  const visible = (name: string) => (prefix ? `${prefix}/` : "") + name;
  const models: string[] = [];
  const patterns: string[] = [];
  const upstreamModels: Record<string, string> = {};
  for (const { name, alias } of entries) {
    if (isPattern(name)) {
      // A pattern passes the name through; an alias of a pattern would name nothing.
      patterns.push(visible(name));
      continue;
    }
    for (const client of alias ? [alias, name] : [name]) {
      const shown = visible(client);
      if (!models.includes(shown)) models.push(shown);
      if (shown !== name) upstreamModels[shown] = name;
    }
  }
  return { models, patterns: patterns.length ? patterns : undefined, upstreamModels };
}

function hostOf(url: string | undefined): string | undefined {
  return url ? new URL(url).host : undefined;
}

/** The seed list and `owned_by` of the provider a key kind serves (its own for a key-only one). */
function servedCatalogue(kind: AnyKeyKind): { models: readonly string[]; ownedBy: string } {
  return isProviderId(kind.provider)
    ? PROVIDERS[kind.provider]
    : { models: kind.models ?? [], ownedBy: kind.ownedBy ?? kind.id };
}

/** A key kind's `api-key` entries, one account each. */
function keyAccounts(kind: AnyKeyKind, entries: readonly ApiKeyEntry[]): KeyAccount[] {
  const key = kind.id;
  const served = servedCatalogue(kind);
  return entries.map((entry, index) => {
    const configured = entry.models.length > 0;
    const listed = entryModels(
      configured ? entry.models : served.models.map((name) => ({ name })),
      entry.prefix,
    );
    const host = hostOf(entry.baseUrl);
    return {
      id: `config:${key}[${index}]`,
      provider: kind.provider,
      label: `${key}[${index}]${host ? ` (${host})` : ""}`,
      source: "config",
      kind: key,
      disabled: false,
      needsLogin: false,
      models: withoutExcluded(listed.models, entry.excludedModels),
      modelSource: configured ? "config" : "built-in",
      patterns: listed.patterns,
      excludedModels: entry.excludedModels.length ? entry.excludedModels : undefined,
      prefix: entry.prefix,
      upstreamModels: listed.upstreamModels,
      ownedBy: served.ownedBy,
      credentials: { api_key: entry.apiKey, base_url: entry.baseUrl, headers: entry.headers },
    };
  });
}

/** The named OpenAI-compatible upstreams, one account each (disabled ones left out). */
function compatibleAccounts(entries: readonly OpenAICompatibilityEntry[]): KeyAccount[] {
  return entries.flatMap((entry, index) => {
    if (entry.disabled) return [];
    const listed = entryModels(entry.models, entry.prefix);
    return [{
      id: `config:openai-compatibility[${index}]`,
      provider: "openai-compatibility",
      label: `${entry.name} (${hostOf(entry.baseUrl)})`,
      source: "config",
      kind: "openai-compatibility",
      disabled: false,
      needsLogin: false,
      models: listed.models,
      // No list configured: the upstream's own `/models` answer fills it.
      modelSource: entry.models.length ? "config" : "built-in",
      patterns: listed.patterns,
      prefix: entry.prefix,
      upstreamModels: listed.upstreamModels,
      ownedBy: entry.name,
      credentials: {
        api_keys: entry.apiKeyEntries.map((k) => k.apiKey),
        base_url: entry.baseUrl,
        headers: entry.headers,
      },
    }];
  });
}

/** Every key account of the config, key kind by key kind in the registry's order. */
export function accountsFromConfig(config: Config): KeyAccount[] {
  return KEY_KIND_LIST.flatMap((kind) =>
    kind.entries === "api-key"
      ? keyAccounts(kind, config.apiKeyEntries[kind.id] ?? [])
      : compatibleAccounts(config.openaiCompatibility)
  );
}
