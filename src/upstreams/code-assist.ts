/**
 * @module
 * Google's Code Assist service (`cloudcode-pa.googleapis.com/v1internal`), as
 * both Google logins reach it: Gemini CLI's (`providers/gemini`) and
 * Antigravity's (`providers/antigravity`). Each login's account has a Code
 * Assist project, found with `loadCodeAssist` or made with `onboardUser` (a
 * long-running operation polled until done); requests go in an envelope
 * naming the model and that project, and answers come back wrapped in
 * `{"response": …}`, in plain answers and in every stream event.
 *
 * What differs between the two logins is data: the client metadata the
 * project calls carry, the tier to onboard when the service names none as
 * default, and the `User-Agent` of every call.
 */
import type { IdentifyContext } from "../oauth/login-spec.ts";
import type { Json } from "../ir/json.ts";
import { joinUrl, type Upstream, type UpstreamAccount } from "./upstream.ts";

/** How one login talks to Code Assist's project methods. */
export interface CodeAssistClient {
  /** `metadata` of `loadCodeAssist` and `onboardUser` (which product is asking). */
  metadata: Json;
  /** The tier onboarded when `loadCodeAssist` marks none as default. */
  fallbackTier: string;
  userAgent: string;
  /** Seconds between polls of the onboarding operation. */
  pollMs?: number;
}

const POLL_LIMIT = 60;

/** One call of a `v1internal` method (`:loadCodeAssist`) or operation (`/operations/…`). */
async function call(
  context: IdentifyContext,
  client: CodeAssistClient,
  token: string,
  path: string,
  body?: Json,
): Promise<Json> {
  const headers = new Headers({
    authorization: `Bearer ${token}`,
    "content-type": "application/json",
    "user-agent": client.userAgent,
  });
  // The config's `providers.<id>.headers` go on every call of the login, these too.
  for (const [name, value] of Object.entries(context.endpoints.headers)) headers.set(name, value);
  const response = await context.fetch(`${context.endpoints.baseUrl}${path}`, {
    method: body ? "POST" : "GET",
    headers,
    body: body ? JSON.stringify(body) : undefined,
  });
  const text = await response.text();
  let data: Json = {};
  try {
    data = text ? JSON.parse(text) : {};
  } catch { /* reported below */ }
  if (!response.ok) {
    const message = ((data.error as Json | undefined)?.message as string | undefined) ??
      `HTTP ${response.status}`;
    throw new Error(`Code Assist ${path.replace(/^[:/]/, "")} failed: ${message}`);
  }
  return data;
}

/** A project as Code Assist names it: a string, or `{id, name}`. */
function projectId(value: unknown): string | undefined {
  if (typeof value === "string" && value) return value;
  if (value && typeof value === "object") {
    const id = (value as Json).id;
    return typeof id === "string" && id ? id : undefined;
  }
  return undefined;
}

/**
 * The account's Code Assist project: the one `loadCodeAssist` names for a tier the account is
 * on, else a new one from `onboardUser` on the default tier (polled until the operation is done).
 * An account Google wants verified first gets the address to do it.
 */
export async function findCodeAssistProject(
  token: string,
  context: IdentifyContext,
  client: CodeAssistClient,
): Promise<string> {
  const loaded = await call(context, client, token, ":loadCodeAssist", {
    metadata: client.metadata,
  });
  const ineligible = (loaded.ineligibleTiers as Json[] | undefined)?.find((tier) =>
    tier?.reasonCode === "VALIDATION_REQUIRED"
  );
  if (loaded.currentTier) {
    const project = projectId(loaded.cloudaicompanionProject);
    if (project) return project;
  }
  if (ineligible) {
    throw new Error(
      `Google asks you to verify this account first: ${ineligible.validationUrl ?? "see Google"}`,
    );
  }
  const tiers = (loaded.allowedTiers as Json[] | undefined) ?? [];
  const tier = tiers.find((t) => t?.isDefault) ?? { id: client.fallbackTier };
  context.say(`Setting up Code Assist (${tier.id})…`);
  const request: Json = { tierId: tier.id, metadata: client.metadata };
  let operation = await call(context, client, token, ":onboardUser", request);
  for (let i = 0; !operation.done; i++) {
    if (i >= POLL_LIMIT) throw new Error("Code Assist setup did not finish; try again later");
    await new Promise((resolve) => setTimeout(resolve, client.pollMs ?? 2000));
    operation = typeof operation.name === "string" && operation.name
      ? await call(context, client, token, `/${operation.name}`)
      : await call(context, client, token, ":onboardUser", request);
  }
  const project = projectId((operation.response as Json | undefined)?.cloudaicompanionProject);
  if (!project) throw new Error("Code Assist setup finished without a project");
  return project;
}

/**
 * The login's email: the id_token's claim when Google sent one, else Google's userinfo
 * (`apiUrl`). Throws when neither names the account.
 */
export async function googleEmail(token: string, context: IdentifyContext): Promise<string> {
  let email = context.idTokenClaims?.email as string | undefined;
  if (!email && context.endpoints.apiUrl) {
    const response = await context.fetch(context.endpoints.apiUrl, {
      headers: { authorization: `Bearer ${token}` },
    });
    if (response.ok) email = (await response.json() as Json).email as string | undefined;
    else await response.body?.cancel();
  }
  if (!email) throw new Error("Google did not say which account logged in");
  return email;
}

/** Code Assist's answer, unwrapped: a JSON answer or one stream event's data. */
export function unwrapCodeAssist(data: unknown): unknown {
  return data && typeof data === "object" && "response" in data
    ? (data as { response: unknown }).response
    : data;
}

/**
 * Generation through Code Assist: the Gemini request in the envelope (`model`, the account's
 * `project`, `request`), the login's token, `User-Agent` as given, answers unwrapped. `headers`
 * (the config's `providers.<id>.headers`) are set last, so they win.
 */
export function codeAssistUpstream(
  account: UpstreamAccount,
  baseUrl: string,
  userAgent: string,
  headers: Record<string, string> = {},
): Upstream {
  return {
    dialect: "gemini",
    countsTokens: false,
    prepareBody: (body, { model }) => ({
      model,
      project: account.credentials.project_id,
      request: body,
    }),
    unwrap: unwrapCodeAssist,
    target({ stream, headers: out }) {
      out.set("authorization", `Bearer ${account.credentials.access_token}`);
      out.set("content-type", "application/json");
      out.set("user-agent", userAgent);
      for (const [name, value] of Object.entries(headers)) out.set(name, value);
      const method = stream ? ":streamGenerateContent?alt=sse" : ":generateContent";
      return { url: joinUrl(baseUrl, method), headers: out };
    },
  };
}
