/**
 * @module
 * Logins whose API is OpenAI Chat Completions with the OAuth token as a
 * Bearer credential: Kimi Code and Qwen Code.
 */
import { listOpenAIModels } from "./openai-models.ts";
import { joinUrl, type Upstream, type UpstreamAccount } from "./upstream.ts";

export function bearerChatUpstream(
  account: UpstreamAccount,
  baseUrl: string,
  restUntil?: Upstream["restUntil"],
): Upstream {
  return {
    dialect: "openai-chat",
    countsTokens: false,
    restUntil,
    listModels: () =>
      listOpenAIModels(
        baseUrl,
        new Headers({ authorization: `Bearer ${account.credentials.access_token}` }),
      ),
    target({ headers }) {
      const out = headers;
      out.set("authorization", `Bearer ${account.credentials.access_token}`);
      return { url: joinUrl(baseUrl, "/chat/completions"), headers: out };
    },
  };
}
