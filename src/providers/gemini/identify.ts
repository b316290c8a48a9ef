/**
 * @module
 * A Gemini login's account (email) and its Code Assist project, found or set
 * up as Gemini CLI does (`upstreams/code-assist.ts`).
 */
import type { IdentifyContext, Identity, TokenSet } from "../../oauth/login-spec.ts";
import {
  type CodeAssistClient,
  findCodeAssistProject,
  googleEmail,
} from "../../upstreams/code-assist.ts";
import { VERSION } from "../../version.ts";

/** Gemini CLI's client metadata (`packages/core/src/code_assist/setup.ts`). */
const CLIENT: CodeAssistClient = {
  metadata: {
    ideType: "IDE_UNSPECIFIED",
    platform: "PLATFORM_UNSPECIFIED",
    pluginType: "GEMINI",
  },
  fallbackTier: "legacy-tier",
  userAgent: `subgate/${VERSION}`,
};

export async function identifyGeminiAccount(
  tokens: TokenSet,
  context: IdentifyContext,
): Promise<Identity> {
  const email = await googleEmail(tokens.access_token, context);
  context.say("Finding your Code Assist project…");
  const project = await findCodeAssistProject(tokens.access_token, context, CLIENT);
  return { account: email, fields: { email, project_id: project } };
}
