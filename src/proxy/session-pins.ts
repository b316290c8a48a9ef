/**
 * @module
 * Pins a client sets on its requests with headers, as `subgate run --model/--provider/--account`
 * does for a session: `x-subgate-model` serves the request with that model whatever the body
 * names (a CLI's side requests for titles or routing included); `x-subgate-provider` routes it
 * to that provider's accounts, as a `provider/model` name does; `x-subgate-account` to the
 * accounts with that label or file name (and so to their provider). A pin chooses among the
 * user's own accounts and models: the key's allowlist applies to the pinned model, and the
 * headers never go upstream (`forward-headers.ts`).
 */
import { apiError } from "../errors/api-error.ts";
import type { Account } from "../store/account.ts";
import { pinnedModel, pinProvider } from "./resolve-model.ts";

export const PIN_HEADERS = {
  model: "x-subgate-model",
  provider: "x-subgate-provider",
  account: "x-subgate-account",
} as const;

export interface Pins {
  model?: string;
  provider?: string;
  account?: string;
}

/** The pins a request carries (none: an empty object). */
export function pinsOf(headers: Headers): Pins {
  const pins: Pins = {};
  for (const [pin, header] of Object.entries(PIN_HEADERS) as [keyof Pins, string][]) {
    const value = headers.get(header)?.trim();
    if (value) pins[pin] = value;
  }
  return pins;
}

/** Whether `account` is the one `name` pins: its label (with or without the host), or file. */
export function isPinnedAccount(account: Account, name: string): boolean {
  const bare = account.label.replace(/ \([^)]*\)$/, "");
  return account.label === name || bare === name || account.file === name;
}

/**
 * The accounts a request may use, and the model it is served with, after its pins. Throws 400
 * for a provider no account type has, 404 for an account pin that names no account.
 */
export function applyPins(
  accounts: readonly Account[],
  model: string,
  pins: Pins,
): { accounts: readonly Account[]; model: string } {
  let served = pins.model ?? model;
  let pool = accounts;
  let provider = pins.provider;
  if (provider !== undefined && !pinProvider(provider)) {
    throw apiError(
      "invalid_request",
      `${PIN_HEADERS.provider}: '${provider}' is not a provider subgate serves.`,
    );
  }
  if (pins.account !== undefined) {
    const name = pins.account;
    pool = accounts.filter((account) => isPinnedAccount(account, name));
    if (pool.length === 0) {
      throw apiError(
        "not_found",
        `${PIN_HEADERS.account}: no account is named '${name}' (see \`subgate accounts\`).`,
      );
    }
    const providers = new Set(pool.map((account) => account.provider));
    if (provider === undefined && providers.size === 1) provider = pool[0].provider;
  }
  if (provider !== undefined && !pinnedModel(served)) served = `${provider}/${served}`;
  return { accounts: pool, model: served };
}
