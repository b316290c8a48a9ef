/**
 * @module
 * Google's Gemini API with a key (`gemini-api-key`). The model and the
 * streaming choice live in the URL.
 */
import {
  getModelList,
  joinUrl,
  type Upstream,
  type UpstreamAccount,
  type UpstreamModel,
  withConfiguredHeaders,
} from "../../upstreams/upstream.ts";

const DEFAULT_BASE = "https://generativelanguage.googleapis.com/v1beta";

/**
 * The API root: CLIProxyAPI configs give the host only (`https://generativelanguage.googleapis.com`),
 * others the versioned root; a base without a version gets `/v1beta`, the version that has
 * every method subgate calls.
 */
export function geminiApiBase(baseUrl: string | undefined): string {
  if (!baseUrl) return DEFAULT_BASE;
  const base = baseUrl.replace(/\/+$/, "");
  return /\/v\d+(alpha|beta)?\d*$/.test(base) ? base : `${base}/v1beta`;
}

interface GeminiModelList {
  models?: { name?: unknown; supportedGenerationMethods?: unknown }[];
  nextPageToken?: unknown;
}

/** The models that generate content, page after page (a few pages at most). */
async function listGeminiModels(base: string, headers: Headers): Promise<UpstreamModel[]> {
  const out: UpstreamModel[] = [];
  let page = "";
  for (let pages = 0; pages < 10; pages++) {
    const url = joinUrl(base, `/models?pageSize=1000${page ? `&pageToken=${page}` : ""}`);
    const list = await getModelList(url, headers) as GeminiModelList;
    for (const model of list.models ?? []) {
      const methods = model.supportedGenerationMethods;
      const generates = !Array.isArray(methods) || methods.includes("generateContent");
      if (typeof model.name === "string" && generates) {
        out.push({ id: model.name.replace(/^models\//, "") });
      }
    }
    if (typeof list.nextPageToken !== "string" || !list.nextPageToken) break;
    page = encodeURIComponent(list.nextPageToken);
  }
  return out;
}

export function geminiApiUpstream(account: UpstreamAccount): Upstream {
  const base = geminiApiBase(account.credentials.base_url as string | undefined);
  const keyHeaders = (headers: Headers) => {
    headers.set("x-goog-api-key", String(account.credentials.api_key));
    return withConfiguredHeaders(headers, account.credentials.headers);
  };
  return {
    dialect: "gemini",
    countsTokens: true,
    listModels: () => listGeminiModels(base, keyHeaders(new Headers())),
    target({ model, stream, action, headers }) {
      const method = action === "count-tokens"
        ? "countTokens"
        : stream
        ? "streamGenerateContent?alt=sse"
        : "generateContent";
      return {
        url: joinUrl(base, `/models/${encodeURIComponent(model)}:${method}`),
        headers: keyHeaders(headers),
      };
    },
  };
}
