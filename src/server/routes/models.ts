/**
 * @module
 * Model lists, in the shape of the dialect the client speaks: OpenAI's by
 * default, Anthropic's when the request carries `anthropic-version`, Gemini's
 * under `/v1beta` or with `x-goog-api-key` (the Google SDK asks `/v1/models`).
 */
import { type Context, Hono } from "hono";
import type { Account } from "../../store/account.ts";
import {
  anthropicModel,
  anthropicModelList,
  geminiModel,
  geminiModelList,
  type ListedModel,
  listModels,
  openaiModel,
  openaiModelList,
} from "../../models/list-models.ts";
import type { ModelCatalog } from "../../pool/model-catalog.ts";
import { apiError } from "../../errors/api-error.ts";
import { detectDialect } from "../dialect.ts";
import type { ErrorFormat } from "../../errors/error-format.ts";

/** Each dialect's shape for a list and for one model. */
const SHAPES: Record<
  ErrorFormat,
  { list(models: ListedModel[]): unknown; one(model: ListedModel): unknown }
> = {
  openai: { list: openaiModelList, one: openaiModel },
  anthropic: { list: anthropicModelList, one: anthropicModel },
  gemini: { list: geminiModelList, one: geminiModel },
};

export function modelRoutes(
  accounts: () => readonly Account[],
  catalog?: Pick<ModelCatalog, "hint">,
) {
  const shape = (c: Context) => SHAPES[detectDialect(c.req.path, c.req.raw.headers)];
  const list = (c: Context) => {
    catalog?.hint(c.req.query());
    return c.json(shape(c).list(listModels(accounts())));
  };
  const one = (c: Context) => {
    const id = c.req.param("id")!.replace(/^models\//, "");
    const model = listModels(accounts()).find((m) => m.id === id);
    if (!model) {
      throw apiError("not_found", `The model '${id}' is not served by any account in subgate.`);
    }
    return c.json(shape(c).one(model));
  };
  return new Hono()
    .get("/v1/models", list)
    .get("/v1beta/models", list)
    .get("/v1/models/:id{[^:]+}", one)
    .get("/v1beta/models/:id{[^:]+}", one);
}
