/**
 * @module
 * The typed configuration subgate runs on, after validation and defaults.
 * YAML keys are kebab-case (CLIProxyAPI's names where the feature matches);
 * fields here are the same names in camelCase.
 */
import type { LogLevel } from "../log/logger.ts";
import type { KeyKindId, ProviderOverrides } from "../providers/registry.ts";

export interface ModelEntry {
  /** The upstream's model name, or a wildcard (`claude-*`) routing every matching name here. */
  name: string;
  /** A second name clients may use for it (the upstream's name keeps working). */
  alias?: string;
}

/** One entry of an `api-key` section (`claude-api-key`, `gemini-api-key`, `codex-api-key`). */
export interface ApiKeyEntry {
  apiKey: string;
  baseUrl?: string;
  prefix?: string;
  models: ModelEntry[];
  excludedModels: string[];
  headers: Record<string, string>;
}

/** One named OpenAI-compatible upstream (`openai-compatibility`). */
export interface OpenAICompatibilityEntry {
  name: string;
  baseUrl: string;
  disabled: boolean;
  prefix?: string;
  apiKeyEntries: { apiKey: string }[];
  models: ModelEntry[];
  headers: Record<string, string>;
}

/** A client key's limits (`api-keys[].limits`); an absent one does not apply. */
export interface KeyLimits {
  requestsPerMinute?: number;
  requestsPerDay?: number;
  tokensPerDay?: number;
}

/** One client key (`api-keys`): a plain string in the file is `{name: "key-<n>", key}`. */
export interface ClientKeyEntry {
  /** Not secret: logs, the usage ledger and refusals name the key by it. */
  name: string;
  /** The key itself; or, so a config holds no plaintext, */
  key?: string;
  /** the hex SHA-256 of the key (lowercase). Exactly one of the two is set. */
  keySha256?: string;
  /** Model-name patterns the key may use; absent: every model. */
  models?: string[];
  limits: KeyLimits;
  /** When the key stops working (epoch ms). */
  expires?: number;
}

export interface Config {
  host: string;
  port: number;
  authDir: string;
  apiKeys: ClientKeyEntry[];
  /**
   * The management API's key (`management-key`, or `SUBGATE_MANAGEMENT_KEY`, which wins); without
   * one, `/manage/` and `/metrics` answer loopback connections only.
   */
  managementKey?: string;
  /** Peers whose `X-Forwarded-For` is believed (addresses and CIDR ranges, as written). */
  trustedProxies: string[];
  logLevel: LogLevel;
  /** Largest request body accepted, in bytes. */
  bodyLimit: number;
  /** Largest upstream answer read whole (a plain answer, an error body, a collected stream). */
  upstreamBodyLimit: number;
  /** Largest single event of an upstream stream subgate parses. */
  sseEventLimit: number;
  requestRetry: number;
  /** Seconds an upstream may take to start answering before the next account is tried. */
  upstreamTimeout: number;
  /** Seconds a new connection may take to send its first request head; 0: no limit. */
  clientHeaderTimeout: number;
  /**
   * Seconds a kept-alive connection may wait for its next request, and a request body may go
   * without a byte arriving; 0: no limit. Never applies while a response is being sent.
   */
  clientIdleTimeout: number;
  /** Each key kind's `api-key` section, by its name (`claude-api-key`, …). */
  apiKeyEntries: Partial<Record<KeyKindId, ApiKeyEntry[]>>;
  openaiCompatibility: OpenAICompatibilityEntry[];
  providers: ProviderOverrides;
  routing: { strategy: "round-robin" | "fill-first" | "quota"; sessionAffinity: boolean };
  /** Browser origins given CORS headers (`"*"`: any); none, the default, adds no CORS headers. */
  cors: { allowOrigins: string[] };
  /** The usage ledger: seconds its per-request rows are kept (its hourly sums are kept for good). */
  usage: { retention: number };
  /**
   * A shared PostgreSQL database (`store`, or `SUBGATE_STORE_URL`, which wins) holding accounts,
   * tokens, rests, quota readings, the usage ledger and client keys for several instances;
   * absent: the auth dir and the embedded usage database.
   */
  store?: string;
  /** This instance's name in leases, logs and the management API (`instance-name`). */
  instanceName?: string;
  /** Token fields of account files encrypted with `SUBGATE_STORE_KEY` (`token-encryption`). */
  tokenEncryption: boolean;
  /** Seconds a token request may take before it is given up (`refresh-timeout`). */
  refreshTimeout: number;
}

/** Values given on the command line; they win over the file. */
export interface ConfigOverrides {
  host?: string;
  port?: number;
  authDir?: string;
}
