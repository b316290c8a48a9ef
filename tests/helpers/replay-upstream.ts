/**
 * @module
 * A local upstream for every dialect at once: it answers each call with the
 * real capture a test queued, and checks each request it receives against the
 * rules the real API enforces (auth header, required fields, roles, tool
 * results answering earlier tool calls). A request that breaks a rule is
 * recorded in `violations` and refused the way the real API would.
 */

export type UpstreamDialect = "anthropic" | "openai-chat" | "openai-responses" | "gemini";

export interface ReplayAnswer {
  status?: number;
  /** Raw body bytes as text: a JSON body or an SSE stream. */
  body: string;
  contentType?: string;
  headers?: Record<string, string>;
}

export interface RecordedRequest {
  dialect: UpstreamDialect;
  path: string;
  search: string;
  headers: Headers;
  /** The raw body text. */
  text: string;
  json: Record<string, unknown>;
}

export interface ReplayUpstream {
  url: string;
  requests: RecordedRequest[];
  violations: string[];
  /** Queues the answer for the next request of `dialect`. */
  answer(dialect: UpstreamDialect, answer: ReplayAnswer): void;
  /** What `GET …/models` answers (404 until set; a function answers per query), and the requests it saw. */
  modelList(body: unknown): void;
  modelRequests: { search: string; headers: Headers }[];
  /**
   * Answers requests whose path ends with `suffix` with `handler` (an API's own model-list or
   * quota call, as Code Assist's `:fetchAvailableModels`), before any other rule.
   */
  route(suffix: string, handler: (request: Request) => Response | Promise<Response>): void;
  close(): Promise<void>;
}

type Json = Record<string, unknown>;
const isObject = (value: unknown): value is Json =>
  !!value && typeof value === "object" && !Array.isArray(value);

function dialectOf(path: string): UpstreamDialect | undefined {
  if (path.endsWith("/v1/messages") || path.endsWith("/v1/messages/count_tokens")) {
    return "anthropic";
  }
  if (path.endsWith("/chat/completions")) return "openai-chat";
  if (path.endsWith("/responses")) return "openai-responses";
  if (/\/models\/[^/]+:(generateContent|streamGenerateContent|countTokens)$/.test(path)) {
    return "gemini";
  }
  // Code Assist: `v1internal:{method}`, the request in an envelope.
  if (/\/v1internal:(generateContent|streamGenerateContent|countTokens)$/.test(path)) {
    return "gemini";
  }
  return undefined;
}

function anthropicRules(request: RecordedRequest): string[] {
  const problems: string[] = [];
  const body = request.json;
  const bearer = /^Bearer \S+/.test(request.headers.get("authorization") ?? "");
  if (!request.headers.get("x-api-key") && !bearer) {
    problems.push("anthropic: no x-api-key header or OAuth Bearer token");
  }
  if (request.headers.get("x-api-key") && bearer) {
    problems.push("anthropic: both an API key and an OAuth token");
  }
  if (!request.headers.get("anthropic-version")) problems.push("anthropic: no anthropic-version");
  if (typeof body.model !== "string") problems.push("anthropic: model missing");
  const counting = request.path.endsWith("count_tokens");
  if (!counting && !(Number.isInteger(body.max_tokens) && Number(body.max_tokens) > 0)) {
    problems.push("anthropic: max_tokens must be a positive integer");
  }
  const messages = body.messages as Json[] | undefined;
  if (!Array.isArray(messages) || messages.length === 0) {
    return [...problems, "anthropic: no messages"];
  }
  const seen = new Set<string>();
  for (const [i, message] of messages.entries()) {
    if (!["user", "assistant", "system"].includes(String(message.role))) {
      problems.push(`anthropic: messages[${i}].role ${message.role}`);
    }
    const content = typeof message.content === "string" ? [] : message.content as Json[];
    if (!Array.isArray(content) && typeof message.content !== "string") {
      problems.push(`anthropic: messages[${i}].content must be a string or an array`);
      continue;
    }
    for (const block of content) {
      if (block.type === "tool_use") seen.add(String(block.id));
      if (block.type === "tool_result" && !seen.has(String(block.tool_use_id))) {
        problems.push(`anthropic: tool_result ${block.tool_use_id} answers no earlier tool_use`);
      }
      if (block.type === "thinking" && typeof block.signature !== "string") {
        problems.push("anthropic: thinking block without a signature");
      }
      if (block.type === "image" && !isObject(block.source)) {
        problems.push("anthropic: image without source");
      }
    }
  }
  return problems;
}

function openaiChatRules(request: RecordedRequest): string[] {
  const problems: string[] = [];
  const body = request.json;
  if (!/^Bearer \S+/.test(request.headers.get("authorization") ?? "")) {
    problems.push("openai-chat: no Bearer key");
  }
  if (typeof body.model !== "string") problems.push("openai-chat: model missing");
  const messages = body.messages as Json[] | undefined;
  if (!Array.isArray(messages) || messages.length === 0) {
    return [...problems, "openai-chat: no messages"];
  }
  const calls = new Set<string>();
  for (const [i, message] of messages.entries()) {
    if (!["system", "developer", "user", "assistant", "tool"].includes(String(message.role))) {
      problems.push(`openai-chat: messages[${i}].role ${message.role}`);
    }
    for (const call of (message.tool_calls as Json[] | undefined) ?? []) calls.add(String(call.id));
    if (message.role === "tool" && !calls.has(String(message.tool_call_id))) {
      problems.push(`openai-chat: tool message ${message.tool_call_id} answers no earlier call`);
    }
  }
  return problems;
}

