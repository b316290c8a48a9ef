/**
 * @module
 * Accounts defined in the config file: API keys for Claude, Gemini and
 * OpenAI, and named OpenAI-compatible upstreams. Labels never show the key.
 */
import type { ApiKeyEntry, Config, ModelEntry } from "../config/config-types.ts";
import { withoutExcluded } from "../models/match-model.ts";
import { PROVIDERS } from "../providers/registry.ts";
import type { ProviderId } from "../providers/provider.ts";
import type { Account } from "./account.ts";

function visibleNames(models: ModelEntry[], prefix?: string): string[] {
  return models.map((m) => (prefix ? `${prefix}/` : "") + (m.alias ?? m.name));
}

function hostOf(url: string | undefined): string | undefined {
  return url ? new URL(url).host : undefined;
}

function keyAccounts(key: string, provider: ProviderId, entries: ApiKeyEntry[]): Account[] {
  const descriptor = PROVIDERS[provider];
  return entries.map((entry, index) => {
    const models = entry.models.length
      ? visibleNames(entry.models, entry.prefix)
      : descriptor.models.map((m) => (entry.prefix ? `${entry.prefix}/` : "") + m);
    const host = hostOf(entry.baseUrl);
    return {
      id: `config:${key}[${index}]`,
      provider,
      label: `${key}[${index}]${host ? ` (${host})` : ""}`,
      source: "config",
      disabled: false,
      needsLogin: false,
      models: withoutExcluded(models, entry.excludedModels),
      ownedBy: descriptor.ownedBy,
      credentials: { api_key: entry.apiKey },
    };
  });
}

export function accountsFromConfig(config: Config): Account[] {
  const compatible: Account[] = config.openaiCompatibility.flatMap((entry, index) =>
    entry.disabled ? [] : [{
      id: `config:openai-compatibility[${index}]`,
      provider: "openai-compatibility",
      label: `${entry.name} (${hostOf(entry.baseUrl)})`,
      source: "config" as const,
      disabled: false,
      needsLogin: false,
      models: visibleNames(entry.models, entry.prefix),
      ownedBy: entry.name,
      credentials: { api_keys: entry.apiKeyEntries.map((k) => k.apiKey) },
    }]
  );
  return [
    ...keyAccounts("claude-api-key", "claude", config.claudeApiKey),
    ...keyAccounts("gemini-api-key", "gemini", config.geminiApiKey),
    ...keyAccounts("codex-api-key", "codex", config.codexApiKey),
    ...compatible,
  ];
}
