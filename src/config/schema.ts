/**
 * @module
 * Every config key, as data: its type, and the CLIProxyAPI keys subgate
 * accepts but does not use (so a carried-over config loads with a warning
 * instead of failing). `validate.ts` walks a YAML document against this.
 */
import { createHash } from "node:crypto";
import { API_KEY_KIND_IDS, PROVIDER_IDS } from "../providers/registry.ts";

/** A problem a list's own check finds with one of its items. */
export interface ItemProblem {
  index: number;
  message: string;
}

export type Spec =
  | {
    kind: "string";
    allowEmpty?: boolean;
    /** The text must match; `patternMessage` says how (never quoting the value). */
    pattern?: RegExp;
    patternMessage?: string;
  }
  | { kind: "int"; min: number; max: number }
  | { kind: "bool" }
  | { kind: "url" }
  /** A browser origin, `scheme://host[:port]`, or `*`. */
  | { kind: "origin" }
  /** An IP address or CIDR range (`10.0.0.0/8`, `::1`). */
  | { kind: "ipRange" }
  | { kind: "enum"; values: readonly string[] }
  | { kind: "size" }
  /** Seconds; `min`, when set, is the shortest accepted. */
  | { kind: "duration"; min?: number }
  /** An RFC 3339 date (`2027-01-01`, its first moment in UTC) or date-time; epoch ms. */
  | { kind: "datetime" }
  /** `check` looks at the valid items together (duplicates, say). */
  | { kind: "list"; of: Spec; check?: (items: unknown[]) => ItemProblem[] }
  /** A plain string standing for `{<field>: <string>}` (`name` by default), or the object `of` describes. */
  | { kind: "nameOr"; of: Spec; field?: string }
  | { kind: "map"; of: Spec; keys?: readonly string[] }
  | {
    kind: "object";
    fields: Record<string, Spec>;
    required?: readonly string[];
    /** Keys accepted with a warning, mapped to why they have no effect. */
    ignored?: Record<string, string>;
    /** A problem with the fields together (camelCased, all valid), reported at the mapping. */
    check?: (value: Record<string, unknown>) => string | undefined;
  };

const NOT_YET = "a CLIProxyAPI setting subgate does not use";
const NO_CLOAK = "subgate never disguises one client as another";

const headers: Spec = { kind: "map", of: { kind: "string", allowEmpty: true } };

const modelObject: Spec = {
  kind: "object",
  fields: { name: { kind: "string" }, alias: { kind: "string" } },
  required: ["name"],
  ignored: Object.fromEntries(
    [
      "display-name",
      "max-context-length",
      "force-mapping",
      "image",
      "input-modalities",
      "output-modalities",
      "is-compat",
      "thinking",
    ].map((key) => [key, NOT_YET]),
  ),
};

/** `models:` entries: `claude-sonnet-4-6`, or `{name: claude-sonnet-4-6, alias: sonnet}`. */
const model: Spec = { kind: "nameOr", of: modelObject };

const apiKeyEntry: Spec = {
  kind: "object",
  fields: {
    "api-key": { kind: "string" },
    "base-url": { kind: "url" },
    prefix: { kind: "string" },
    models: { kind: "list", of: model },
    "excluded-models": { kind: "list", of: { kind: "string" } },
    headers,
  },
  required: ["api-key"],
  ignored: {
    ...Object.fromEntries(
      [
        "weight",
        "priority",
        "disable-cooling",
        "request-retry",
        "request-scoped-errors",
        "proxy-url",
        "alpha-search",
        "websockets",
      ].map((key) => [key, NOT_YET]),
    ),
    cloak: NO_CLOAK,
    "fingerprint-profile": NO_CLOAK,
    "experimental-cch-signing": NO_CLOAK,
    "rebuild-mid-system-message": NOT_YET,
  },
};

const openaiCompatibility: Spec = {
  kind: "object",
  fields: {
    name: { kind: "string" },
    "base-url": { kind: "url" },
    disabled: { kind: "bool" },
    prefix: { kind: "string" },
    "api-key-entries": {
      kind: "list",
      of: {
        kind: "object",
        fields: { "api-key": { kind: "string" } },
        required: ["api-key"],
        ignored: { weight: NOT_YET, "proxy-url": NOT_YET },
      },
    },
    models: { kind: "list", of: model },
    headers,
  },
  required: ["name", "base-url"],
  ignored: Object.fromEntries(
    ["support-prompt-cache-key", "disable-cooling", "request-retry", "request-scoped-errors"].map(
      (key) => [key, NOT_YET],
    ),
  ),
};

