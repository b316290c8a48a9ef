/**
 * @module
 * Reading an upstream's answer whole, within `upstream-body-limit`: an
 * upstream that sends an endless or huge body is cut off, never buffered
 * until memory runs out. Whatever goes wrong (too large, the connection
 * reset mid-body, not JSON) comes back as a 502 ApiError value, which the
 * account loop treats like a server error: the account rests and, when
 * nothing reached the client yet, the next one is tried.
 */
import type { ApiError } from "../errors/api-error.ts";

function megabytes(bytes: number): string {
  return `${Math.round(bytes / 1048576)} MB`;
}

function badAnswer(message: string): ApiError {
  return { kind: "api_error", status: 502, message };
}

export const tooLarge = (limit: number): ApiError =>
  badAnswer(`The upstream's answer is larger than ${megabytes(limit)} (upstream-body-limit).`);

/** The body's bytes, or a 502 when it is too large or breaks off. */
export async function readBounded(
  response: Response,
  limit: number,
): Promise<Uint8Array<ArrayBuffer> | ApiError> {
  const declared = Number(response.headers.get("content-length") ?? NaN);
  if (declared > limit) {
    await response.body?.cancel().catch(() => {});
    return tooLarge(limit);
  }
  try {
    // A declared length within the limit is enforced by the HTTP client: read it natively.
    if (Number.isFinite(declared)) return new Uint8Array(await response.arrayBuffer());
    if (!response.body) return new Uint8Array();
    const chunks: Uint8Array[] = [];
    let size = 0;
    for await (const chunk of response.body) {
      size += chunk.length;
      if (size > limit) return tooLarge(limit); // leaving the loop cancels the body
      chunks.push(chunk);
    }
    const out = new Uint8Array(size);
    let at = 0;
    for (const chunk of chunks) {
      out.set(chunk, at);
      at += chunk.length;
    }
    return out;
  } catch (error) {
    return badAnswer(`The upstream's answer broke off: ${(error as Error).message}.`);
  }
}

/** The body as text (invalid UTF-8 replaced), or a 502. */
export async function readText(response: Response, limit: number): Promise<string | ApiError> {
  const bytes = await readBounded(response, limit);
  return bytes instanceof Uint8Array ? new TextDecoder().decode(bytes) : bytes;
}

export type JsonRead = { ok: true; value: unknown } | { ok: false; error: ApiError };

/** The body as JSON, or a 502 when it is not JSON (a truncated or garbled answer). */
export async function readJson(response: Response, limit: number): Promise<JsonRead> {
  const text = await readText(response, limit);
  if (typeof text !== "string") return { ok: false, error: text };
  try {
    return { ok: true, value: JSON.parse(text) };
  } catch {
    return {
      ok: false,
      error: badAnswer("The upstream's answer is not valid JSON (truncated or garbled)."),
    };
  }
}
