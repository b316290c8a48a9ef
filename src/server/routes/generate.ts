/**
 * @module
 * The generation endpoints of all four dialects. Each route only says which
 * dialect it speaks; the pipeline does the rest.
 */
import { type Context, Hono } from "hono";
import type { DialectId } from "../../dialects/codec.ts";
import { handleCountTokens } from "../../proxy/handle-count-tokens.ts";
import { handleGenerate, type PipelineContext } from "../../proxy/handle-generate.ts";
import { apiError } from "../../errors/api-error.ts";
import { type BodyLimits, readBody } from "../read-body.ts";
import { CODECS } from "../../dialects/registry.ts";
import type { ServerEnv } from "../server-env.ts";

const GEMINI_METHODS: Record<string, { action: "generate" | "count-tokens"; stream: boolean }> = {
  generateContent: { action: "generate", stream: false },
  streamGenerateContent: { action: "generate", stream: true },
  countTokens: { action: "count-tokens", stream: false },
};

/** The limits on a request body, from the config in force. */
function bodyLimits(context: PipelineContext): BodyLimits {
  const config = context.config();
  return { maxBytes: config.bodyLimit, idleSeconds: config.clientIdleTimeout };
}

export function generateRoutes(context: PipelineContext) {
  const run = (dialect: DialectId, count = false) => async (c: Context<ServerEnv>) => {
    c.set("errorFormat", CODECS[dialect].errorFormat);
    const input = {
      dialect,
      request: c.req.raw,
      body: await readBody(c.req.raw, bodyLimits(context)),
      action: count ? "count-tokens" as const : "generate" as const,
      clientKey: c.get("clientKey"),
      completed: c.env?.completed,
    };
    return count ? await handleCountTokens(input, context) : await handleGenerate(input, context);
  };

  /** `models/{model}:{method}`, as the Gemini API and Gemini CLI call it. */
  const gemini = async (c: Context<ServerEnv>) => {
    c.set("errorFormat", "gemini");
    // Hono has decoded the parameter once (strictUrl refused escapes that do not decode);
    // decoding again would turn an encoded '%' into an escape.
    const target = c.req.param("target") ?? "";
    const colon = target.lastIndexOf(":");
    const method = GEMINI_METHODS[target.slice(colon + 1)];
    if (colon <= 0 || !method) {
      throw apiError("not_found", `Unknown Gemini method: ${c.req.method} ${c.req.path}`);
    }
    const input = {
      dialect: "gemini" as const,
      request: c.req.raw,
      body: await readBody(c.req.raw, bodyLimits(context)),
      action: method.action,
      model: target.slice(0, colon).replace(/^models\//, ""),
      stream: method.stream,
      clientKey: c.get("clientKey"),
      completed: c.env?.completed,
    };
    return method.action === "count-tokens"
      ? await handleCountTokens(input, context)
      : await handleGenerate(input, context);
  };

  return new Hono<ServerEnv>()
    .post("/v1/chat/completions", run("openai-chat"))
    .post("/v1/responses", run("openai-responses"))
    // Codex CLI tries a WebSocket first; a prompt refusal makes it use HTTP at once.
    .get("/v1/responses", () => {
      throw apiError(
        "invalid_request",
        "subgate serves the Responses API over HTTP only; WebSocket upgrades are refused.",
        { status: 426 },
      );
    })
    .post("/v1/messages", run("anthropic"))
    .post("/v1/messages/count_tokens", run("anthropic", true))
    .post("/v1beta/models/:target{.+}", gemini)
    .post("/v1/models/:target{.+:[A-Za-z]+}", gemini);
}
