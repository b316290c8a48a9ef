/**
 * @module
 * What each capture says, read with plain paths and independently of
 * subgate's codecs: the answer text and the first tool call. Tests compare
 * what a client receives through subgate against these.
 */
import {
  chunksAsSse,
  type FixtureDialect,
  readCassette,
  readChunks,
  readJsonFixture,
} from "./provider-fixtures.ts";
import type { UpstreamDialect } from "./replay-upstream.ts";

type Json = Record<string, unknown>;

export interface Capture {
  dialect: UpstreamDialect;
  /** Bytes the upstream sends. */
  body: string;
  text: string;
  toolCall?: { name: string; args: unknown };
}

const DIR: Record<UpstreamDialect, FixtureDialect> = {
  anthropic: "anthropic-messages",
  "openai-chat": "openai-chat",
  "openai-responses": "openai-responses",
  gemini: "gemini",
};

function jsonCapture(dialect: UpstreamDialect, name: string): Capture {
  const body = readJsonFixture(DIR[dialect], name);
  const raw = JSON.stringify(body);
  switch (dialect) {
    case "anthropic": {
      const content = body.content as Json[];
      const tool = content.find((b) => b.type === "tool_use");
      return {
        dialect,
        body: raw,
        text: content.filter((b) => b.type === "text").map((b) => b.text).join(""),
        toolCall: tool && { name: String(tool.name), args: tool.input },
      };
    }
    case "openai-chat": {
      const message = (body.choices as Json[])[0].message as Json;
      const call = ((message.tool_calls as Json[] | undefined) ?? [])[0]?.function as
        | Json
        | undefined;
      return {
        dialect,
        body: raw,
        text: String(message.content ?? ""),
        toolCall: call && { name: String(call.name), args: JSON.parse(String(call.arguments)) },
      };
    }
    case "openai-responses": {
      const output = body.output as Json[];
      const text = output.filter((o) => o.type === "message")
        .flatMap((o) => o.content as Json[]).filter((c) => c.type === "output_text")
        .map((c) => c.text).join("");
      const call = output.find((o) => o.type === "function_call");
      return {
        dialect,
        body: raw,
        text,
        toolCall: call && { name: String(call.name), args: JSON.parse(String(call.arguments)) },
      };
    }
    case "gemini": {
      const parts = ((body.candidates as Json[])[0].content as Json).parts as Json[];
      const call = parts.find((p) => p.functionCall)?.functionCall as Json | undefined;
      return {
        dialect,
        body: raw,
        text: parts.filter((p) => typeof p.text === "string" && !p.thought).map((p) => p.text)
          .join(""),
        toolCall: call && { name: String(call.name), args: call.args ?? {} },
      };
    }
  }
}

function streamCapture(dialect: UpstreamDialect, name: string): Capture {
  const events = readChunks(DIR[dialect], name);
  let text = "";
  let toolName: string | undefined;
  let toolArgs = "";
  let toolObject: unknown;
  for (const event of events) {
    switch (dialect) {
      case "anthropic": {
        const delta = event.delta as Json | undefined;
        if (event.type === "content_block_delta" && delta?.type === "text_delta") {
          text += delta.text;
        }
        if (event.type === "content_block_delta" && delta?.type === "input_json_delta") {
          toolArgs += delta.partial_json;
        }
        const block = event.content_block as Json | undefined;
        if (event.type === "content_block_start" && block?.type === "tool_use" && !toolName) {
          toolName = String(block.name);
        }
        break;
      }
      case "openai-chat": {
        const delta = ((event.choices as Json[] | undefined)?.[0]?.delta ?? {}) as Json;
        if (typeof delta.content === "string") text += delta.content;
        const call = ((delta.tool_calls as Json[] | undefined) ?? [])[0];
        if (call && (call.index ?? 0) === 0) {
          const fn = call.function as Json;
          if (fn?.name) toolName ??= String(fn.name);
          if (typeof fn?.arguments === "string") toolArgs += fn.arguments;
        }
        break;
      }
      case "openai-responses": {
        if (event.type === "response.output_text.delta") text += event.delta;
        const item = event.item as Json | undefined;
        if (
          event.type === "response.output_item.done" && item?.type === "function_call" && !toolName
        ) {
          toolName = String(item.name);
          toolArgs = String(item.arguments);
        }
        break;
      }
      case "gemini": {
        const parts = (((event.candidates as Json[] | undefined)?.[0]?.content as Json | undefined)
          ?.parts ?? []) as Json[];
        for (const part of parts) {
          if (typeof part.text === "string" && !part.thought) text += part.text;
          const call = part.functionCall as Json | undefined;
          if (call && !toolName) {
            toolName = String(call.name);
            toolObject = call.args ?? {};
          }
        }
        break;
      }
    }
  }
  return {
    dialect,
    body: chunksAsSse(DIR[dialect], name),
    text,
    toolCall: toolName
      ? { name: toolName, args: toolObject ?? (toolArgs ? JSON.parse(toolArgs) : {}) }
      : undefined,
  };
}

