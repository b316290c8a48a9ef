/**
 * @module
 * An Antigravity login's account (email) and its Code Assist project, found
 * or set up as Antigravity asks for it: `loadCodeAssist` and `onboardUser`
 * with `metadata.ideType` `ANTIGRAVITY` (the product whose tier and project
 * the service answers for), the free tier when Google marks none as default
 * (CLIProxyAPI `internal/auth/antigravity/auth.go`).
 */
import type { IdentifyContext, Identity, TokenSet } from "../../oauth/login-spec.ts";
import { findCodeAssistProject, googleEmail } from "../../upstreams/code-assist.ts";
import { antigravityUserAgent } from "./client.ts";

export async function identifyAntigravityAccount(
  tokens: TokenSet,
  context: IdentifyContext,
): Promise<Identity> {
  const email = await googleEmail(tokens.access_token, context);
  context.say("Finding your Antigravity project…");
  const project = await findCodeAssistProject(tokens.access_token, context, {
    metadata: { ideType: "ANTIGRAVITY" },
    fallbackTier: "free-tier",
    userAgent: antigravityUserAgent(),
  });
  return { account: email, fields: { email, project_id: project } };
}
