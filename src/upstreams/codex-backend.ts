/**
 * @module
 * ChatGPT plans through Codex's login: the ChatGPT backend's Responses
 * endpoint. It requires `store: false`, `stream: true` and `instructions`,
 * refuses sampling and limit fields, and needs the account's
 * `ChatGPT-Account-Id`. Those are what the backend demands of any caller; no
 * Codex client identity (originator, user agent) is sent.
 */
import type { Account } from "../store/account.ts";
import { joinUrl, type Upstream } from "./upstream.ts";

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

export function codexBackendUpstream(account: Account, baseUrl: string): Upstream {
  return {
    dialect: "openai-responses",
    countsTokens: false,
    streamsOnly: true,
    errorsInStream: true,
    prepareBody: prepareCodexBody,
    target({ headers }) {
      const out = headers;
      out.set("authorization", `Bearer ${account.credentials.access_token}`);
      out.set("accept", "text/event-stream");
      out.set("content-type", "application/json");
      const accountId = account.credentials.account_id;
      if (typeof accountId === "string" && accountId) out.set("chatgpt-account-id", accountId);
      return { url: joinUrl(baseUrl, "/responses"), headers: out };
    },
  };
}
