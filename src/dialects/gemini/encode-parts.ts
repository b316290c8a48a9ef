/**
 * @module
 * Canonical message parts as Gemini parts, for requests to a Gemini upstream
 * and for answers to a Gemini client.
 *
 * - Reasoning with text is a thought part (`thought: true`), with its
 *   `thoughtSignature` when the signature is Gemini's. An empty reasoning part
 *   with a Gemini signature (a signature carrier, see decode-response.ts) puts
 *   its signature on the text or file part right after it, or is an empty text
 *   part with the signature when no such part follows.
 * - A tool call is a `functionCall` with its arguments parsed to an object,
 *   its `id` (unless subgate made the id up for a Gemini client's own call)
 *   and its `thoughtSignature` (the IR's tool-call signature is Gemini's by
 *   definition). Going upstream to Gemini 3, a call batch without any real
 *   signature gets Google's documented placeholder
 *   `skip_thought_signature_validator`, which Gemini 3 requires for calls it
 *   did not make itself (a conversation begun on another model).
 * - A tool result is a `functionResponse` named after its call: a JSON object
 *   result is the `response`; anything else is wrapped as `{output: …}` (or
 *   `{error: …}` for an error), the keys Google documents. Images and files in
 *   a result go in `functionResponse.parts`.
 */
import type {
  AssistantPart,
  FilePart,
  ReasoningPart,
  TextPart,
  ToolCallPart,
  ToolResultPart,
} from "../../ir/message.ts";
import { apiError } from "../../errors/api-error.ts";
import { ORIGIN } from "./decode-response.ts";
import type { GeminiFunctionResponsePart, GeminiPart } from "./wire-types.ts";
import { isObject } from "../../ir/json.ts";

export const SKIP_SIGNATURE = "skip_thought_signature_validator";

function geminiData(part: { providerData?: Record<string, Record<string, unknown>> }) {
  const data = part.providerData?.[ORIGIN];
  return isObject(data) ? data : undefined;
}

function isCarrier(part: ReasoningPart): boolean {
  return part.type === "reasoning" && part.text === "" && !!part.signature &&
    part.origin === ORIGIN;
}

const DATA_URL = /^data:([^;,]+)?(?:;[^,]*)?;base64,(.*)$/s;

/** A file part as `inlineData` or `fileData`; undefined when it has neither data nor url. */
export function encodeFile(part: FilePart): GeminiPart | undefined {
  if (typeof part.data === "string") {
    return {
      inlineData: { mimeType: part.mediaType ?? "application/octet-stream", data: part.data },
    };
  }
  if (typeof part.url === "string") {
    const match = DATA_URL.exec(part.url);
    if (match) {
      return {
        inlineData: {
          mimeType: part.mediaType ?? match[1] ?? "application/octet-stream",
          data: match[2],
        },
      };
    }
    const encoded: GeminiPart = {
      fileData: { ...(part.mediaType ? { mimeType: part.mediaType } : {}), fileUri: part.url },
    };
    const video = geminiData(part)?.videoMetadata;
    if (isObject(video)) encoded.videoMetadata = video;
    return encoded;
  }
  return undefined;
}

export interface ArgsResult {
  args: Record<string, unknown>;
  /** Set when the arguments were not a JSON object and had to be changed. */
  problem?: string;
}

/** Tool-call arguments (JSON text) as the object Gemini wants. */
export function parseArguments(text: string): ArgsResult {
  if (text.trim() === "") return { args: {} };
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    return { args: {}, problem: "arguments are not valid JSON; sent as {}" };
  }
  if (isObject(parsed)) return { args: parsed };
  return { args: { value: parsed }, problem: "arguments are not a JSON object; sent as {value}" };
}

export interface AssistantOptions {
  /** Going to a Gemini upstream (else: an answer to a Gemini client). */
  upstream: boolean;
  /** Put the placeholder signature on unsigned call batches (Gemini 3 upstreams). */
  placeholderSignature?: boolean;
  /** Where part `index` came from, for warnings and errors (`messages[2].content[0]`). */
  path?: (index: number) => string;
  /** Reports a lossy change. */
  warn?: (field: string, detail: string) => void;
  /** Counts reasoning from another model left out (upstream only). */
  dropped?: () => void;
}

/** Where `encodeAssistantParts` is: the parts so far, and what the next part must know. */
interface PartsWriter {
  out: GeminiPart[];
  options: AssistantOptions;
  /** A signature waiting for the next text or file part. */
  pending: string | undefined;
  /** Whether the current run of calls has a real signature. */
  batchSigned: boolean;
  inBatch: boolean;
}

