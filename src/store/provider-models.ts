/**
 * @module
 * `providers.<name>.models` and `excluded-models` applied to that provider's
 * logins: the configured list replaces the built-in one (model lists change
 * faster than releases; wildcards in it are routing patterns), and exclusions
 * (the provider's and each file's own) take models out.
 */
import type { Config } from "../config/config-types.ts";
import { withoutExcluded } from "../models/match-model.ts";
import type { LoginAccount } from "./account.ts";

export function withProviderModels(
  accounts: readonly LoginAccount[],
  providers: Config["providers"],
): LoginAccount[] {
  return accounts.map((account) => {
    const override = providers[account.provider];
    if (!override?.models && !override?.excludedModels) return account;
    const excluded = [...(override.excludedModels ?? []), ...(account.excludedModels ?? [])];
    const configured = override.models?.filter((name) => !name.includes("*"));
    const patterns = override.models?.filter((name) => name.includes("*"));
    return {
      ...account,
      models: withoutExcluded(configured ?? account.models, excluded),
      modelSource: override.models ? "config" : account.modelSource,
      patterns: patterns?.length ? patterns : account.patterns,
      excludedModels: excluded,
    };
  });
}
