/**
 * @module
 * OpenAI's Responses API with a key (`codex-api-key`): the key as a Bearer
 * credential, the entry's base URL (OpenAI's by default) and headers.
 */
import { listOpenAIModels } from "../../upstreams/openai-models.ts";
import {
  joinUrl,
  type Upstream,
  type UpstreamAccount,
  withConfiguredHeaders,
} from "../../upstreams/upstream.ts";

const OPENAI_BASE = "https://api.openai.com/v1";

export function openaiResponsesUpstream(account: UpstreamAccount): Upstream {
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