const providerOverride: Spec = {
  kind: "object",
  fields: {
    "base-url": { kind: "url" },
    "api-url": { kind: "url" },
    "authorize-url": { kind: "url" },
    "token-url": { kind: "url" },
    "device-url": { kind: "url" },
    "manual-redirect-url": { kind: "url" },
    issuer: { kind: "url" },
    "client-id": { kind: "string" },
    "refresh-lead": { kind: "duration" },
    // How often each login's usage endpoint is asked; the provider's own pace when absent.
    "quota-poll": { kind: "duration", min: 1 },
    models: {
      kind: "list",
      of: {
        kind: "nameOr",
        of: { kind: "object", fields: { name: { kind: "string" } }, required: ["name"] },
      },
    },
    "excluded-models": { kind: "list", of: { kind: "string" } },
    headers,
  },
};

/** An instance's name: shown in leases, logs and the management API. */
export const INSTANCE_NAME = /^[A-Za-z0-9][A-Za-z0-9._:-]{0,62}$/;
export const INSTANCE_NAME_RULE =
  "1 to 63 letters, digits, '.', '_', ':' or '-', starting with a letter or digit";

/** A client key's name: a short label, safe in logs, file names and URLs. */
export const KEY_NAME = /^[A-Za-z0-9][A-Za-z0-9._@-]{0,63}$/;
export const KEY_NAME_RULE =
  "1 to 64 letters, digits, '.', '_', '-' or '@', starting with a letter or digit";

/** The name of an `api-keys` entry that gives none (a plain string): its place in the list. */
export const positionalKeyName = (index: number) => `key-${index + 1}`;

const limit: Spec = { kind: "int", min: 1, max: 1e15 };

const clientKeyObject: Spec = {
  kind: "object",
  fields: {
    name: { kind: "string", pattern: KEY_NAME, patternMessage: `must be ${KEY_NAME_RULE}` },
    key: { kind: "string" },
    "key-sha256": {
      kind: "string",
      pattern: /^[0-9a-fA-F]{64}$/,
      patternMessage: "must be the hex SHA-256 of the key (64 characters 0-9, a-f)",
    },
    models: { kind: "list", of: { kind: "string" } },
    limits: {
      kind: "object",
      fields: {
        "requests-per-minute": limit,
        "requests-per-day": limit,
        "tokens-per-day": limit,
      },
    },
    expires: { kind: "datetime" },
  },
  check: (entry) => {
    if ((entry.key === undefined) === (entry.keySha256 === undefined)) {
      return "needs exactly one of key and key-sha256";
    }
    if (entry.name !== undefined && entry.name === entry.key) {
      return "name: must be a label, not the key itself";
    }
    if (Array.isArray(entry.models) && entry.models.length === 0) {
      return "models: an empty list allows no model; leave it out to allow every model";
    }
    return undefined;
  },
};

/** The hex SHA-256 an entry's key has, however the entry gives it. */
function keyDigest(entry: Record<string, unknown>): string | undefined {
  if (typeof entry.key === "string") return createHash("sha256").update(entry.key).digest("hex");
  return typeof entry.keySha256 === "string" ? entry.keySha256.toLowerCase() : undefined;
}

/** Names and keys must each be unique: the ledger, logs and limits know a key by its name. */
function uniqueClientKeys(items: unknown[]): ItemProblem[] {
  const problems: ItemProblem[] = [];
  const names = new Map<string, number>();
  const digests = new Map<string, number>();
  items.forEach((item, index) => {
    const entry = item as Record<string, unknown>;
    const name = (entry.name as string | undefined) ?? positionalKeyName(index);
    const sameName = names.get(name);
    if (sameName !== undefined) {
      problems.push({ index, message: `name "${name}" is already api-keys[${sameName}]'s` });
    } else names.set(name, index);
    const digest = keyDigest(entry);
    const sameKey = digest === undefined ? undefined : digests.get(digest);
    if (sameKey !== undefined) {
      problems.push({ index, message: `the same key as api-keys[${sameKey}]` });
    } else if (digest !== undefined) digests.set(digest, index);
  });
  return problems;
}

