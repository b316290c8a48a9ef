/**
 * @module
 * GitHub Copilot: the GitHub login is exchanged for a short-lived Copilot
 * token (cached until shortly before it expires, one exchange at a time per
 * account), which calls Copilot's Chat Completions API. Tool-result turns are
 * marked as the agent's (`X-Initiator: agent`), so a tool loop is not billed
 * as new premium requests. subgate names itself as the editor; it does not
 * pose as VS Code.
 */
import { VERSION } from "../version.ts";
import type { Account } from "../store/account.ts";
import { getModelList, joinUrl, type Upstream } from "./upstream.ts";

interface CopilotToken {
  token: string;
  expiresAt: number;
  api: string;
}

const REFRESH_EARLY_MS = 60_000;
const tokens = new Map<string, Promise<CopilotToken>>();

async function exchange(account: Account, apiUrl: string): Promise<CopilotToken> {
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
function copilotToken(account: Account, apiUrl: string): Promise<CopilotToken> {
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

/** Copilot's chat models from its `/models` list (embedding models are left out). */
export function copilotChatModels(list: unknown): string[] {
  const data = (list as { data?: unknown } | null)?.data;
  if (!Array.isArray(data)) return [];
  return [
    ...new Set(data.flatMap((entry) => {
      const { id, capabilities } = (entry ?? {}) as {
        id?: unknown;
        capabilities?: { type?: unknown };
      };
      const chat = capabilities?.type === undefined || capabilities.type === "chat";
      return typeof id === "string" && id && chat ? [id] : [];
    })),
  ];
}

function copilotHeaders(token: string): Record<string, string> {
  return {
    authorization: `Bearer ${token}`,
    "editor-version": `subgate/${VERSION}`,
    "editor-plugin-version": `subgate/${VERSION}`,
  };
}

export function copilotUpstream(account: Account, apiUrl: string, baseUrl?: string): Upstream {
  return {
    dialect: "openai-chat",
    countsTokens: false,
    // 402: the month's premium requests are spent; try again in an hour rather than at once.
    restUntil: (_error, answer) => answer.status === 402 ? Date.now() + 3600_000 : undefined,
    async listModels() {
      const token = await copilotToken(account, apiUrl);
      const list = await getModelList(joinUrl(baseUrl ?? token.api, "/models"), {
        ...copilotHeaders(token.token),
        accept: "application/json",
      });
      return copilotChatModels(list);
    },
    async target({ headers, turn }) {
      const token = await copilotToken(account, apiUrl);
      const out = headers;
      for (const [name, value] of Object.entries(copilotHeaders(token.token))) out.set(name, value);
      out.set("openai-intent", "conversation-panel");
      out.set("x-initiator", turn?.toolResults ? "agent" : "user");
      out.set("x-request-id", crypto.randomUUID());
      if (turn?.images) out.set("copilot-vision-request", "true");
      return { url: joinUrl(baseUrl ?? token.api, "/chat/completions"), headers: out };
    },
  };
}
