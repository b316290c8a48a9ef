/**
 * @module
 * Finds the config file, reads and validates it, and merges it with the
 * defaults and the command-line overrides (flags > file > defaults).
 */
import { dirname } from "node:path";
import type { LogLevel } from "../log/logger.ts";
import type { ProviderOverride } from "../providers/provider-override.ts";
import {
  API_KEY_KIND_IDS,
  isProviderId,
  KEY_KINDS,
  type ProviderOverrides,
} from "../providers/registry.ts";
import type {
  ApiKeyEntry,
  ClientKeyEntry,
  Config,
  ConfigOverrides,
  ModelEntry,
  OpenAICompatibilityEntry,
} from "./config-types.ts";
import { CONFIG_FILE_NAME, DEFAULT_AUTH_DIR, defaultConfig } from "./defaults.ts";
import { expandPath } from "./paths.ts";
import { CONFIG_SPEC, positionalKeyName } from "./schema.ts";
import { camelCase, type ConfigProblem, validateYaml } from "./validate.ts";

/** The shared database's URL, when set in the environment (it wins over `store`). */
export const STORE_URL_ENV = "SUBGATE_STORE_URL";

/** Where the config comes from, and whether a missing file is an error. */
export interface ConfigLocation {
  path: string;
  /** True when the user named the file (flag or env), so it must exist. */
  explicit: boolean;
  /** How it was chosen, for messages: `--config`, `SUBGATE_CONFIG` or `auth dir`. */
  source: string;
}

/** `  line 3: port: must be a whole number…` (line and key only when known). */
export function formatProblem(problem: ConfigProblem): string {
  const where = problem.line > 0 ? `line ${problem.line}: ` : "";
  return `  ${where}${problem.path ? problem.path + ": " : ""}${problem.message}`;
}

export class ConfigError extends Error {
  constructor(readonly file: string, readonly problems: ConfigProblem[]) {
    super(`invalid config ${file}:\n${problems.map(formatProblem).join("\n")}`);
    this.name = "ConfigError";
  }
}

export interface LoadedConfig {
  config: Config;
  /** The file the config came from, or undefined when running on defaults. */
  file?: string;
  warnings: ConfigProblem[];
  /** The file's text (teams merge it with the shared config's); absent without a file. */
  text?: string;
}

/** `--config`, else `$SUBGATE_CONFIG`, else `<auth-dir>/config.yaml`. */
export function locateConfig(flagPath: string | undefined, authDirFlag?: string): ConfigLocation {
  if (flagPath) return { path: expandPath(flagPath), explicit: true, source: "--config" };
  const fromEnv = Deno.env.get("SUBGATE_CONFIG");
  if (fromEnv) return { path: expandPath(fromEnv), explicit: true, source: "SUBGATE_CONFIG" };
  const authDir = expandPath(authDirFlag ?? DEFAULT_AUTH_DIR);
  return { path: `${authDir}/${CONFIG_FILE_NAME}`, explicit: false, source: "auth dir" };
}

type Raw = Record<string, unknown>;

function models(raw: unknown): ModelEntry[] {
  return ((raw as Raw[] | undefined) ?? []).map((m) => ({
    name: m.name as string,
    alias: m.alias as string | undefined,
  }));
}

function headers(raw: unknown): Record<string, string> {
  return { ...(raw as Record<string, string> | undefined) };
}

function apiKeyEntries(raw: unknown): ApiKeyEntry[] {
  return ((raw as Raw[] | undefined) ?? []).map((entry) => ({
    apiKey: entry.apiKey as string,
    baseUrl: entry.baseUrl as string | undefined,
    prefix: entry.prefix as string | undefined,
    models: models(entry.models),
    excludedModels: (entry.excludedModels as string[] | undefined) ?? [],
    headers: headers(entry.headers),
  }));
}

function compatibilityEntries(raw: unknown): OpenAICompatibilityEntry[] {
  return ((raw as Raw[] | undefined) ?? []).map((entry) => ({
    name: entry.name as string,
    baseUrl: entry.baseUrl as string,
    disabled: (entry.disabled as boolean | undefined) ?? false,
    prefix: entry.prefix as string | undefined,
    apiKeyEntries: ((entry.apiKeyEntries as Raw[] | undefined) ?? []).map((k) => ({
      apiKey: k.apiKey as string,
    })),
    models: models(entry.models),
    headers: headers(entry.headers),
  }));
}

/** `api-keys`: a plain string is `{key}`; an entry without a name is named by its place. */
function clientKeys(raw: unknown): ClientKeyEntry[] | undefined {
  return (raw as Raw[] | undefined)?.map((entry, index) => ({
    name: (entry.name as string | undefined) ?? positionalKeyName(index),
    key: entry.key as string | undefined,
    keySha256: (entry.keySha256 as string | undefined)?.toLowerCase(),
    models: entry.models as string[] | undefined,
    limits: { ...(entry.limits as ClientKeyEntry["limits"] | undefined) },
    expires: entry.expires as number | undefined,
  }));
}

/** The value of a key kind's environment variable, when it is set (and readable). */
function envKeyOf(name: string | undefined): string | undefined {
  if (!name) return undefined;
  try {
    return Deno.env.get(name)?.trim() || undefined;
  } catch {
    // Not in the permission set's env allow list: as if unset.
    return undefined;
  }
}

/**
 * Every key kind's `api-key` section, each a list (empty when the file has none), plus the
 * entry a kind's environment variable gives (`GITLAB_TOKEN`), after the file's.
 */