/** The captures the matrix replays, per upstream dialect. */
export const CAPTURES = {
  text: {
    anthropic: () => jsonCapture("anthropic", "anthropic-text.json"),
    "openai-chat": () => jsonCapture("openai-chat", "openai-text.json"),
    "openai-responses": () => jsonCapture("openai-responses", "azure-text.1.json"),
    gemini: () => jsonCapture("gemini", "google-text.json"),
  },
  textStream: {
    anthropic: () => streamCapture("anthropic", "anthropic-text.chunks.txt"),
    "openai-chat": () => streamCapture("openai-chat", "openai-text.chunks.txt"),
    "openai-responses": () =>
      streamCapture("openai-responses", "openai-pdf-input-file.1.chunks.txt"),
    gemini: () => streamCapture("gemini", "google-text.chunks.txt"),
  },
  tool: {
    anthropic: () => jsonCapture("anthropic", "anthropic-json-tool.1.json"),
    "openai-chat": () => jsonCapture("openai-chat", "deepseek-tool-call.json"),
    "openai-responses": () => jsonCapture("openai-responses", "azure-tool-call.1.json"),
    gemini: () => jsonCapture("gemini", "google-tool-call.json"),
  },
  toolStream: {
    anthropic: () => streamCapture("anthropic", "anthropic-json-tool.1.chunks.txt"),
    "openai-chat": () => streamCapture("openai-chat", "alibaba-tool-call.chunks.txt"),
    "openai-responses": () => streamCapture("openai-responses", "azure-tool-call.1.chunks.txt"),
    gemini: () => streamCapture("gemini", "google-tool-call.chunks.txt"),
  },
} satisfies Record<string, Record<UpstreamDialect, () => Capture>>;

/** Reasoning captures: the answer's thought text, read with plain paths. */
export function reasoningCapture(dialect: UpstreamDialect): Capture & { reasoning: string } {
  switch (dialect) {
    case "anthropic": {
      const body = readJsonFixture(
        "anthropic-messages",
        "anthropic-claude-opus-5-reasoning-high.1.json",
      );
      const content = body.content as Json[];
      return {
        dialect,
        body: JSON.stringify(body),
        text: content.filter((b) => b.type === "text").map((b) => b.text).join(""),
        reasoning: content.filter((b) => b.type === "thinking").map((b) => b.thinking).join(""),
      };
    }
    case "openai-chat": {
      const body = readJsonFixture("openai-chat", "deepseek-reasoning.json");
      const message = (body.choices as Json[])[0].message as Json;
      return {
        dialect,
        body: JSON.stringify(body),
        text: String(message.content),
        reasoning: String(message.reasoning_content),
      };
    }
    case "openai-responses": {
      const body = readJsonFixture("openai-responses", "openai-reasoning-encrypted-content.1.json");
      const output = body.output as Json[];
      return {
        dialect,
        body: JSON.stringify(body),
        text: output.filter((o) => o.type === "message").flatMap((o) => o.content as Json[])
          .map((c) => c.text).join(""),
        reasoning: output.filter((o) => o.type === "reasoning")
          .flatMap((o) => o.summary as Json[]).map((s) => s.text).join("\n\n"),
      };
    }
    case "gemini": {
      const [first] = readCassette("gemini", "test_google_model_thinking_part.yaml");
      const parts = ((first.response.json as Json).candidates as Json[])[0].content as Json;
      const list = parts.parts as Json[];
      return {
        dialect,
        body: first.response.text,
        text: list.filter((p) => !p.thought).map((p) => p.text ?? "").join(""),
        reasoning: list.filter((p) => p.thought).map((p) => p.text).join(""),
      };
    }
  }
}
