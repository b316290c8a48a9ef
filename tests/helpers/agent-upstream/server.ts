/**
 * @module
 * Local stand-ins for the APIs behind subgate when real agent CLIs run through it: a fake
 * Anthropic Messages API, OpenAI Responses API, Gemini API and OpenAI Chat Completions API, each
 * on its own port. Each answers any model of the families it serves (a model outside them gets
 * the API's own 404), checks the upstream key subgate was given, lists ONE older model at its
 * model-list endpoint (so a CLI's newer default is a name no list knows), and records every
 * request for the test to assert on.
 */
import { anthropicFake } from "./anthropic.ts";
import type { DialectFake } from "./dialect.ts";
import { geminiFake } from "./gemini.ts";
import { openaiChatFake } from "./openai-chat.ts";
import { openaiResponsesFake } from "./openai-responses.ts";
import { type Json, type Reading, type Reply, scriptedReply } from "./script.ts";

export type AgentDialect = "anthropic" | "openai-responses" | "gemini" | "openai-chat";

const FAKES: Record<AgentDialect, DialectFake> = {
  anthropic: anthropicFake,
  "openai-responses": openaiResponsesFake,
  gemini: geminiFake,
  "openai-chat": openaiChatFake,
};

/** Model families by name, as the vendors name them. */
export const FAMILIES = {
  claude: /^claude-/,
  gpt: /^(gpt-|o\d|codex-)/,
  gemini: /^gemini-/,
} as const;

export type Family = keyof typeof FAMILIES;

export interface SeenRequest {
  method: string;
  path: string;
  /** The query string with its `?`, or "". */
  search: string;
  /** The model a generate or count request named; "" for model lists. */
  model: string;
  headers: Record<string, string>;
  body: Json;
  /** What the fake read and answered, for generate requests. */
  reading?: Reading;
  reply?: Reply;
  status: number;
}

export interface AgentUpstream {
  dialect: AgentDialect;
  /** As its greeting names it: "Hello from the fake Anthropic upstream". */
  name: string;
  url: string;
  /** Every request, in arrival order. */
  requests: SeenRequest[];
  /** The generate requests only. */
  generations(): SeenRequest[];
  close(): Promise<void>;
}

export interface AgentUpstreamOptions {
  /** The key subgate must send (x-api-key, Bearer or x-goog-api-key, per dialect). */
  key: string;
  families: Family[];
  /** The one model the model-list endpoint names. */
  listedModel: string;
}

async function bodyOf(request: Request): Promise<Json> {
  if (request.method !== "POST") return {};
  try {
    const parsed = await request.json();
    return parsed && typeof parsed === "object" ? parsed as Json : {};
  } catch {
    return {};
  }
}

function serve(fake: DialectFake, options: AgentUpstreamOptions, seen: SeenRequest) {
  const route = fake.route(seen.method, seen.path);
  if (!route) return fake.error(404, `no such endpoint: ${seen.method} ${seen.path}`);
  if (!fake.authorized(new Headers(seen.headers), options.key)) {
    return fake.error(401, "invalid upstream key");
  }
  if (route === "models") return Response.json(fake.modelList(options.listedModel));
  if (!options.families.some((family) => FAMILIES[family].test(seen.model))) {
    return fake.error(404, `model: ${seen.model} is not served here`);
  }
  if (route === "count") return fake.countAnswer?.() ?? fake.error(404, "no token counting");
  seen.reading = fake.read(seen.body);
  seen.reply = scriptedReply(seen.reading, fake.name);
  return fake.answer(seen.reply, {
    model: seen.model,
    stream: fake.streams(seen.path, seen.body),
    body: seen.body,
  });
}

export function startAgentUpstream(
  dialect: AgentDialect,
  options: AgentUpstreamOptions,
): AgentUpstream {
  const fake = FAKES[dialect];
  const requests: SeenRequest[] = [];
  const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen() {} }, async (request) => {
    const url = new URL(request.url);
    const body = await bodyOf(request);
    const seen: SeenRequest = {
      method: request.method,
      path: url.pathname,
      search: url.search,
      model: fake.modelOf(url.pathname, body),
      headers: Object.fromEntries(request.headers),
      body,
      status: 0,
    };
    requests.push(seen);
    const response = serve(fake, options, seen);
    seen.status = response.status;
    return response;
  });
  return {
    dialect,
    name: fake.name,
    url: `http://127.0.0.1:${server.addr.port}`,
    requests,
    generations: () => requests.filter((request) => request.reply !== undefined),
    close: () => server.shutdown(),
  };
}
