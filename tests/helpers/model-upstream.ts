/**
 * @module
 * A local upstream that, like the real APIs, knows a set of model names:
 * Anthropic Messages, OpenAI Chat Completions and Gemini generateContent
 * answer a known model with a real capture and an unknown one with that
 * API's own 404 body; each API's model list (`GET /v1/models`, `GET
 * /v1beta/models`) lists what `list` says. Answers can be scripted per key
 * (a 401, a 502) and every call is recorded with its credential.
 */
import { readJsonFixture } from "./provider-fixtures.ts";

export interface ModelCall {
  api: "anthropic" | "openai-chat" | "gemini";
  model: string;
  /** The credential the call carried (x-api-key, Bearer or x-goog-api-key). */
  key: string;
}

export interface ModelUpstreamOptions {
  /** Which names the upstream serves; others get its 404. */
  knows(model: string): boolean;
  /** What its model lists name (the real APIs list fewer than they serve, and lag releases). */
  list: string[];
  /** Listen on this port (an upstream coming back where it was); any free one otherwise. */
  port?: number;
}

export interface ModelUpstream {
  url: string;
  calls: ModelCall[];
  /** Model-list requests, by path. */
  listCalls: string[];
  /** Answers the next `count` generation calls carrying `key` with `status` (the API's error body). */
  fail(key: string, status: number, count?: number): void;
  close(): Promise<void>;
}

const ANTHROPIC_OK = readJsonFixture("anthropic-messages", "anthropic-text.json");
const CHAT_OK = readJsonFixture("openai-chat", "openai-text.json");
const GEMINI_OK = readJsonFixture("gemini", "google-text.json");

function keyOf(request: Request): string {
  const bearer = /^Bearer (.+)$/.exec(request.headers.get("authorization") ?? "")?.[1];
  return request.headers.get("x-api-key") ?? bearer ?? request.headers.get("x-goog-api-key") ??
    "";
}

function errorBody(api: ModelCall["api"], status: number, message: string): unknown {
  if (api === "anthropic") {
    const type = status === 404
      ? "not_found_error"
      : status === 401
      ? "authentication_error"
      : "api_error";
    return { type: "error", error: { type, message } };
  }
  if (api === "gemini") {
    const code = status === 404 ? "NOT_FOUND" : status === 401 ? "UNAUTHENTICATED" : "INTERNAL";
    return { error: { code: status, message, status: code } };
  }
  const code = status === 404 ? "model_not_found" : status === 401 ? "invalid_api_key" : null;
  return { error: { message, type: "invalid_request_error", param: null, code } };
}

function listBody(path: string, request: Request, models: string[]): unknown {
  if (path.startsWith("/v1beta/")) {
    return {
      models: models.map((id) => ({
        name: `models/${id}`,
        supportedGenerationMethods: ["generateContent", "countTokens"],
      })),
    };
  }
  if (request.headers.has("anthropic-version")) {
    return {
      data: models.map((id) => ({ type: "model", id, display_name: id })),
      has_more: false,
    };
  }
  return { object: "list", data: models.map((id) => ({ id, object: "model", owned_by: "test" })) };
}

/** The API and model a generation call names, from its path and body. */
function callOf(path: string, body: Record<string, unknown>) {
  const gemini = /\/models\/([^/:]+):generateContent$/.exec(path);
  if (gemini) return { api: "gemini" as const, model: decodeURIComponent(gemini[1]) };
  if (path.endsWith("/v1/messages")) {
    return { api: "anthropic" as const, model: String(body.model) };
  }
  if (path.endsWith("/chat/completions")) {
    return { api: "openai-chat" as const, model: String(body.model) };
  }
  return undefined;
}

export function startModelUpstream(options: ModelUpstreamOptions): ModelUpstream {
  const calls: ModelCall[] = [];
  const listCalls: string[] = [];
  const scripted = new Map<string, number[]>();
  const server = Deno.serve({
    hostname: "127.0.0.1",
    port: options.port ?? 0,
    onListen: () => {},
  }, async (req) => {
    const path = new URL(req.url).pathname;
    if (req.method === "GET" && path.endsWith("/models")) {
      listCalls.push(path);
      return Response.json(listBody(path, req, options.list));
    }
    const body = await req.json().catch(() => ({})) as Record<string, unknown>;
    const call = callOf(path, body);
    if (!call) return Response.json({ error: `no such path ${path}` }, { status: 404 });
    const key = keyOf(req);
    calls.push({ ...call, key });
    const status = scripted.get(key)?.shift();
    if (status) {
      return Response.json(errorBody(call.api, status, `scripted ${status}`), { status });
    }
    if (!options.knows(call.model)) {
      return Response.json(
        errorBody(call.api, 404, `model: ${call.model} is not a model this upstream serves`),
        { status: 404 },
      );
    }
    const ok = call.api === "anthropic"
      ? ANTHROPIC_OK
      : call.api === "gemini"
      ? GEMINI_OK
      : CHAT_OK;
    return Response.json({ ...ok, ...(call.api === "gemini" ? {} : { model: call.model }) });
  });
  const url = `http://127.0.0.1:${server.addr.port}`;
  return {
    url,
    calls,
    listCalls,
    fail(key, status, count = 1) {
      const queue = scripted.get(key) ?? [];
      for (let i = 0; i < count; i++) queue.push(status);
      scripted.set(key, queue);
    },
    close: () => server.shutdown(),
  };
}
