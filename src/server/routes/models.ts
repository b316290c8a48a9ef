/**
 * @module
 * Model lists: `/v1/models` in OpenAI's shape (Anthropic's when the request
 * carries `anthropic-version`) and `/v1beta/models` in Gemini's.
 */
import { Hono } from "hono";
import type { Account } from "../../store/account.ts";
import {
  anthropicModel,
  anthropicModelList,
  geminiModel,
  geminiModelList,
  listModels,
  openaiModel,
  openaiModelList,
} from "../../models/list-models.ts";
import { apiError } from "../api-error.ts";

function notFound(id: string) {
  return apiError("not_found", `The model '${id}' is not served by any account in subgate.`);
}

export function modelRoutes(accounts: () => readonly Account[]) {
  return new Hono()
    .get("/v1/models", (c) => {
      const models = listModels(accounts());
      return c.json(
        c.req.header("anthropic-version") ? anthropicModelList(models) : openaiModelList(models),
      );
    })
    .get("/v1/models/:id{.+}", (c) => {
      const id = c.req.param("id");
      const model = listModels(accounts()).find((m) => m.id === id);
      if (!model) throw notFound(id);
      return c.json(c.req.header("anthropic-version") ? anthropicModel(model) : openaiModel(model));
    })
    .get("/v1beta/models", (c) => c.json(geminiModelList(listModels(accounts()))))
    .get("/v1beta/models/:id{[^:]+}", (c) => {
      const id = c.req.param("id");
      const model = listModels(accounts()).find((m) => m.id === id);
      if (!model) throw notFound(id);
      return c.json(geminiModel(model));
    });
}
