/**
 * @module
 * The fake Gemini API: `POST /v1beta/models/{model}:generateContent`, `:streamGenerateContent`
 * (`alt=sse`: bare `data:` lines) and `:countTokens`, answered in the shapes of
 * tests/fixtures/gemini/google-text.chunks.txt and google-tool-call-gemini3.chunks.txt (a
 * function call carries an `id`-less call with a `thoughtSignature`, as Gemini 3 sends).
 */
import type { DialectFake } from "./dialect.ts";
import {
  fakeId,
  isObject,
  type Json,
  pieces,
  type PlainReply,
  plainReply,
  type Reading,
  type Reply,
  sse,
  textOf,
} from "./script.ts";

interface GeminiPart {
  text?: string;
  functionResponse?: { name?: string; response?: Json };
}

interface GeminiRequest {
  contents?: { role?: string; parts?: GeminiPart[] }[];
  tools?: { functionDeclarations?: { name?: string }[] }[];
  generationConfig?: { responseJsonSchema?: Json; responseSchema?: Json };
}

const GENERATE = /^\/v1beta\/models\/([^/:]+):(generateContent|streamGenerateContent|countTokens)$/;

function read(body: Json): Reading {
  const request = body as unknown as GeminiRequest;
  const prompt: string[] = [];
  let toolOutput: string | undefined;
  for (const content of request.contents ?? []) {
    const parts = content.parts ?? [];
    const response = parts.find((part) => part.functionResponse)?.functionResponse;
    if (response) toolOutput = JSON.stringify(response.response ?? {});
    else if (content.role === "user") prompt.push(textOf(parts));
  }
  const config = request.generationConfig ?? {};
  const schema = config.responseJsonSchema ?? config.responseSchema;
  return {
    prompt: prompt.join("\n"),
    tools: (request.tools ?? []).flatMap((tool) =>
      (tool.functionDeclarations ?? []).map((declaration) => ({
        name: String(declaration.name ?? ""),
        custom: false,
      }))
    ),
    toolOutput,
    schema: isObject(schema) ? schema : undefined,
  };
}

// A stand-in signature: opaque to every client, it only has to come back unchanged.
const SIGNATURE = btoa("scripted thought signature");

function usage(output: number) {
  return { promptTokenCount: 12, candidatesTokenCount: output, totalTokenCount: 12 + output };
}

function response(parts: Json[], model: string, responseId: string, last: boolean): Json {
  return {
    candidates: [{
      content: { role: "model", parts },
      ...(last ? { finishReason: "STOP" } : {}),
      index: 0,
    }],
    usageMetadata: usage(last ? 20 : 5),
    modelVersion: model,
    responseId,
  };
}

function callPart(reply: PlainReply & { type: "tool" }): Json {
  return { functionCall: { name: reply.name, args: reply.arguments }, thoughtSignature: SIGNATURE };
}

function answer(scripted: Reply, { model, stream }: { model: string; stream: boolean }): Response {
  const reply = plainReply(scripted);
  const id = fakeId("");
  if (!stream) {
    const parts = reply.type === "text" ? [{ text: reply.text }] : [callPart(reply)];
    return Response.json(response(parts, model, id, true));
  }
  const chunks = reply.type === "text"
    ? pieces(reply.text).map((text, i, all) =>
      response([{ text }], model, id, i === all.length - 1)
    )
    : [response([callPart(reply)], model, id, false), response([{ text: "" }], model, id, true)];
  return new Response(sse(chunks.map((data) => ({ data }))), {
    headers: { "content-type": "text/event-stream" },
  });
}

export const geminiFake: DialectFake = {
  name: "Gemini",
  authorized: (headers, key) => headers.get("x-goog-api-key") === key,
  route(method, path) {
    if (method === "GET" && path === "/v1beta/models") return "models";
    const match = GENERATE.exec(path);
    if (method !== "POST" || !match) return undefined;
    return match[2] === "countTokens" ? "count" : "generate";
  },
  modelOf: (path) => GENERATE.exec(path)?.[1] ?? "",
  streams: (path) => path.endsWith(":streamGenerateContent"),
  read,
  answer,
  countAnswer: () => Response.json({ totalTokens: 42 }),
  modelList: (id) => ({
    models: [{
      name: `models/${id}`,
      version: "001",
      displayName: id,
      supportedGenerationMethods: ["generateContent", "countTokens"],
    }],
  }),
  error(status, message) {
    const reason = status === 401
      ? "UNAUTHENTICATED"
      : status === 404
      ? "NOT_FOUND"
      : "INVALID_ARGUMENT";
    return Response.json({ error: { code: status, message, status: reason } }, { status });
  },
};
