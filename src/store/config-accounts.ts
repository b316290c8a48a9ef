/**
 * @module
 * Accounts defined in the config file: API keys for Claude, Gemini and
 * OpenAI, and named OpenAI-compatible upstreams. Labels never show the key.
 *
 * An entry's `models` list says what it serves: exact names (an `alias`
 * serves both the alias and the upstream's name), and wildcard names
 * (`claude-*`), which route every matching name to the entry without being
 * listed as models. An entry without a list serves its provider's built-in
 * seed until the upstream's own list arrives (`pool/model-catalog.ts`).
 */
import type { ApiKeyEntry, Config, ModelEntry } from "../config/config-types.ts";
import { withoutExcluded } from "../models/match-model.ts";
import { PROVIDERS } from "../providers/registry.ts";
import type { ProviderId } from "../providers/registry.ts";
import type { Account } from "./account.ts";

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

function keyAccounts(
  key: "claude-api-key" | "gemini-api-key" | "codex-api-key",
  provider: ProviderId,
  entries: ApiKeyEntry[],
): Account[] {
  const descriptor = PROVIDERS[provider];
  return entries.map((entry, index) => {
    const configured = entry.models.length > 0;
    const listed = entryModels(
      configured ? entry.models : descriptor.models.map((name) => ({ name })),
      entry.prefix,
    );
    const host = hostOf(entry.baseUrl);
    return {
      id: `config:${key}[${index}]`,
      provider,
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
      ownedBy: descriptor.ownedBy,
      credentials: { api_key: entry.apiKey, base_url: entry.baseUrl, headers: entry.headers },
    };
  });
}

export function accountsFromConfig(config: Config): Account[] {
  const compatible: Account[] = config.openaiCompatibility.flatMap((entry, index) => {
    if (entry.disabled) return [];
    const listed = entryModels(entry.models, entry.prefix);
    return [{
      id: `config:openai-compatibility[${index}]`,
      provider: "openai-compatibility",
      label: `${entry.name} (${hostOf(entry.baseUrl)})`,
      source: "config" as const,
      kind: "openai-compatibility" as const,
      disabled: false,
      needsLogin: false,
      models: listed.models,
      // No list configured: the upstream's own `/models` answer fills it.
      modelSource: entry.models.length ? "config" as const : "built-in" as const,
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
  return [
    ...keyAccounts("claude-api-key", "claude", config.claudeApiKey),
    ...keyAccounts("gemini-api-key", "gemini", config.geminiApiKey),
    ...keyAccounts("codex-api-key", "codex", config.codexApiKey),
    ...compatible,
  ];
}
