/**
 * @module
 * A request's body as text, refused with 413 past `body-limit`: at once when its
 * content-length says so, else as soon as the bytes read pass it (a chunked upload).
 * Read here, where the routes need the text anyway, rather than by a middleware that
 * would wrap every request's body in a stream of its own first.
 */
import { apiError } from "./api-error.ts";

function formatBytes(bytes: number): string {
  if (bytes % (1024 * 1024) === 0) return `${bytes / (1024 * 1024)} MB`;
  if (bytes % 1024 === 0) return `${bytes / 1024} KB`;
  return `${bytes} bytes`;
}

function tooLarge(limit: number) {
  return apiError(
    "request_too_large",
    `Request body is larger than subgate's body-limit of ${formatBytes(limit)}.`,
  );
}

export async function readBody(request: Request, limit: number): Promise<string> {
  const length = request.headers.get("content-length");
  if (length !== null && !request.headers.has("transfer-encoding")) {
    if (Number(length) > limit) throw tooLarge(limit);
    return await request.text();
  }
  if (!request.body) return "";
  const decoder = new TextDecoder();
  let text = "";
  let size = 0;
  // Leaving the loop early (the throw) cancels the upload.
  for await (const chunk of request.body) {
    size += chunk.length;
    if (size > limit) throw tooLarge(limit);
    text += decoder.decode(chunk, { stream: true });
  }
  return text + decoder.decode();
}
