/**
 * @module
 * The routes over the parts of subgate that keep their own records:
 * `GET /manage/usage` (the usage ledger), `GET /manage/quota` (plan quota),
 * and `GET|POST|DELETE /manage/keys` (named client keys). Each answers 501,
 * saying so, while its source is absent (`sources.ts`).
 */
import { type Context, Hono } from "hono";
import { apiError } from "../../errors/api-error.ts";
import type { Json } from "../../ir/json.ts";
import type { ServerEnv } from "../server-env.ts";
import { logChange } from "./audit.ts";
import type { RouteContext } from "./context.ts";
import { jsonBody, optionalString } from "./json-body.ts";
import type {
  ClientKeyLimits,
  ManageSources,
  NewClientKey,
  UsageBucket,
  UsageGroup,
} from "./sources.ts";

const WHAT: Record<keyof ManageSources, string> = {
  usage: "The usage ledger is",
  quota: "Plan-quota tracking is",
  keys: "Named client keys are",
  store: "A shared store (teams) is",
};

/** The source, or a 501 saying this server does not have it. */
function needs<K extends keyof ManageSources>(
  sources: ManageSources,
  name: K,
): NonNullable<ManageSources[K]> {
  const source = sources[name];
  if (!source) {
    throw apiError(
      "api_error",
      `${WHAT[name]} not part of this subgate yet, so /manage/${name} cannot answer.`,
      { status: 501 },
    );
  }
  return source;
}

const GROUPS: readonly UsageGroup[] = ["account", "model", "key", "provider"];
const BUCKETS: readonly UsageBucket[] = ["hour", "day"];
const DAY_MS = 86_400_000;

/** A time parameter: RFC 3339, a date, or epoch milliseconds. */
function timeParameter(c: Context<ServerEnv>, name: string, fallback: number): number {
  const text = c.req.query(name);
  if (text === undefined || text === "") return fallback;
  const time = /^\d+$/.test(text) ? Number(text) : Date.parse(text);
  if (Number.isNaN(time)) {
    throw apiError(
      "invalid_request",
      `${name}: a time such as 2026-05-01, 2026-05-01T12:00:00Z or epoch milliseconds, not '${
        text.slice(0, 40)
      }'.`,
    );
  }
  return time;
}

function choice<T extends string>(
  c: Context<ServerEnv>,
  name: string,
  values: readonly T[],
  fallback: T,
): T {
  const text = c.req.query(name);
  if (text === undefined || text === "") return fallback;
  if (!values.includes(text as T)) {
    throw apiError("invalid_request", `${name}: one of ${values.join(", ")}.`);
  }
  return text as T;
}

/** Key names are shown, logged and typed in URLs: letters, digits and a few marks. */
const KEY_NAME = /^[A-Za-z0-9][A-Za-z0-9._@+-]{0,63}$/;

function limitsOf(value: unknown): ClientKeyLimits | undefined {
  if (value === undefined || value === null) return undefined;
  if (typeof value !== "object" || Array.isArray(value)) {
    throw apiError("invalid_request", "limits: an object of requests-per-minute, ….");
  }
  const fields: Record<string, keyof ClientKeyLimits> = {
    "requests-per-minute": "requestsPerMinute",
    "requests-per-day": "requestsPerDay",
    "tokens-per-day": "tokensPerDay",
  };
  const out: ClientKeyLimits = {};
  for (const [key, amount] of Object.entries(value as Json)) {
    const field = fields[key] ?? Object.values(fields).find((name) => name === key);
    if (!field) {
      throw apiError(
        "invalid_request",
        `limits.${key}: unknown; known: ${Object.keys(fields).join(", ")}.`,
      );
    }
    if (typeof amount !== "number" || !Number.isInteger(amount) || amount < 1) {
      throw apiError("invalid_request", `limits.${key}: a whole number of at least 1.`);
    }
    out[field] = amount;
  }
  return out;
}

function newKey(body: Json): NewClientKey {
  const name = optionalString(body, "name");
  if (!name || !KEY_NAME.test(name)) {
    throw apiError(
      "invalid_request",
      "name: required, up to 64 letters, digits and . _ @ + - (it names the key in usage and logs).",
    );
  }
  const models = body.models;
  if (
    models !== undefined &&
    (!Array.isArray(models) || models.some((m) => typeof m !== "string" || m.trim() === ""))
  ) {
    throw apiError("invalid_request", 'models: a list of model names or patterns ("claude-*").');
  }
  const expires = optionalString(body, "expires");
  if (expires !== undefined && Number.isNaN(Date.parse(expires))) {
    throw apiError("invalid_request", "expires: a time such as 2026-12-31T00:00:00Z.");
  }
  return { name, models: models as string[] | undefined, limits: limitsOf(body.limits), expires };
}

export function sourcedRoutes(context: RouteContext) {
  const { sources } = context;
  const revoke = async (c: Context<ServerEnv>, name: string | undefined) => {
    if (!name) throw apiError("invalid_request", "name: required, the key to revoke.");
    if (!await needs(sources, "keys").revoke(name)) {
      throw apiError("not_found", `No key named '${name}' was created through the API.`);
    }
    logChange(c, context.log, "client key revoked", { key: name });
    return c.json({ revoked: name });
  };

  return new Hono<ServerEnv>()
    .get("/manage/usage", async (c) => {
      const usage = needs(sources, "usage");
      const to = timeParameter(c, "to", Date.now());
      const from = timeParameter(c, "from", to - DAY_MS);
      if (from >= to) throw apiError("invalid_request", "from: must be before to.");
      const group = choice(c, "group", GROUPS, "account");
      const bucket = choice(c, "bucket", BUCKETS, "hour");
      const rows = await usage.query({ from, to, group, bucket });
      return c.json({
        from: new Date(from).toISOString(),
        to: new Date(to).toISOString(),
        group,
        bucket,
        rows,
      });
    })
    .get("/manage/quota", (c) => c.json({ accounts: needs(sources, "quota").snapshot() }))
    .post("/manage/quota/refresh", async (c) => {
      const quota = needs(sources, "quota");
      if (!quota.refresh) {
        throw apiError("api_error", "This quota source cannot read again on demand.", {
          status: 501,
        });
      }
      await quota.refresh(c.req.query("account") || undefined);
      logChange(c, context.log, "quota read again", { account: c.req.query("account") });
      return c.json({ accounts: quota.snapshot() });
    })
    .get("/manage/keys", async (c) => c.json({ keys: await needs(sources, "keys").list() }))
    .post("/manage/keys", async (c) => {
      const keys = needs(sources, "keys");
      const input = newKey(await jsonBody(c));
      const existing = await keys.list();
      if (existing.some((key) => key.name === input.name)) {
        throw apiError("invalid_request", `A key named '${input.name}' exists already.`, {
          status: 409,
        });
      }
      const created = await keys.create(input);
      logChange(c, context.log, "client key created", { key: input.name });
      return c.json({
        key: created.key,
        note: "This is the only time the key is shown: store it now.",
        ...created.view,
      }, 201);
    })
    .delete("/manage/keys/:name", (c) => revoke(c, c.req.param("name")))
    .delete("/manage/keys", async (c) => revoke(c, optionalString(await jsonBody(c), "name")));
}