function openaiResponsesRules(request: RecordedRequest): string[] {
  const problems: string[] = [];
  const body = request.json;
  if (!/^Bearer \S+/.test(request.headers.get("authorization") ?? "")) {
    problems.push("openai-responses: no Bearer key");
  }
  if (typeof body.model !== "string") problems.push("openai-responses: model missing");
  if (typeof body.input !== "string" && !Array.isArray(body.input)) {
    return [...problems, "openai-responses: input must be a string or a list"];
  }
  const calls = new Set<string>();
  for (const item of Array.isArray(body.input) ? body.input as Json[] : []) {
    if (item.type === "function_call") calls.add(String(item.call_id));
    if (item.type === "function_call_output" && !calls.has(String(item.call_id))) {
      problems.push(`openai-responses: output ${item.call_id} answers no earlier function_call`);
    }
  }
  return problems;
}

function geminiRules(request: RecordedRequest): string[] {
  const problems: string[] = [];
  const codeAssist = request.path.includes("/v1internal:");
  if (codeAssist) {
    if (!/^Bearer \S+/.test(request.headers.get("authorization") ?? "")) {
      problems.push("code assist: no Bearer token");
    }
    if (typeof request.json.project !== "string" || typeof request.json.model !== "string") {
      problems.push("code assist: the envelope needs model and project");
    }
    if (!isObject(request.json.request)) {
      return [...problems, "code assist: no request in the envelope"];
    }
  } else if (!request.headers.get("x-goog-api-key")) problems.push("gemini: no x-goog-api-key");
  const body = codeAssist ? request.json.request as Json : request.json;
  if (request.path.endsWith(":streamGenerateContent") && !request.search.includes("alt=sse")) {
    problems.push("gemini: streaming without alt=sse");
  }
  const contents =
    (request.path.endsWith(":countTokens") && isObject(body.generateContentRequest)
      ? (body.generateContentRequest as Json).contents
      : body.contents) as Json[] | undefined;
  if (!Array.isArray(contents) || contents.length === 0) {
    return [...problems, "gemini: no contents"];
  }
  for (const [i, content] of contents.entries()) {
    if (!["user", "model"].includes(String(content.role))) {
      problems.push(`gemini: contents[${i}].role ${content.role}`);
    }
    const parts = content.parts as Json[] | undefined;
    if (!Array.isArray(parts) || parts.length === 0) {
      problems.push(`gemini: contents[${i}] has no parts`);
    }
    for (const part of parts ?? []) {
      const response = part.functionResponse as Json | undefined;
      if (response && (typeof response.name !== "string" || !isObject(response.response))) {
        problems.push("gemini: functionResponse needs a name and an object response");
      }
    }
  }
  return problems;
}

const RULES: Record<UpstreamDialect, (request: RecordedRequest) => string[]> = {
  anthropic: anthropicRules,
  "openai-chat": openaiChatRules,
  "openai-responses": openaiResponsesRules,
  gemini: geminiRules,
};

export function startReplayUpstream(): ReplayUpstream {
  const requests: RecordedRequest[] = [];
  const violations: string[] = [];
  const queues = new Map<UpstreamDialect, ReplayAnswer[]>();
  const modelRequests: { search: string; headers: Headers }[] = [];
  let models: unknown;
  const routes = new Map<string, (request: Request) => Response | Promise<Response>>();
  const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen: () => {} }, async (req) => {
    const url = new URL(req.url);
    for (const [suffix, handler] of routes) {
      if (url.pathname.endsWith(suffix)) return await handler(req);
    }
    if (req.method === "GET" && url.pathname.endsWith("/models") && models !== undefined) {
      modelRequests.push({ search: url.search, headers: req.headers });
      return Response.json(typeof models === "function" ? models(url.searchParams) : models);
    }
    const dialect = dialectOf(url.pathname);
    const text = await req.text();
    if (!dialect) return Response.json({ error: `no such path ${url.pathname}` }, { status: 404 });
    let json: Json = {};
    try {
      json = JSON.parse(text);
    } catch {
      violations.push(`${dialect}: body is not JSON`);
    }
    const request: RecordedRequest = {
      dialect,
      path: url.pathname,
      search: url.search,
      headers: req.headers,
      text,
      json,
    };
    requests.push(request);
    const problems = RULES[dialect](request);
    if (problems.length) {
      violations.push(...problems);
      return Response.json({ error: { message: problems.join("; ") } }, { status: 400 });
    }
    const answer = queues.get(dialect)?.shift();
    if (!answer) {
      violations.push(`${dialect}: no answer queued for ${url.pathname}`);
      return Response.json({ error: { message: "nothing queued" } }, { status: 500 });
    }
    const streaming = answer.body.startsWith("event:") || answer.body.startsWith("data:");
    return new Response(answer.body, {
      status: answer.status ?? 200,
      headers: {
        "content-type": answer.contentType ??
          (streaming ? "text/event-stream" : "application/json"),
        ...answer.headers,
      },
    });
  });
  return {
    url: `http://127.0.0.1:${(server.addr as Deno.NetAddr).port}`,
    requests,
    violations,
    answer(dialect, answer) {
      const queue = queues.get(dialect) ?? [];
      queue.push(answer);
      queues.set(dialect, queue);
    },
    modelList(body) {
      models = body;
    },
    modelRequests,
    route(suffix, handler) {
      routes.set(suffix, handler);
    },
    close: () => server.shutdown(),
  };
}
