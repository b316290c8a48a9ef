/**
 * @module
 * Which accounts may serve a model, best first. subgate does not decide
 * which names exist: the upstream does. So a name goes, in this order, to
 *
 * 1. the accounts whose list names it (their upstream's own list, the
 *    config's names and aliases, or a wildcard such as `claude-*`);
 * 2. for a name no list knows, the accounts of the provider whose family
 *    owns it (`claude-*` to Anthropic keys and Claude logins, `gemini-*` to
 *    Google, `gpt-*` to OpenAI …), or with `provider/model` every account of
 *    that provider;
 * 3. then the aggregators that serve that family under names of their own
 *    (Copilot),
 *
 * and the upstream's answer, a 404 included, reaches the client. subgate
 * answers 404 itself only for a name that no list, pattern or family claims,
 * and 401 when every account that could serve it needs a login.
 */
import type { Config } from "../config/config-types.ts";
import { apiError, type ApiErrorException } from "../errors/api-error.ts";
import type { Account } from "../store/account.ts";
import { upstreamFor } from "../providers/upstream-for.ts";
import { KEY_KIND_LIST, PROVIDER_IDS, PROVIDERS } from "../providers/registry.ts";
import type { ProviderId } from "../providers/registry.ts";
import type { Upstream } from "../upstreams/upstream.ts";
import type { DialectId } from "../dialects/codec.ts";
import { matchesModel } from "../models/match-model.ts";
import { suggestModels } from "../models/suggest-models.ts";

export interface Resolved {
  account: Account;
  upstream: Upstream;
  /** The name the upstream knows the model by. */
  upstreamModel: string;
}

/** Whether `name` may stand before a slash to pin a provider (`claude/…`). */
export function pinProvider(name: string): boolean {
  // A login provider, or what a key kind serves (`openai-compatibility`, `gitlab`).
  return name in PROVIDERS || KEY_KIND_LIST.some((kind) => kind.provider === name);
}

/** `provider/model` split, when the part before the slash names a provider. */
export function pinnedModel(model: string): { provider: string; model: string } | undefined {
  const slash = model.indexOf("/");
  if (slash <= 0) return undefined;
  const provider = model.slice(0, slash);
  return pinProvider(provider) ? { provider, model: model.slice(slash + 1) } : undefined;
}

/** The provider whose own API serves names like this one (`claude-*` → claude). */
export function familyOf(model: string): ProviderId | undefined {
  return PROVIDER_IDS.find((id) => PROVIDERS[id].family?.test(model));
}

/** Whether the account's list or one of its patterns names the model. */
function lists(account: Account, model: string): boolean {
  return account.models.includes(model) ||
    (account.patterns?.some((pattern) => matchesModel(pattern, model)) ?? false);
}

function excludes(account: Account, model: string): boolean {
  return account.excludedModels?.some((pattern) => matchesModel(pattern, model)) ?? false;
}

const usable = (account: Account) => !account.disabled && !account.needsLogin;

/**
 * The accounts that may serve `model`, in tiers (the strategy rotates within a tier, never
 * across): those listing it, then the family's own accounts, then aggregators. Throws 404 when
 * nothing claims the name, 401 when every account that could serve it needs a login.
 */
export function candidatesFor(
  accounts: readonly Account[],
  model: string,
  providers: Config["providers"],
): Account[][] {
  const pinned = pinnedModel(model);
  const name = pinned?.model ?? model;
  const family = pinned ? undefined : familyOf(name);
  const reachable = accounts.filter((account) =>
    (!pinned || account.provider === pinned.provider) && !excludes(account, name) &&
    upstreamFor(account, providers) !== undefined
  );
  const listing = reachable.filter((account) => lists(account, model) || lists(account, name));
  const rest = reachable.filter((account) => !listing.includes(account));
  const own = pinned ? rest : rest.filter((account) => family && account.provider === family);
  const aggregators = family
    ? rest.filter((account) => PROVIDERS[account.provider as ProviderId]?.aggregates === true)
    : [];
  const tiers = [listing, own, aggregators];
  if (tiers.every((tier) => tier.length === 0)) throw notServed(accounts, model, family);
  const ready = tiers.map((tier) => tier.filter(usable)).filter((tier) => tier.length > 0);
  if (ready.length === 0) throw needsAttention(model, tiers.flat());
  return ready;
}

/** The account's upstream for the model, on the API that suits the client best. */
export function resolvedFor(
  account: Account,
  model: string,
  providers: Config["providers"],
  client: DialectId,
): Resolved {
  const pinned = pinnedModel(model);
  const name = !lists(account, model) && pinned?.provider === account.provider
    ? pinned.model
    : model;
  const prefix = account.prefix ? `${account.prefix}/` : "";
  const upstreamModel = account.upstreamModels?.[name] ??
    (prefix && name.startsWith(prefix) ? name.slice(prefix.length) : name);
  const upstream = upstreamFor(account, providers)!;
  return {
    account,
    upstream: upstream.forModel?.(upstreamModel, client) ?? upstream,
    upstreamModel,
  };
}

/** The first account that may serve the model (for a token count). */
export function resolveModel(
  accounts: readonly Account[],
  model: string,
  providers: Config["providers"],
  client: DialectId,
): Resolved {
  return resolvedFor(candidatesFor(accounts, model, providers)[0][0], model, providers, client);
}

/** What to do to add an account of a provider. */
function howToAdd(provider: ProviderId): string {
  const key = KEY_KIND_LIST.find((kind) =>
    kind.provider === provider && kind.entries === "api-key"
  );
  const login = `run \`subgate login ${provider}\``;
  return key ? `add a ${key.id} entry to config.yaml, or ${login}` : login;
}

function notServed(
  accounts: readonly Account[],
  model: string,
  family: ProviderId | undefined,
): ApiErrorException {
  if (family) {
    return apiError(
      "not_found",
      `The model '${model}' is not served by any account in subgate: it is a ` +
        `${PROVIDERS[family].title} model and no such account is set up (${howToAdd(family)}).`,
    );
  }
  const ready = accounts.filter(usable);
  const suggestions = suggestModels(model, ready.flatMap((account) => account.models));
  return apiError(
    "not_found",
    `The model '${model}' is not served by any account in subgate.` +
      (suggestions.length
        ? ` Closest available: ${suggestions.join(", ")}.`
        : ready.length
        ? " See GET /v1/models for the models served."
        : " No accounts are loaded."),
  );
}

/** Every account that could serve the model needs a login or is disabled: say which and how. */
function needsAttention(model: string, accounts: readonly Account[]): ApiErrorException {
  const each = accounts.map((account) => {
    const who = `${account.provider} account ${account.label}`;
    if (account.needsLogin) {
      return `${who} needs login (run \`subgate login ${account.provider}\`)`;
    }
    return `${who} is disabled` + (account.file ? ` (in ${account.file})` : "");
  });
  return apiError(
    "authentication",
    `No account can serve '${model}' now: ${each.join("; ")}.`,
  );
}
