/**
 * @module
 * The short-lived Copilot token a GitHub login is exchanged for: cached until
 * shortly before it expires, one exchange at a time per account, however
 * many requests need it.
 */
import { joinUrl, type UpstreamAccount } from "../../upstreams/upstream.ts";
import { VERSION } from "../../version.ts";

export interface CopilotToken {
  token: string;
  expiresAt: number;
  api: string;
}

const REFRESH_EARLY_MS = 60_000;
const tokens = new Map<string, Promise<CopilotToken>>();

async function exchange(account: UpstreamAccount, apiUrl: string): Promise<CopilotToken> {
  const response = await fetch(joinUrl(apiUrl, "/copilot_internal/v2/token"), {
    headers: {
      authorization: `token ${account.credentials.access_token}`,
      accept: "application/json",
      "user-agent": `subgate/${VERSION}`,
    },
  });
  if (!response.ok) {
    await response.body?.cancel();
    throw new Error(`the Copilot token exchange answered HTTP ${response.status}`);
  }
  const body = await response.json() as Record<string, unknown>;
  const endpoints = (body.endpoints ?? {}) as Record<string, unknown>;
  return {
    token: String(body.token),
    expiresAt: Number(body.expires_at) * 1000,
    api: typeof endpoints.api === "string" ? endpoints.api : "https://api.githubcopilot.com",
  };
}

/** The account's Copilot token, exchanged once however many requests need it. */
export function copilotToken(account: UpstreamAccount, apiUrl: string): Promise<CopilotToken> {
  const key = `${account.id}\u0000${account.credentials.access_token}`;
  const cached = tokens.get(key);
  if (cached) return cached;
  const pending = exchange(account, apiUrl).then((token) => {
    // Forget it shortly before it expires, so the next request exchanges again.
    const ttl = Math.max(0, token.expiresAt - Date.now() - REFRESH_EARLY_MS);
    setTimeout(() => tokens.delete(key), ttl);
    return token;
  }, (error) => {
    tokens.delete(key);
    throw error;
  });
  tokens.set(key, pending);
  return pending;
}
