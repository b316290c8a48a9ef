/**
 * @module
 * What the fake upstreams answer an agent CLI, whatever dialect they speak: each dialect reads a
 * request into a {@link Reading}, {@link scriptedReply} picks the reply, and the dialect writes
 * it in its own wire format.
 *
 * - A request that asks for JSON matching a schema (Gemini CLI's model router) gets the
 *   smallest JSON value the schema accepts.
 * - A conversation that carries a tool result gets a final text saying whether the tool's
 *   output (`tool-ran-ok`) came back.
 * - A prompt containing `TOOLTEST` gets a call to the CLI's shell tool, found among the tools the
 *   request offers, running `echo tool-ran-ok`.
 * - Anything else gets a greeting that repeats the run's tag (`[run-…]` in the prompt), so a
 *   test finds its own answer in the CLI's output.
 */

export type Json = Record<string, unknown>;

/** A tool the request offers; `custom` for a freeform one (Responses: input is raw text). */
export interface OfferedTool {
  name: string;
  custom: boolean;
}

export interface Reading {
  /** The user turns' text, joined. */
  prompt: string;
  tools: OfferedTool[];
  /** The output of the latest tool result, when the conversation carries one. */
  toolOutput?: string;
  /** The JSON schema the answer must match, when the request asks for one. */
  schema?: Json;
}

export type Reply =
  | { type: "text"; text: string }
  | { type: "tool"; name: string; arguments: Json }
  /** A call of a freeform tool: only where the request offered one as such. */
  | { type: "custom-tool"; name: string; input: string };

export const TOOL_MARKER = "tool-ran-ok";
const SHELL_LINE = `echo ${TOOL_MARKER}`;

/**
 * Each CLI's shell tool and the call that runs {@link SHELL_LINE} with it: JSON arguments, or
 * for a freeform tool its raw input (sent as `{"input": …}` where only functions exist).
 */
const SHELL_TOOLS: Record<string, { arguments: Json } | { input: string }> = {
  // Claude Code
  Bash: { arguments: { command: SHELL_LINE, description: "Print the marker" } },
  // Codex CLI: on models that take its classic tool list
  exec_command: { arguments: { cmd: SHELL_LINE } },
  shell_command: { arguments: { command: SHELL_LINE } },
  shell: { arguments: { command: ["bash", "-lc", SHELL_LINE] } },
  // Codex CLI on its newer default models ("code mode"): one freeform tool taking JavaScript,
  // which reaches the other tools through `tools.*`.
  exec: {
    input:
      `const result = await tools.exec_command({ cmd: "${SHELL_LINE}" });\ntext(result.output);`,
  },
  // Gemini CLI
  run_shell_command: { arguments: { command: SHELL_LINE, description: "Print the marker" } },
  // OpenCode
  bash: { arguments: { command: SHELL_LINE, description: "Print the marker" } },
};

export type PlainReply = Exclude<Reply, { type: "custom-tool" }>;

/** The reply with a freeform call as a function call, for the dialects without freeform tools. */
export function plainReply(reply: Reply): PlainReply {
  if (reply.type !== "custom-tool") return reply;
  return { type: "tool", name: reply.name, arguments: { input: reply.input } };
}

export const isObject = (value: unknown): value is Json =>
  !!value && typeof value === "object" && !Array.isArray(value);

/** The text of a content value: a string, or a list of parts with `text`. */
export function textOf(content: unknown): string {
  if (typeof content === "string") return content;
  if (!Array.isArray(content)) return "";
  return content.map((part) => isObject(part) && typeof part.text === "string" ? part.text : "")
    .join("");
}

/** The smallest value `schema` accepts (Gemini writes types in capitals: `OBJECT`). */
export function sampleOf(schema: Json): unknown {
  if (Array.isArray(schema.enum)) return schema.enum[0];
  const variants = schema.anyOf ?? schema.oneOf;
  if (Array.isArray(variants) && isObject(variants[0])) return sampleOf(variants[0]);
  const types = Array.isArray(schema.type) ? schema.type : [schema.type];
  const type = String(types.find((t) => t !== "null") ?? "object").toLowerCase();
  switch (type) {
    case "object": {
      const properties = isObject(schema.properties) ? schema.properties : {};
      return Object.fromEntries(
        Object.entries(properties).map(([name, sub]) => [name, isObject(sub) ? sampleOf(sub) : ""]),
      );
    }
    case "array":
      return [];
    case "integer":
    case "number":
      return typeof schema.minimum === "number" ? schema.minimum : 1;
    case "boolean":
      return false;
    default:
      return "a scripted answer";
  }
}

export function scriptedReply(reading: Reading, upstream: string): Reply {
  if (reading.schema) return { type: "text", text: JSON.stringify(sampleOf(reading.schema)) };
  if (reading.toolOutput !== undefined) {
    const seen = reading.toolOutput.includes(TOOL_MARKER) ? TOOL_MARKER : "no marker in it";
    return { type: "text", text: `TOOL RESULT SEEN: ${seen}` };
  }
  const shell = reading.tools.find((tool) => tool.name in SHELL_TOOLS);
  if (reading.prompt.includes("TOOLTEST") && shell) {
    const call = SHELL_TOOLS[shell.name];
    if ("arguments" in call) return { type: "tool", name: shell.name, arguments: call.arguments };
    const custom: Reply = { type: "custom-tool", name: shell.name, input: call.input };
    return shell.custom ? custom : plainReply(custom);
  }
  const tag = /\[run-[\w-]+\]/.exec(reading.prompt)?.[0] ?? "";
  return { type: "text", text: `Hello from the fake ${upstream} upstream ${tag}`.trim() };
}

/** A short id in the style of each API's ids. */
export function fakeId(prefix: string): string {
  return prefix + crypto.randomUUID().replaceAll("-", "").slice(0, 24);
}

/** `events` as one SSE body: named events where the dialect names them, `data:` lines else. */
export function sse(events: { event?: string; data: unknown }[], done = false): string {
  let text = "";
  for (const { event, data } of events) {
    text += (event ? `event: ${event}\n` : "") + `data: ${JSON.stringify(data)}\n\n`;
  }
  return done ? text + "data: [DONE]\n\n" : text;
}

/** Splits `text` into a few pieces, so a stream has several deltas as real ones do. */
export function pieces(text: string): string[] {
  const size = Math.max(1, Math.ceil(text.length / 3));
  const out: string[] = [];
  for (let at = 0; at < text.length; at += size) out.push(text.slice(at, at + size));
  return out.length ? out : [""];
}