/** CLIProxyAPI top-level keys that load with a warning. */
const IGNORED_TOP_LEVEL: Record<string, string> = {
  ...Object.fromEntries(
    [
      "tls",
      "remote-management",
      "debug",
      "pprof",
      "commercial-mode",
      "logging-to-file",
      "logs-max-total-size-mb",
      "error-logs-max-files",
      "usage-statistics-enabled",
      "redis-usage-queue-retention-seconds",
      "proxy-url",
      "force-model-prefix",
      "passthrough-headers",
      "max-retry-credentials",
      "max-retry-interval",
      "disable-cooling",
      "save-cooldown-status",
      "transient-error-cooldown-seconds",
      "quota-exceeded",
      "ws-auth",
      "nonstream-keepalive-interval",
      "streaming",
      "oauth-model-alias",
      "oauth-excluded-models",
      "oauth-request-scoped-errors",
      "payload",
      "plugins",
      "request-log",
      "auth-auto-refresh-workers",
      "disable-image-generation",
      "gpt-image-2-base-model",
      "video-result-auth-cache-ttl",
      "credential-concurrency",
      "credential-in-flight",
      "vertex-api-key",
      "xai-api-key",
      "interactions-api-key",
      "antigravity",
      "xai",
      "codex",
      "antigravity-signature-cache-enabled",
      "antigravity-signature-bypass-strict",
    ].map((key) => [key, NOT_YET]),
  ),
  "disable-claude-cloak-mode": NO_CLOAK,
  "claude-code": NO_CLOAK,
  "claude-header-defaults": NO_CLOAK,
  "codex-header-defaults": NO_CLOAK,
};

export const CONFIG_SPEC: Spec = {
  kind: "object",
  fields: {
    host: { kind: "string", allowEmpty: true },
    port: { kind: "int", min: 0, max: 65535 },
    "auth-dir": { kind: "string" },
    "api-keys": {
      kind: "list",
      of: { kind: "nameOr", field: "key", of: clientKeyObject },
      check: uniqueClientKeys,
    },
    "management-key": { kind: "string", allowEmpty: true },
    "trusted-proxies": { kind: "list", of: { kind: "ipRange" } },
    "log-level": { kind: "enum", values: ["debug", "info", "warn", "error"] },
    "body-limit": { kind: "size" },
    "upstream-body-limit": { kind: "size" },
    "sse-event-limit": { kind: "size" },
    "request-retry": { kind: "int", min: 0, max: 20 },
    "upstream-timeout": { kind: "duration" },
    "client-header-timeout": { kind: "duration" },
    "client-idle-timeout": { kind: "duration" },
    // One section per key kind with `api-key` entries (`claude-api-key`, …), from the registry.
    ...Object.fromEntries(
      API_KEY_KIND_IDS.map((id): [string, Spec] => [id, { kind: "list", of: apiKeyEntry }]),
    ),
    "openai-compatibility": { kind: "list", of: openaiCompatibility },
    providers: { kind: "map", of: providerOverride, keys: PROVIDER_IDS },
    routing: {
      kind: "object",
      fields: {
        strategy: { kind: "enum", values: ["round-robin", "fill-first", "quota"] },
        "session-affinity": { kind: "bool" },
      },
      ignored: { "session-affinity-ttl": NOT_YET },
    },
    cors: {
      kind: "object",
      fields: { "allow-origins": { kind: "list", of: { kind: "origin" } } },
    },
    usage: {
      kind: "object",
      fields: { retention: { kind: "duration", min: 3600 } },
    },
    store: {
      kind: "string",
      allowEmpty: true,
      pattern: /^$|^(postgres|postgresql):\/\/\S*$/,
      patternMessage: "must be a PostgreSQL URL: postgres://user:password@host:5432/database",
    },
    "instance-name": {
      kind: "string",
      allowEmpty: true,
      pattern: /^$|^[A-Za-z0-9][A-Za-z0-9._:-]{0,62}$/,
      patternMessage: `must be ${INSTANCE_NAME_RULE}`,
    },
    "token-encryption": { kind: "bool" },
    "refresh-timeout": { kind: "duration", min: 1 },
  },
  ignored: IGNORED_TOP_LEVEL,
};
