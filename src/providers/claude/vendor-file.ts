/**
 * @module
 * Claude Code's own login (`~/.claude/.credentials.json`): the tokens under
 * `claudeAiOauth`, expiry in epoch ms.
 */
import { rfc3339, str, type VendorFile } from "../vendor-file.ts";
import type { Json } from "../../ir/json.ts";

export const claudeCodeFile: VendorFile = {
  tool: "claude-code",
  title: "Claude Code",
  paths: [".claude/.credentials.json"],
  singleUseRefresh: true,
  read(data) {
    const oauth = data.claudeAiOauth as Json | undefined;
    const access = str(oauth?.accessToken);
    if (!oauth || !access) return undefined;
    return {
      access_token: access,
      refresh_token: str(oauth.refreshToken),
      expired: rfc3339(Number(oauth.expiresAt)),
      hints: { subscription_type: oauth.subscriptionType },
    };
  },
  write(data, tokens, now) {
    const oauth = { ...(data.claudeAiOauth as Json) };
    oauth.accessToken = tokens.access_token;
    if (tokens.refresh_token) oauth.refreshToken = tokens.refresh_token;
    if (typeof tokens.expires_in === "number") oauth.expiresAt = now + tokens.expires_in * 1000;
    return { ...data, claudeAiOauth: oauth };
  },
};
