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
  listModels,
  openaiModel,
  openaiModelList,
} from "../../models/list-models.ts";
import { apiError } from "../api-error.ts";
import { detectDialect } from "../dialect.ts";

export function modelRoutes(accounts: () => readonly Account[]) {
  const list = (c: Context) => {
    const models = listModels(accounts());
    switch (detectDialect(c.req.path, c.req.raw.headers)) {
      case "anthropic":
        return c.json(anthropicModelList(models));
      case "gemini":
        return c.json(geminiModelList(models));
      case "openai":
        return c.json(openaiModelList(models));
    }
  };
  const one = (c: Context) => {
    const id = c.req.param("id")!.replace(/^models\//, "");
    const model = listModels(accounts()).find((m) => m.id === id);
    if (!model) {
      throw apiError("not_found", `The model '${id}' is not served by any account in subgate.`);
    }
    switch (detectDialect(c.req.path, c.req.raw.headers)) {
      case "anthropic":
        return c.json(anthropicModel(model));
      case "gemini":
        return c.json(geminiModel(model));
      case "openai":
        return c.json(openaiModel(model));
    }
  };
  return new Hono()
    .get("/v1/models", list)
    .get("/v1beta/models", list)
    .get("/v1/models/:id{[^:]+}", one)
    .get("/v1beta/models/:id{[^:]+}", one);
}
