/**
 * @module
 * The models the live accounts can serve, and their three list shapes.
 */

/** What the list needs of an account (the store's accounts have this shape and more). */
export interface ListedAccount {
  provider: string;
  disabled: boolean;
  needsLogin: boolean;
  models: readonly string[];
  ownedBy: string;
}

export interface ListedModel {
  id: string;
  ownedBy: string;
  providers: string[];
}

/** Every model some usable account serves, once, sorted by name. */
export function listModels(accounts: readonly ListedAccount[]): ListedModel[] {
  const byId = new Map<string, ListedModel>();
  for (const account of accounts) {
    if (account.disabled || account.needsLogin) continue;
    for (const id of account.models) {
      const known = byId.get(id);
      if (!known) byId.set(id, { id, ownedBy: account.ownedBy, providers: [account.provider] });
      else if (!known.providers.includes(account.provider)) known.providers.push(account.provider);
    }
  }
  return [...byId.values()].sort((a, b) => a.id.localeCompare(b.id));
}

// Upstream release dates are not known here; a fixed epoch keeps lists stable.
const CREATED_AT = "1970-01-01T00:00:00Z";

export function openaiModel(model: ListedModel) {
  return { id: model.id, object: "model", created: 0, owned_by: model.ownedBy };
}

export function openaiModelList(models: ListedModel[]) {
  return { object: "list", data: models.map(openaiModel) };
}

export function anthropicModel(model: ListedModel) {
  return { type: "model", id: model.id, display_name: model.id, created_at: CREATED_AT };
}

export function anthropicModelList(models: ListedModel[]) {
  return {
    data: models.map(anthropicModel),
    has_more: false,
    first_id: models[0]?.id ?? null,
    last_id: models.at(-1)?.id ?? null,
  };
}

export function geminiModel(model: ListedModel) {
  return {
    name: `models/${model.id}`,
    baseModelId: model.id,
    version: "001",
    displayName: model.id,
    supportedGenerationMethods: ["generateContent", "streamGenerateContent", "countTokens"],
  };
}

export function geminiModelList(models: ListedModel[]) {
  return { models: models.map(geminiModel) };
}
