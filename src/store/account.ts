/**
 * @module
 * An account: one credential subgate can route requests to, either a login
 * (a token file in the auth dir) or a key from the config. The two are one
 * union keyed on `kind`, so code that needs a login's file narrows to it.
 */
import type { AccountProvider, KeyKindId, ProviderId } from "../providers/registry.ts";

/** What every account has, whichever way it reaches its upstream. */
interface AccountBase {
  /** Stable identity: `file:<name>` or `config:<key path>`. */
  id: string;
  /** The provider its models belong to (`claude`, `codex`, …, or `openai-compatibility`). */
  provider: AccountProvider;
  /** What a person recognises: the email, account id or config entry name. Never a secret. */
  label: string;
  expiresAt?: Date;
  disabled: boolean;
  /** A refresh was refused for good: the user must log in again. Left out of routing. */
  needsLogin: boolean;
  lastRefresh?: Date;
  /** The last refresh failure, as a sentence without secrets. */
  lastError?: string;
  /** Model names clients may ask for on this account (listed by `GET /v1/models`). */
  models: string[];
  /**
   * Where `models` came from: the provider's built-in seed, which the upstream's own list
   * replaces once it answers, or the config (which the upstream's list never overrides).
   */
  modelSource: "built-in" | "config";
  /** Wildcard names (`claude-*`) this account also serves: routing patterns, never listed. */
  patterns?: string[];
  /** Names this account never serves (wildcards): the config's and the file's exclusions. */
  excludedModels?: string[];
  /** The entry's `prefix`: clients ask for `<prefix>/<model>`, the upstream gets `<model>`. */
  prefix?: string;
  /** Upstream model name → the API paths the upstream serves it on, when it said (Copilot). */
  modelEndpoints?: Record<string, string[]>;
  /** Client-visible name → the upstream's name, where they differ (aliases, prefixes). */
  upstreamModels?: Record<string, string>;
  ownedBy: string;
  /** Token data as stored (access/refresh tokens, keys). Never logged or printed. */
  credentials: Readonly<Record<string, unknown>>;
}

/** A subscription login: an OAuth token file in the auth dir. */
export interface LoginAccount extends AccountBase {
  kind: "oauth";
  source: "file";
  provider: ProviderId;
  /** The token file's name inside the auth dir. */
  file: string;
  /** Linked import: the vendor CLI's file holds the tokens. */
  linked?: {
    tool: string;
    path: string;
    /** Where the vendor file really is (after symlinks), once read. */
    realPath?: string;
    /** The vendor file resolves outside the home dir: worth a second look. */
    outsideHome?: boolean;
  };
}

/** A key (or a named OpenAI-compatible upstream) from the config. */
export interface KeyAccount extends AccountBase {
  kind: KeyKindId;
  source: "config";
  file?: undefined;
  linked?: undefined;
}

export type Account = LoginAccount | KeyAccount;

export function isLoginAccount(account: Account): account is LoginAccount {
  return account.kind === "oauth";
}

export type AccountStatus = "ready" | "expired" | "disabled" | "needs login";

export function accountStatus(account: Account, now = Date.now()): AccountStatus {
  if (account.disabled) return "disabled";
  if (account.needsLogin) return "needs login";
  if (account.expiresAt && account.expiresAt.getTime() <= now) return "expired";
  return "ready";
}
