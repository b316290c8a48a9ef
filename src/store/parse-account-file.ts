/**
 * @module
 * Reads one account file. Files written by CLIProxyAPI load as they are:
 * `type` names the provider; `email`, `account_id`, `expired` (RFC 3339) and
 * the tokens sit at the top level (Gemini CLI's legacy files nest a `token`).
 * Reasons never quote the file's contents: it holds secrets.
 */
import { withoutExcluded } from "../models/match-model.ts";
import { PROVIDER_IDS, providerForFileType } from "../providers/registry.ts";
import type { LoginAccount } from "./account.ts";
import { IN_FLIGHT_KEY, INTERRUPTED } from "./refresh-marks.ts";
import type { Json } from "../ir/json.ts";

export type ParsedAccount = { ok: true; account: LoginAccount } | { ok: false; reason: string };

// CLIProxyAPI's lookup order for expiry, plus the native CLIs' epoch-ms fields.
const EXPIRY_KEYS = ["expired", "expire", "expires_at", "expiresAt", "expiry", "expires"];
const EPOCH_KEYS = ["expiry_date", "expiresAt", "expires_at"];
const CREDENTIAL_KEYS = ["access_token", "refresh_token", "api_key", "oauth_token"];
const LABEL_KEYS = ["email", "account_id", "account_uuid", "user", "login", "sub"];

/** A JSON.parse failure described without quoting the text. */
function describeJsonError(error: unknown, text: string): string {
  const message = error instanceof Error ? error.message : "";
  if (/end of (JSON )?input|Unterminated/i.test(message)) {
    return "invalid JSON: the file ends early (still being written?)";
  }
  const position = /position (\d+)/.exec(message)?.[1];
  if (position !== undefined) {
    const before = text.slice(0, Number(position));
    const line = before.split("\n").length;
    const column = Number(position) - before.lastIndexOf("\n");
    return `invalid JSON at line ${line}, column ${column}`;
  }
  return "invalid JSON";
}

function parseTime(value: unknown): Date | undefined {
  if (typeof value === "number" && Number.isFinite(value) && value > 0) {
    // Seconds and milliseconds both occur; anything past 10^12 is milliseconds.
    return new Date(value > 1e12 ? value : value * 1000);
  }
  if (typeof value === "string" && value.trim()) {
    const date = new Date(value);
    return Number.isNaN(date.getTime()) ? undefined : date;
  }
  return undefined;
}

function findExpiry(data: Json): Date | undefined {
  for (const scope of [data, data.token, data.Token]) {
    if (!scope || typeof scope !== "object") continue;
    const record = scope as Json;
    for (const key of [...EXPIRY_KEYS, ...EPOCH_KEYS]) {
      const date = parseTime(record[key]);
      if (date) return date;
    }
  }
  return undefined;
}

function hasCredential(data: Json): boolean {
  const nested = [data.token, data.Token].filter((v) => v && typeof v === "object") as Json[];
  return [data, ...nested].some((scope) =>
    CREDENTIAL_KEYS.some((key) => typeof scope[key] === "string" && scope[key] !== "")
  );
}

function shorten(text: string): string {
  return text.length > 40 ? `${text.slice(0, 40)}…` : text;
}

export function parseAccountFile(fileName: string, text: string): ParsedAccount {
  if (text.trim() === "") return { ok: false, reason: "the file is empty (still being written?)" };
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch (error) {
    return { ok: false, reason: describeJsonError(error, text) };
  }
  if (!data || typeof data !== "object" || Array.isArray(data)) {
    return { ok: false, reason: "must hold a JSON object" };
  }
  const record = data as Json;
  if (typeof record.type !== "string" || record.type === "") {
    return {
      ok: false,
      reason: `no "type" field naming the provider (${PROVIDER_IDS.join(", ")})`,
    };
  }
  const provider = providerForFileType(record.type);
  if (!provider) {
    return {
      ok: false,
      reason: `unknown provider type "${shorten(record.type)}"; expected one of ${
        PROVIDER_IDS.join(", ")
      }`,
    };
  }
  const linked = record.linked as Json | undefined;
  const link = typeof linked?.tool === "string" && typeof linked?.path === "string"
    ? { tool: linked.tool, path: linked.path }
    : undefined;
  if (!link && !hasCredential(record)) {
    return { ok: false, reason: "holds no access_token, refresh_token or api_key" };
  }
  const label = LABEL_KEYS.map((key) => record[key]).find((v) => typeof v === "string" && v) as
    | string
    | undefined;
  const excluded = Array.isArray(record.excluded_models)
    ? record.excluded_models.filter((m): m is string => typeof m === "string")
    : [];
  return {
    ok: true,
    account: {
      id: `file:${fileName}`,
      provider: provider.id,
      label: label ?? fileName.replace(/\.json$/, ""),
      source: "file",
      kind: "oauth",
      file: fileName,
      expiresAt: findExpiry(record),
      disabled: record.disabled === true,
      needsLogin: record.needs_login === true,
      lastRefresh: parseTime(record.last_refresh),
      lastError: typeof record.last_error === "string"
        ? record.last_error
        : IN_FLIGHT_KEY in record
        ? INTERRUPTED
        : undefined,
      linked: link,
      models: withoutExcluded(provider.models, excluded),
      modelSource: "built-in",
      excludedModels: excluded,
      ownedBy: provider.ownedBy,
      credentials: record,
    },
  };
}
