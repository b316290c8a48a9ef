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

function visibleName(model: ModelEntry | string, prefix?: string): string {
  const name = typeof model === "string" ? model : model.alias ?? model.name;
  return (prefix ? `${prefix}/` : "") + name;
}

/** Visible name → upstream name for every model whose names differ. */
function upstreamNames(models: (ModelEntry | string)[], prefix?: string): Record<string, string> {
  const map: Record<string, string> = {};
  for (const model of models) {
    const upstream = typeof model === "string" ? model : model.name;
    const visible = visibleName(model, prefix);
    if (visible !== upstream) map[visible] = upstream;
  }
  return map;
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
    const source: (ModelEntry | string)[] = entry.models.length
      ? entry.models
      : [...descriptor.models];
    const models = source.map((m) => visibleName(m, entry.prefix));
    const host = hostOf(entry.baseUrl);
    return {
      id: `config:${key}[${index}]`,
      provider,
      label: `${key}[${index}]${host ? ` (${host})` : ""}`,
      source: "config",
      kind: key,
      disabled: false,
      needsLogin: false,
      models: withoutExcluded(models, entry.excludedModels),
      upstreamModels: upstreamNames(source, entry.prefix),
      ownedBy: descriptor.ownedBy,
      credentials: { api_key: entry.apiKey, base_url: entry.baseUrl, headers: entry.headers },
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
      kind: "openai-compatibility" as const,
      disabled: false,
      needsLogin: false,
      models: entry.models.map((m) => visibleName(m, entry.prefix)),
      upstreamModels: upstreamNames(entry.models, entry.prefix),
      ownedBy: entry.name,
      credentials: {
        api_keys: entry.apiKeyEntries.map((k) => k.apiKey),
        base_url: entry.baseUrl,
        headers: entry.headers,
      },
    }]
  );
  return [
    ...keyAccounts("claude-api-key", "claude", config.claudeApiKey),
    ...keyAccounts("gemini-api-key", "gemini", config.geminiApiKey),
    ...keyAccounts("codex-api-key", "codex", config.codexApiKey),
    ...compatible,
  ];
}