/** Assistant parts as the parts of a `model` turn. */
export function encodeAssistantParts(
  parts: AssistantPart[],
  options: AssistantOptions,
): GeminiPart[] {
  const writer: PartsWriter = {
    out: [],
    options,
    pending: undefined,
    batchSigned: false,
    inBatch: false,
  };
  for (let i = 0; i < parts.length; i++) {
    const part = parts[i];
    if (part.type !== "tool-call") writer.inBatch = false;
    switch (part.type) {
      case "reasoning":
        writeReasoning(writer, part);
        break;
      case "text": {
        const original = geminiData(part)?.part;
        if (isObject(original)) writer.out.push(withPending(writer, { ...original }));
        else if (part.text !== "") writer.out.push(withPending(writer, { text: part.text }));
        break;
      }
      case "file": {
        const file = encodeFile(part);
        if (!file) {
          throw apiError(
            "invalid_request",
            `${where(options, i)}: file part has neither data nor url`,
          );
        }
        writer.out.push(withPending(writer, file));
        break;
      }
      case "tool-call":
        writeCall(writer, part, i);
        break;
    }
  }
  flush(writer);
  return writer.out;
}

function where(options: AssistantOptions, index: number): string {
  return options.path?.(index) ?? `content[${index}]`;
}

/** The pending signature as an empty text part of its own. */
function flush(writer: PartsWriter): void {
  if (writer.pending !== undefined) writer.out.push({ text: "", thoughtSignature: writer.pending });
  writer.pending = undefined;
}

/** `part` carrying the pending signature, if there is one. */
function withPending(writer: PartsWriter, part: GeminiPart): GeminiPart {
  if (writer.pending !== undefined) part.thoughtSignature = writer.pending;
  writer.pending = undefined;
  return part;
}

/**
 * A thought part. Another model's reasoning is dropped going upstream; a carrier (a signature
 * alone) goes on the next text or file part, where Gemini sent it.
 */
function writeReasoning(writer: PartsWriter, part: ReasoningPart): void {
  const gemini = part.origin === ORIGIN;
  if (writer.options.upstream && !gemini) {
    if (part.text || part.signature || part.encrypted) writer.options.dropped?.();
    return;
  }
  if (isCarrier(part)) {
    flush(writer);
    if (geminiData(part)?.thought === true) {
      writer.out.push({ text: "", thought: true, thoughtSignature: part.signature });
    } else writer.pending = part.signature;
    return;
  }
  if (part.text === "") return;
  flush(writer);
  const thought: GeminiPart = { text: part.text, thought: true };
  if (gemini && part.signature) thought.thoughtSignature = part.signature;
  writer.out.push(thought);
}

/**
 * A `functionCall` part. Gemini 3 wants a signature on the first call of a run; an unsigned run
 * gets the placeholder that skips its check.
 */
function writeCall(writer: PartsWriter, part: ToolCallPart, index: number): void {
  const options = writer.options;
  flush(writer);
  if (!writer.inBatch) writer.batchSigned = false;
  writer.inBatch = true;
  const { args, problem } = parseArguments(part.arguments);
  if (problem) options.warn?.(where(options, index), `tool call ${part.name}: ${problem}`);
  const generated = options.upstream && geminiData(part)?.generatedId === true;
  const call: GeminiPart = {
    functionCall: { ...(generated ? {} : { id: part.id }), name: part.name, args },
  };
  if (part.signature) {
    call.thoughtSignature = part.signature;
    writer.batchSigned = true;
  } else if (options.placeholderSignature && !writer.batchSigned) {
    call.thoughtSignature = SKIP_SIGNATURE;
  }
  writer.out.push(call);
}

function textOf(content: ToolResultPart["content"]): string {
  if (typeof content === "string") return content;
  return content.filter((part): part is TextPart => part.type === "text").map((part) => part.text)
    .join("\n");
}

/** A tool result as a `functionResponse` part; `name` is the function's name. */
export function encodeToolResult(
  part: ToolResultPart,
  name: string,
  upstream: boolean,
): GeminiPart {
  const text = textOf(part.content);
  let response: Record<string, unknown> | undefined;
  if (text.trimStart().startsWith("{")) {
    try {
      const parsed = JSON.parse(text);
      if (isObject(parsed)) response = parsed;
    } catch { /* plain text */ }
  }
  response ??= part.isError ? { error: text } : { output: text };
  const generated = upstream && geminiData(part)?.generatedId === true;
  const functionResponse: GeminiPart["functionResponse"] = {
    ...(generated ? {} : { id: part.toolCallId }),
    name,
    response,
  };
  if (Array.isArray(part.content)) {
    const files: GeminiFunctionResponsePart[] = [];
    for (const item of part.content) {
      if (item.type !== "file") continue;
      const file = encodeFile(item);
      if (file?.inlineData) files.push({ inlineData: file.inlineData });
      else if (file?.fileData) files.push({ fileData: file.fileData });
    }
    if (files.length > 0) functionResponse.parts = files;
  }
  // Parts of kinds subgate does not know that a Gemini client put in its response.
  const kept = geminiData(part)?.responseParts;
  if (Array.isArray(kept) && kept.length > 0) {
    functionResponse.parts = [
      ...functionResponse.parts ?? [],
      ...kept as GeminiFunctionResponsePart[],
    ];
  }
  return { functionResponse };
}
