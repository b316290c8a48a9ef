/**
 * @module
 * OpenAI's APIs with a key: the Responses API for `codex-api-key` entries, and
 * Chat Completions for every `openai-compatibility` upstream; and the
 * `GET /models` list they (and the Bearer logins) share.
 */
import type { Account } from "../store/account.ts";
import {
  getModelList,
  joinUrl,
  type Upstream,
  type UpstreamModel,
  withConfiguredHeaders,
} from "./upstream.ts";

const OPENAI_BASE = "https://api.openai.com/v1";

/** `GET {base}/models`: OpenAI's `{data: [{id}]}` (some compatible servers answer a bare list). */
export async function listOpenAIModels(base: string, headers: Headers): Promise<UpstreamModel[]> {
  const list = await getModelList(joinUrl(base, "/models"), headers) as
    | { data?: { id?: unknown }[] }
    | { id?: unknown }[]
    | null;
  const data = Array.isArray(list) ? list : list?.data ?? [];
  return data.flatMap((model) => typeof model?.id === "string" ? [{ id: model.id }] : []);
}

export function openaiResponsesUpstream(account: Account): Upstream {
  const base = (account.credentials.base_url as string | undefined) ?? OPENAI_BASE;
  const authorize = (headers: Headers) => {
    headers.set("authorization", `Bearer ${account.credentials.api_key}`);
    return withConfiguredHeaders(headers, account.credentials.headers);
  };
  return {
    dialect: "openai-responses",
    countsTokens: false,
    listModels: () => listOpenAIModels(base, authorize(new Headers())),
    target: ({ headers }) => ({ url: joinUrl(base, "/responses"), headers: authorize(headers) }),
  };
}

export function openaiCompatibleUpstream(account: Account): Upstream {
  const base = account.credentials.base_url as string;
  const keys = (account.credentials.api_keys as string[] | undefined) ?? [];
  let next = 0;
  const authorize = (headers: Headers) => {
    // Several keys for one upstream take turns; a local Ollama needs none.
    if (keys.length) headers.set("authorization", `Bearer ${keys[next++ % keys.length]}`);
    return withConfiguredHeaders(headers, account.credentials.headers);
  };
  return {
    dialect: "openai-chat",
    countsTokens: false,
    listModels: () => listOpenAIModels(base, authorize(new Headers())),
    target: ({ headers }) => ({
      url: joinUrl(base, "/chat/completions"),
      headers: authorize(headers),
    }),
  };
}
