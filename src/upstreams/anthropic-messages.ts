/**
 * @module
 * Anthropic's Messages API as both Claude upstreams call it (the login in
 * `providers/claude`, the key in `providers/claude-api-key`): the path for
 * the action, the client's query, `anthropic-version` when the client sent
 * none, and the paged model list.
 */
import {
  getModelList,
  joinUrl,
  type UpstreamCall,
  type UpstreamModel,
  type UpstreamTarget,
} from "./upstream.ts";

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
