/**
 * @module
 * Anthropic's Messages API with an API key (`claude-api-key`), and the call
 * shape it shares with the Claude login (`claude-oauth.ts`): the path for
 * the action, the client's query, and `anthropic-version` when the client
 * sent none.
 */
import type { Account } from "../store/account.ts";
import { claudeRestUntil } from "./claude-rate-limits.ts";
import {
  getModelList,
  joinUrl,
  type Upstream,
  type UpstreamCall,
  type UpstreamModel,
  type UpstreamTarget,
  withConfiguredHeaders,
} from "./upstream.ts";

const DEFAULT_BASE = "https://api.anthropic.com";
const DEFAULT_VERSION = "2023-06-01";

/** A Messages API call on `base`; `authorize` sets the credential headers. */
export function messagesTarget(
  base: string,
  { action, headers, query }: UpstreamCall,
  authorize: (headers: Headers) => void,
): UpstreamTarget {
  const path = action === "count-tokens" ? "/v1/messages/count_tokens" : "/v1/messages";
  const out = headers;
  authorize(out);
  if (!out.has("anthropic-version")) out.set("anthropic-version", DEFAULT_VERSION);
  const search = query.toString();
  return { url: joinUrl(base, path) + (search ? `?${search}` : ""), headers: out };
}

interface AnthropicModelList {
  data?: { id?: unknown }[];
  has_more?: unknown;
  last_id?: unknown;
}

/** `GET /v1/models`, page after page (a few pages at most); `authorize` sets the credentials. */
export async function listAnthropicModels(
  base: string,
  authorize: (headers: Headers) => void,
): Promise<UpstreamModel[]> {
  const headers = new Headers({ "anthropic-version": DEFAULT_VERSION });
  authorize(headers);
  const out: UpstreamModel[] = [];
  let after = "";
  for (let pages = 0; pages < 10; pages++) {
    const query = `?limit=1000${after ? `&after_id=${encodeURIComponent(after)}` : ""}`;
    const list = await getModelList(joinUrl(base, `/v1/models${query}`), headers) as
      | AnthropicModelList
      | null;
    for (const model of list?.data ?? []) {
      if (typeof model.id === "string") out.push({ id: model.id });
    }
    if (list?.has_more !== true || typeof list.last_id !== "string") break;
    after = list.last_id;
  }
  return out;
}

export function anthropicApiUpstream(account: Account): Upstream {
  const base = (account.credentials.base_url as string | undefined) ?? DEFAULT_BASE;
  const authorize = (headers: Headers) => {
    headers.set("x-api-key", String(account.credentials.api_key));
    withConfiguredHeaders(headers, account.credentials.headers);
  };
  return {
    dialect: "anthropic",
    countsTokens: true,
    restUntil: claudeRestUntil,
    listModels: () => listAnthropicModels(base, authorize),
    target: (call) => messagesTarget(base, call, authorize),
  };
}
