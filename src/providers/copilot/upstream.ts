/**
 * @module
 * GitHub Copilot: the GitHub login is exchanged for a short-lived Copilot
 * token (`copilot-token.ts`), which calls Copilot's Chat Completions API, or its Responses or
 * Messages API for the models Copilot lists there. Tool-result turns are
 * marked as the agent's (`X-Initiator: agent`), so a tool loop is not billed
 * as new premium requests. subgate names itself as the editor; it does not
 * pose as VS Code.
 */
import type { DialectId } from "../../dialects/codec.ts";
import {
  getModelList,
  joinUrl,
  type Upstream,
  type UpstreamAccount,
  type UpstreamModel,
} from "../../upstreams/upstream.ts";
import { VERSION } from "../../version.ts";
import { copilotToken } from "./copilot-token.ts";

/** Copilot's API paths, each in the dialect it speaks. */
const PATHS = {
  "openai-chat": "/chat/completions",
  "openai-responses": "/responses",
  anthropic: "/v1/messages",
} as const satisfies Partial<Record<DialectId, string>>;
type CopilotDialect = keyof typeof PATHS;

/**
 * The API to call a model on: the client's own dialect when Copilot serves the model there (the
 * request passes through), else Chat Completions, else whichever it does serve. A model Copilot
 * said nothing about goes to Chat Completions.
 */
export function copilotDialect(endpoints: string[] | undefined, client: DialectId): CopilotDialect {
  if (!endpoints?.length) return "openai-chat";
  const serves = (dialect: CopilotDialect) => endpoints.includes(PATHS[dialect]);
  if (client in PATHS && serves(client as CopilotDialect)) return client as CopilotDialect;
  return (["openai-chat", "openai-responses", "anthropic"] as const).find(serves) ?? "openai-chat";
}

/** Copilot's chat models from its `/models` list (embedding models are left out). */
export function copilotChatModels(list: unknown): UpstreamModel[] {
  const data = (list as { data?: unknown } | null)?.data;
  if (!Array.isArray(data)) return [];
  const seen = new Set<string>();
  return data.flatMap((entry) => {
    const { id, capabilities, supported_endpoints: endpoints } = (entry ?? {}) as {
      id?: unknown;
      capabilities?: { type?: unknown };
      supported_endpoints?: unknown;
    };
    const chat = capabilities?.type === undefined || capabilities.type === "chat";
    if (typeof id !== "string" || !id || !chat || seen.has(id)) return [];
    seen.add(id);
    const paths = Array.isArray(endpoints)
      ? endpoints.filter((path): path is string => typeof path === "string")
      : undefined;
    return [paths?.length ? { id, endpoints: paths } : { id }];
  });
}

function copilotHeaders(token: string): Record<string, string> {
  return {
    authorization: `Bearer ${token}`,
    "editor-version": `subgate/${VERSION}`,
    "editor-plugin-version": `subgate/${VERSION}`,
  };
}

export function copilotUpstream(
  account: UpstreamAccount,
  apiUrl: string,
  baseUrl?: string,
  dialect: CopilotDialect = "openai-chat",
): Upstream {
  return {
    dialect,
    countsTokens: false,
    // 402: the month's premium requests are spent; try again in an hour rather than at once.
    restUntil: (_error, answer) => answer.status === 402 ? Date.now() + 3600_000 : undefined,
    forModel(model, client) {
      const chosen = copilotDialect(account.modelEndpoints?.[model], client);
      return chosen === dialect ? this : copilotUpstream(account, apiUrl, baseUrl, chosen);
    },
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
      if (dialect === "anthropic" && !out.has("anthropic-version")) {
        out.set("anthropic-version", "2023-06-01");
      }
      return { url: joinUrl(baseUrl ?? token.api, PATHS[dialect]), headers: out };
    },
  };
}
