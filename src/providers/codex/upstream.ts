/**
 * @module
 * ChatGPT plans through Codex's login: the ChatGPT backend's Responses
 * endpoint. It requires `store: false`, `stream: true` and `instructions`,
 * refuses sampling and limit fields, and needs the account's
 * `ChatGPT-Account-Id`. Those are what the backend demands of any caller; no
 * Codex client identity (originator, user agent) is sent.
 */
import {
  getModelList,
  joinUrl,
  type Upstream,
  type UpstreamAccount,
  type UpstreamModel,
} from "../../upstreams/upstream.ts";
import { VERSION } from "../../version.ts";

/** Fields the backend answers 400 to. */
const REFUSED = [
  "max_output_tokens",
  "max_completion_tokens",
  "temperature",
  "top_p",
  "truncation",
  "user",
  "previous_response_id",
  "prompt_cache_retention",
  "safety_identifier",
  "stream_options",
];

export function prepareCodexBody(body: Record<string, unknown>): Record<string, unknown> {
  const out = { ...body };
  for (const field of REFUSED) delete out[field];
  if (out.service_tier !== "priority") delete out.service_tier;
  out.store = false;
  out.stream = true;
  if (typeof out.instructions !== "string") out.instructions = "";
  const include = Array.isArray(out.include) ? out.include as unknown[] : [];
  if (!include.includes("reasoning.encrypted_content")) {
    out.include = [...include, "reasoning.encrypted_content"];
  }
  return out;
}

/** The backend's model slugs, without those it hides from pickers. */
export function codexModelSlugs(list: unknown): UpstreamModel[] {
  const models = (list as { models?: unknown } | null)?.models;
  if (!Array.isArray(models)) return [];
  return models.flatMap((model) => {
    const { slug, visibility } = (model ?? {}) as { slug?: unknown; visibility?: unknown };
    return typeof slug === "string" && slug && visibility !== "hide" ? [{ id: slug }] : [];
  });
}

function accountHeaders(account: UpstreamAccount): Record<string, string> {
  const headers: Record<string, string> = {
    authorization: `Bearer ${account.credentials.access_token}`,
  };
  const accountId = account.credentials.account_id;
  if (typeof accountId === "string" && accountId) headers["chatgpt-account-id"] = accountId;
  return headers;
}

export function codexBackendUpstream(account: UpstreamAccount, baseUrl: string): Upstream {
  return {
    dialect: "openai-responses",
    countsTokens: false,
    streamsOnly: true,
    errorsInStream: true,
    prepareBody: prepareCodexBody,
    // The backend lists models per client version: the asking client's own when it named one,
    // else subgate's (for which the backend may list none, and the built-in list stays).
    async listModels(query) {
      const version = query.get("client_version") ?? VERSION;
      const url = `${joinUrl(baseUrl, "/models")}?client_version=${encodeURIComponent(version)}`;
      return codexModelSlugs(await getModelList(url, accountHeaders(account)));
    },
    target({ headers }) {
      const out = headers;
      for (const [name, value] of Object.entries(accountHeaders(account))) out.set(name, value);
      out.set("accept", "text/event-stream");
      out.set("content-type", "application/json");
      return { url: joinUrl(baseUrl, "/responses"), headers: out };
    },
  };
}
