/**
 * @module
 * Any OpenAI-compatible upstream (`openai-compatibility`: OpenRouter,
 * Ollama, …): Chat Completions on the entry's base URL, its keys taking
 * turns as Bearer credentials, its headers.
 */
import { listOpenAIModels } from "../../upstreams/openai-models.ts";
import {
  joinUrl,
  type Upstream,
  type UpstreamAccount,
  withConfiguredHeaders,
} from "../../upstreams/upstream.ts";

export function openaiCompatibleUpstream(account: UpstreamAccount): Upstream {
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
