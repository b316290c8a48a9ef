/**
 * @module
 * Collects an upstream stream into one canonical answer, for upstreams that
 * only stream (the Codex backend) serving clients that asked for a plain
 * response. Reasoning keeps its signature and encrypted content, marked with
 * the upstream's dialect as their origin.
 */
import type { StreamDecoder } from "../dialects/codec.ts";
import type { AssistantPart, ReasoningPart, ToolCallPart } from "../ir/message.ts";
import type { CanonicalResponse } from "../ir/response.ts";
import { emptyUsage, mergeUsage } from "../ir/usage.ts";
import { ApiErrorException } from "../errors/api-error.ts";
import { createSseParser } from "../sse/parse-sse.ts";
import { tooLarge } from "../http/read-upstream.ts";
import type { StreamEvent } from "../ir/stream-event.ts";

export async function collectStream(
  body: ReadableStream<Uint8Array>,
  decoder: StreamDecoder,
  origin: string,
  limits: { body: number; event: number },
): Promise<CanonicalResponse> {
  const answer: CanonicalResponse = {
    id: "",
    model: "",
    content: [],
    stopReason: "end",
    usage: emptyUsage(),
  };
  const blocks = new Map<number, AssistantPart>();
  const apply = (event: StreamEvent) => {
    switch (event.type) {
      case "start":
        answer.id = event.id;
        answer.model = event.model;
        answer.created = event.created;
        answer.usage = mergeUsage(answer.usage, event.usage);
        break;
      case "text-start":
        blocks.set(event.index, { type: "text", text: "" });
        break;
      case "text-delta": {
        const part = blocks.get(event.index) ?? { type: "text" as const, text: "" };
        if (part.type === "text") part.text += event.text;
        blocks.set(event.index, part);
        break;
      }
      case "reasoning-start":
        blocks.set(event.index, {
          type: "reasoning",
          text: "",
          id: event.id,
          redacted: event.redacted,
          encrypted: event.encrypted,
          origin,
        });
        break;
      case "reasoning-delta": {
        const part = blocks.get(event.index) as ReasoningPart | undefined;
        if (part?.type === "reasoning") part.text += event.text;
        break;
      }
      case "reasoning-signature": {
        const part = blocks.get(event.index) as ReasoningPart | undefined;
        if (part?.type !== "reasoning") break;
        if (event.signature) part.signature = event.signature;
        if (event.encrypted) part.encrypted = event.encrypted;
        break;
      }
      case "tool-call-start":
        blocks.set(event.index, {
          type: "tool-call",
          id: event.id,
          name: event.name,
          arguments: "",
          signature: event.signature,
        });
        break;
      case "tool-call-delta": {
        const part = blocks.get(event.index) as ToolCallPart | undefined;
        if (part?.type === "tool-call") part.arguments += event.argumentsDelta;
        break;
      }
      case "usage":
        answer.usage = mergeUsage(answer.usage, event.usage);
        break;
      case "finish":
        answer.stopReason = event.stopReason;
        answer.stopSequence = event.stopSequence;
        answer.usage = mergeUsage(answer.usage, event.usage);
        break;
      case "error":
        throw new ApiErrorException(event.error);
    }
  };
  const parser = createSseParser(limits.event);
  const text = new TextDecoder();
  let size = 0;
  for await (const chunk of body) {
    size += chunk.length;
    // Leaving the loop (the throw) cancels the upstream body.
    if (size > limits.body) throw new ApiErrorException(tooLarge(limits.body));
    for (const event of parser.push(text.decode(chunk, { stream: true }))) {
      for (const canonical of decoder.decode(event)) apply(canonical);
    }
  }
  for (const event of [...parser.push(text.decode()), ...parser.end()]) {
    for (const canonical of decoder.decode(event)) apply(canonical);
  }
  for (const canonical of decoder.end()) apply(canonical);
  answer.content = [...blocks.entries()].sort(([a], [b]) => a - b).map(([, part]) => part);
  return answer;
}