function apiKeySections(raw: Raw): Config["apiKeyEntries"] {
  return Object.fromEntries(API_KEY_KIND_IDS.map((id) => {
    const entries = apiKeyEntries(raw[camelCase(id)]);
    const fromEnv = envKeyOf(KEY_KINDS[id].envKey);
    if (fromEnv && !entries.some((entry) => entry.apiKey === fromEnv && !entry.baseUrl)) {
      entries.push({ apiKey: fromEnv, models: [], excludedModels: [], headers: {} });
    }
    return [id, entries];
  }));
}

function providerOverrides(raw: unknown): ProviderOverrides {
  const out: ProviderOverrides = {};
  for (const [name, value] of Object.entries((raw as Record<string, Raw> | undefined) ?? {})) {
    // The schema accepts only the registry's provider names here.
    if (!isProviderId(name)) continue;
    const listed = value.models as { name: string }[] | undefined;
    out[name] = {
      ...(value as Omit<ProviderOverride, "headers" | "models">),
      models: listed?.map((model) => model.name),
      headers: headers(value.headers),
    };
  }
  return out;
}

/** Builds a Config from validated file values, defaults and overrides. */
export function buildConfig(raw: Raw, overrides: ConfigOverrides, fileDir?: string): Config {
  const base = defaultConfig();
  const authDirText = overrides.authDir ?? (raw.authDir as string | undefined);
  const authDirBase = overrides.authDir ? Deno.cwd() : fileDir;
  return {
    host: overrides.host ?? (raw.host as string | undefined) ?? base.host,
    port: overrides.port ?? (raw.port as number | undefined) ?? base.port,
    authDir: expandPath(authDirText ?? base.authDir, authDirBase),
    apiKeys: clientKeys(raw.apiKeys) ?? base.apiKeys,
    managementKey: Deno.env.get("SUBGATE_MANAGEMENT_KEY") ||
      (raw.managementKey as string | undefined) || undefined,
    trustedProxies: (raw.trustedProxies as string[] | undefined) ?? base.trustedProxies,
    logLevel: (raw.logLevel as LogLevel | undefined) ?? base.logLevel,
    bodyLimit: (raw.bodyLimit as number | undefined) ?? base.bodyLimit,
    upstreamBodyLimit: (raw.upstreamBodyLimit as number | undefined) ?? base.upstreamBodyLimit,
    sseEventLimit: (raw.sseEventLimit as number | undefined) ?? base.sseEventLimit,
    requestRetry: (raw.requestRetry as number | undefined) ?? base.requestRetry,
    upstreamTimeout: (raw.upstreamTimeout as number | undefined) ?? base.upstreamTimeout,
    clientHeaderTimeout: (raw.clientHeaderTimeout as number | undefined) ??
      base.clientHeaderTimeout,
    clientIdleTimeout: (raw.clientIdleTimeout as number | undefined) ?? base.clientIdleTimeout,
    apiKeyEntries: apiKeySections(raw),
    openaiCompatibility: compatibilityEntries(raw.openaiCompatibility),
    providers: providerOverrides(raw.providers),
    routing: {
      strategy: ((raw.routing as Raw | undefined)?.strategy as Config["routing"]["strategy"]) ??
        base.routing.strategy,
      sessionAffinity: ((raw.routing as Raw | undefined)?.sessionAffinity as boolean | undefined) ??
        base.routing.sessionAffinity,
    },
    cors: {
      allowOrigins: ((raw.cors as Raw | undefined)?.allowOrigins as string[] | undefined) ??
        base.cors.allowOrigins,
    },
    usage: {
      retention: ((raw.usage as Raw | undefined)?.retention as number | undefined) ??
        base.usage.retention,
    },
    store: envKeyOf(STORE_URL_ENV) || (raw.store as string | undefined) || undefined,
    instanceName: (raw.instanceName as string | undefined) || undefined,
    tokenEncryption: (raw.tokenEncryption as boolean | undefined) ?? base.tokenEncryption,
    refreshTimeout: (raw.refreshTimeout as number | undefined) ?? base.refreshTimeout,
  };
}

/** Validates config text; throws ConfigError naming every problem's key and line. */
export function parseConfigText(
  text: string,
  file: string,
  overrides: ConfigOverrides,
): LoadedConfig {
  const { value, problems, warnings } = validateYaml(text, CONFIG_SPEC);
  if (problems.length) throw new ConfigError(file, problems);
  return { config: buildConfig(value, overrides, dirname(file)), file, warnings, text };
}

/** Loads the config at `location`, or the defaults when an implicit file is absent. */
export async function loadConfig(
  location: ConfigLocation,
  overrides: ConfigOverrides,
): Promise<LoadedConfig> {
  let text: string;
  try {
    text = await Deno.readTextFile(location.path);
  } catch (error) {
    if (error instanceof Deno.errors.NotFound && !location.explicit) {
      return { config: buildConfig({}, overrides), warnings: [] };
    }
    if (error instanceof Deno.errors.NotFound) {
      throw new ConfigError(location.path, [{
        path: "",
        line: 0,
        message: `the file named by ${location.source} does not exist`,
      }]);
    }
    throw new ConfigError(location.path, [{
      path: "",
      line: 0,
      message: `cannot read the file: ${(error as Error).message}`,
    }]);
  }
  return parseConfigText(text, location.path, overrides);
}
