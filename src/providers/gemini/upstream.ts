/**
 * @module
 * Gemini through Gemini CLI's Google login: Code Assist's `v1internal`
 * methods. Requests go in an envelope naming the model and the account's
 * Code Assist project; answers come back wrapped in `{"response": …}`, in
 * plain answers and in every stream event.
 */
import type { Upstream, UpstreamAccount } from "../../upstreams/upstream.ts";
import { VERSION } from "../../version.ts";

export function codeAssistUpstream(account: UpstreamAccount, baseUrl: string): Upstream {
  return {
    dialect: "gemini",
    countsTokens: false,
    prepareBody: (body, { model }) => ({
      model,
      project: account.credentials.project_id,
      request: body,
    }),
    unwrap: (data) =>
      data && typeof data === "object" && "response" in data
        ? (data as { response: unknown }).response
        : data,
    target({ stream, headers }) {
      const out = headers;
      out.set("authorization", `Bearer ${account.credentials.access_token}`);
      out.set("content-type", "application/json");
      out.set("user-agent", `subgate/${VERSION}`);
      const method = stream ? ":streamGenerateContent?alt=sse" : ":generateContent";
      return { url: baseUrl.replace(/\/+$/, "") + method, headers: out };
    },
  };
}
