/**
 * @module
 * What each fake API knows of its own dialect; server.ts does the rest (recording, model
 * families, auth) the same way for all four.
 */
import type { Json, Reading, Reply } from "./script.ts";

export type FakeRoute = "generate" | "count" | "models";

export interface DialectFake {
  /** For the greeting: "Hello from the fake Anthropic upstream". */
  name: string;
  /** Whether the request carries the upstream key subgate was configured with. */
  authorized(headers: Headers, key: string): boolean;
  route(method: string, path: string): FakeRoute | undefined;
  /** The model a generate or count request names (Gemini's is in the path). */
  modelOf(path: string, body: Json): string;
  streams(path: string, body: Json): boolean;
  read(body: Json): Reading;
  answer(reply: Reply, call: { model: string; stream: boolean; body: Json }): Response;
  /** The answer to a token count, for the dialects that have one. */
  countAnswer?(): Response;
  /** The model list, naming only `id`. */
  modelList(id: string): unknown;
  /** An error in the dialect's own shape. */
  error(status: number, message: string): Response;
}
