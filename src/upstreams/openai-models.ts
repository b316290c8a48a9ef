/**
 * @module
 * The `GET {base}/models` list of OpenAI's APIs, which the OpenAI key kinds
 * and the Bearer logins (Kimi, Qwen) share.
 */
import { getModelList, joinUrl, type UpstreamModel } from "./upstream.ts";

/** `GET {base}/models`: OpenAI's `{data: [{id}]}` (some compatible servers answer a bare list). */
export async function listOpenAIModels(base: string, headers: Headers): Promise<UpstreamModel[]> {
  const list = await getModelList(joinUrl(base, "/models"), headers) as
    | { data?: { id?: unknown }[] }
    | { id?: unknown }[]
    | null;
  const data = Array.isArray(list) ? list : list?.data ?? [];
  return data.flatMap((model) => typeof model?.id === "string" ? [{ id: model.id }] : []);
}
