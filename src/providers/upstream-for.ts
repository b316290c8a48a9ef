/**
 * @module
 * The upstream for an account, looked up in the registry: a login's provider
 * builds it with the config's `providers.<name>` applied, a key kind builds
 * it from the entry's own key, base URL and headers.
 */
import type { Upstream, UpstreamAccount } from "../upstreams/upstream.ts";
import {
  KEY_KINDS,
  type KeyKindId,
  type ProviderId,
  type ProviderOverrides,
  PROVIDERS,
} from "./registry.ts";

/** What the lookup needs of an account (the store's accounts have this shape and more). */
export type RoutedAccount =
  & UpstreamAccount
  & ({ kind: "oauth"; provider: ProviderId } | { kind: KeyKindId });

/** Key kinds' upstreams, built once per account value (a config reload makes new ones). */
const keyUpstreams = new WeakMap<RoutedAccount, Upstream>();

/** The account's upstream, or undefined when subgate cannot reach its provider yet. */
export function upstreamFor(
  account: RoutedAccount,
  overrides: ProviderOverrides = {},
): Upstream | undefined {
  if (account.kind === "oauth") {
    // Built per call: each token refresh makes a new account value.
    const provider = PROVIDERS[account.provider];
    return provider.upstream?.(account, overrides[account.provider]);
  }
  const known = keyUpstreams.get(account);
  if (known) return known;
  const upstream = KEY_KINDS[account.kind].upstream(account);
  keyUpstreams.set(account, upstream);
  return upstream;
}
