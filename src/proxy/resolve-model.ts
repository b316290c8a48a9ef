/**
 * @module
 * Which account serves a model. For now the first usable account that lists
 * it and that subgate can reach; the account pool (rotation, cooldowns,
 * retries) replaces this choice without changing its callers.
 */
import type { Config } from "../config/config-types.ts";
import { apiError } from "../server/api-error.ts";
import type { Account } from "../store/account.ts";
import { upstreamFor } from "../upstreams/index.ts";
import { PROVIDERS } from "../providers/registry.ts";
import type { Upstream } from "../upstreams/upstream.ts";
import type { DialectId } from "../dialects/codec.ts";

export interface Resolved {
  account: Account;
  upstream: Upstream;
  /** The name the upstream knows the model by. */
  upstreamModel: string;
}

/** Edit distance, for suggesting the model the client probably meant. */
function distance(a: string, b: string): number {
  const row = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    let previous = row[0];
    row[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const current = row[j];
      row[j] = Math.min(row[j] + 1, row[j - 1] + 1, previous + (a[i - 1] === b[j - 1] ? 0 : 1));
      previous = current;
    }
  }
  return row[b.length];
}

export function closestModels(model: string, available: string[], count = 3): string[] {
  return [...new Set(available)]
    .map((name) => ({ name, score: distance(model.toLowerCase(), name.toLowerCase()) }))
    .sort((a, b) => a.score - b.score || a.name.localeCompare(b.name))
    .slice(0, count)
    .map((entry) => entry.name);
}

/** The accounts that serve `model` and that subgate can reach, in their listed order. */
export function candidatesFor(
  accounts: readonly Account[],
  model: string,
  providers: Config["providers"],
): Account[] {
  const usable = accounts.filter((a) => !a.disabled && !a.needsLogin);
  const candidates = usable.filter((a) => a.models.includes(model) && upstreamFor(a, providers));
  if (candidates.length) return candidates;
  // `claude/claude-sonnet-4-6` pins the provider: only its accounts serve the model.
  const pinned = pinnedModel(model);
  if (pinned) {
    const onProvider = usable.filter((a) =>
      a.provider === pinned.provider && a.models.includes(pinned.model) && upstreamFor(a, providers)
    );
    if (onProvider.length) return onProvider;
  }
  return notServed(usable, model);
}

/** `provider/model` split, when the part before the slash names a provider. */
export function pinnedModel(model: string): { provider: string; model: string } | undefined {
  const slash = model.indexOf("/");
  if (slash <= 0) return undefined;
  const provider = model.slice(0, slash);
  return provider in PROVIDERS || provider === "openai-compatibility"
    ? { provider, model: model.slice(slash + 1) }
    : undefined;
}

/** The account's upstream for the model, on the API that suits the client best. */
export function resolvedFor(
  account: Account,
  model: string,
  providers: Config["providers"],
  client: DialectId,
): Resolved {
  const name = account.models.includes(model) ? model : pinnedModel(model)?.model ?? model;
  const upstreamModel = account.upstreamModels?.[name] ?? name;
  const upstream = upstreamFor(account, providers)!;
  return {
    account,
    upstream: upstream.forModel?.(upstreamModel, client) ?? upstream,
    upstreamModel,
  };
}

export function resolveModel(
  accounts: readonly Account[],
  model: string,
  providers: Config["providers"],
  client: DialectId,
): Resolved {
  return resolvedFor(candidatesFor(accounts, model, providers)[0], model, providers, client);
}

function notServed(usable: Account[], model: string): never {
  const listed = usable.some((a) => a.models.includes(model));
  if (listed) {
    throw apiError(
      "not_found",
      `The model '${model}' belongs to a subscription login, which this subgate version cannot ` +
        `forward yet; use an API-key or OpenAI-compatible upstream for it.`,
    );
  }
  const suggestions = closestModels(model, usable.flatMap((a) => a.models));
  throw apiError(
    "not_found",
    `The model '${model}' is not served by any account in subgate.` +
      (suggestions.length
        ? ` Closest available: ${suggestions.join(", ")}.`
        : " No accounts are loaded."),
  );
}
