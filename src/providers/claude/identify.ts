/**
 * @module
 * Who a Claude login belongs to: the token response names the account and
 * organization; older responses do not, and the profile endpoint does.
 */
import type { IdentifyContext, Identity, TokenSet } from "../../oauth/login-spec.ts";
import type { Json } from "../../ir/json.ts";

export async function identifyClaudeAccount(
  tokens: TokenSet,
  context: IdentifyContext,
): Promise<Identity> {
  let account = tokens.account as Json | undefined;
  let organization = tokens.organization as Json | undefined;
  if (!account?.email_address && !account?.email) {
    const response = await context.fetch(`${context.endpoints.baseUrl}/api/oauth/profile`, {
      headers: { authorization: `Bearer ${tokens.access_token}`, accept: "application/json" },
    });
    if (!response.ok) {
      await response.body?.cancel();
      throw new Error(`the profile endpoint answered HTTP ${response.status}`);
    }
    const profile = await response.json() as Json;
    account = profile.account as Json | undefined;
    organization = profile.organization as Json | undefined;
  }
  const email = (account?.email_address ?? account?.email) as string | undefined;
  const uuid = account?.uuid as string | undefined;
  if (!email && !uuid) throw new Error("the profile names no account");
  return {
    account: email ?? uuid!,
    fields: {
      email,
      account_uuid: uuid,
      organization_uuid: organization?.uuid,
      organization_name: organization?.name,
    },
  };
}
