/**
 * @module
 * A Gemini login's account (email) and its Code Assist project: found with
 * `loadCodeAssist`, or created with `onboardUser` and its long-running
 * operation polled until done.
 */
import type { IdentifyContext, Identity, TokenSet } from "../../oauth/login-spec.ts";
import { VERSION } from "../../version.ts";
import type { Json } from "../../ir/json.ts";

const METADATA = {
  ideType: "IDE_UNSPECIFIED",
  platform: "PLATFORM_UNSPECIFIED",
  pluginType: "GEMINI",
};
const POLL_MS = 2000;
const POLL_LIMIT = 60;

async function call(context: IdentifyContext, token: string, path: string, body?: Json) {
  const response = await context.fetch(`${context.endpoints.baseUrl}${path}`, {
    method: body ? "POST" : "GET",
    headers: {
      authorization: `Bearer ${token}`,
      "content-type": "application/json",
      "user-agent": `subgate/${VERSION}`,
    },
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

function projectId(value: unknown): string | undefined {
  if (typeof value === "string" && value) return value;
  if (value && typeof value === "object") return (value as Json).id as string | undefined;
  return undefined;
}

async function findProject(token: string, context: IdentifyContext): Promise<string> {
  const loaded = await call(context, token, ":loadCodeAssist", { metadata: METADATA });
  const ineligible = (loaded.ineligibleTiers as Json[] | undefined)?.find((tier) =>
    tier.reasonCode === "VALIDATION_REQUIRED"
  );
  if (loaded.currentTier) {
    const project = projectId(loaded.cloudaicompanionProject);
    if (project) return project;
  }
  if (ineligible) {
    throw new Error(
      `Google asks you to verify this account first: ${
        ineligible.validationUrl ?? "see Gemini CLI"
      }`,
    );
  }
  const tiers = (loaded.allowedTiers as Json[] | undefined) ?? [];
  const tier = tiers.find((t) => t.isDefault) ?? { id: "legacy-tier" };
  context.say(`Setting up Code Assist (${tier.id})…`);
  const request: Json = { tierId: tier.id, metadata: METADATA };
  let operation = await call(context, token, ":onboardUser", request);
  for (let i = 0; !operation.done; i++) {
    if (i >= POLL_LIMIT) throw new Error("Code Assist setup did not finish; try again later");
    await new Promise((resolve) => setTimeout(resolve, POLL_MS));
    operation = operation.name
      ? await call(context, token, `/${operation.name}`)
      : await call(context, token, ":onboardUser", request);
  }
  const project = projectId((operation.response as Json | undefined)?.cloudaicompanionProject);
  if (!project) throw new Error("Code Assist setup finished without a project");
  return project;
}

export async function identifyGeminiAccount(
  tokens: TokenSet,
  context: IdentifyContext,
): Promise<Identity> {
  let email = context.idTokenClaims?.email as string | undefined;
  if (!email && context.endpoints.apiUrl) {
    const response = await context.fetch(context.endpoints.apiUrl, {
      headers: { authorization: `Bearer ${tokens.access_token}` },
    });
    if (response.ok) email = (await response.json() as Json).email as string | undefined;
    else await response.body?.cancel();
  }
  if (!email) throw new Error("Google did not say which account logged in");
  context.say("Finding your Code Assist project…");
  const project = await findProject(tokens.access_token, context);
  return { account: email, fields: { email, project_id: project } };
}
