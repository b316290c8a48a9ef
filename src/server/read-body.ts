/**
 * @module
 * A request's body as text. Refused with 413 past `body-limit`: at once when its
 * content-length says so, else as soon as the bytes read pass it (a chunked upload,
 * or a compressed body, whose limit applies to what it decodes to). Read in chunks as
 * they arrive, never into a buffer sized by what the client announced. A body that
 * goes `client-idle-timeout` without a byte arriving gets 408; one that ends before
 * its length or breaks HTTP/1.1's chunked framing gets 400 (Deno fails the read). A
 * gzip or deflate body is decoded as it arrives; other encodings get 415, a corrupt
 * compressed body or text that is not UTF-8 gets 400. Read here, where the routes
 * need the text anyway, rather than by a middleware that would wrap every
 * request's body in a stream of its own first.
 */
import { deadline } from "../proxy/deadlines.ts";
import { apiError, ApiErrorException } from "../errors/api-error.ts";

export interface BodyLimits {
  /** Largest body, in bytes (after decoding). */
  maxBytes: number;
  /** Seconds the upload may go without a byte arriving; 0: no limit. */
  idleSeconds: number;
}

/** The content codings subgate decodes, by their names in `content-encoding`. */
const DECODABLE: Record<string, CompressionFormat> = {
  gzip: "gzip",
  "x-gzip": "gzip",
  deflate: "deflate",
};

/**
 * Largest piece of compressed input decoded at once. Deno's decompressor hands out everything a
 * piece decodes to in one chunk, and deflate expands up to about 1,000 times: small pieces keep
 * each chunk near a megabyte, so a zip bomb is stopped at the limit, not after filling memory.
 */
const COMPRESSED_PIECE = 1024;

function formatBytes(bytes: number): string {
  if (bytes % (1024 * 1024) === 0) return `${bytes / (1024 * 1024)} MB`;
  if (bytes % 1024 === 0) return `${bytes / 1024} KB`;
  return `${bytes} bytes`;
}

function tooLarge(limit: number, decoded: boolean) {
  return apiError(
    "request_too_large",
    `Request body is larger than subgate's body-limit of ${formatBytes(limit)}` +
      (decoded ? " once decompressed." : "."),
  );
}

/** The decoders `content-encoding` asks for, in the order to apply them; 415 for unknown ones. */
function decodersFor(header: string | null): CompressionFormat[] {
  if (header === null) return [];
  const codings = header.split(",").map((coding) => coding.trim().toLowerCase())
    .filter((coding) => coding !== "" && coding !== "identity");
  const unknown = codings.find((coding) => !(coding in DECODABLE));
  if (unknown !== undefined) {
    throw apiError(
      "invalid_request",
      `Request bodies with content-encoding '${unknown}' are not accepted; send gzip, ` +
        `deflate or an uncompressed body.`,
      { status: 415 },
    );
  }
  // Codings are listed in the order they were applied, so they come off last first.
  return codings.map((coding) => DECODABLE[coding]).reverse();
}

/** Cuts each chunk into pieces of at most `size` bytes (views, not copies). */
function inPieces(size: number): TransformStream<Uint8Array<ArrayBuffer>, BufferSource> {
  return new TransformStream({
    transform(chunk, controller) {
      for (let at = 0; at < chunk.length; at += size) {
        controller.enqueue(chunk.subarray(at, at + size));
      }
    },
  });
}

/**
 * Rejects with 408 once `seconds` pass without `touch()`. One deadline per body, moved on only
 * when it comes due: a chunk arriving costs a timestamp, not a timer.
 */
function stallTimer(seconds: number) {
  let last = performance.now();
  let cancel = () => {};
  let fail: (error: ApiErrorException) => void = () => {};
  const stalled = new Promise<never>((_, reject) => fail = reject);
  stalled.catch(() => {}); // observed through the race below; never unhandled
  const arm = (ms: number) => {
    cancel = deadline(ms, () => {
      const quiet = performance.now() - last;
      if (quiet < seconds * 1000) return arm(seconds * 1000 - quiet);
      fail(apiError(
        "invalid_request",
        `The request body stopped arriving: nothing for ${seconds}s (client-idle-timeout).`,
        { status: 408 },
      ));
    });
  };
  if (seconds > 0) arm(seconds * 1000);
  return {
    stalled,
    touch: () => last = performance.now(),
    stop: () => cancel(),
  };
}

/** The upload failed under Deno: cut short (the client shut its side) or badly framed. */
function uploadFailed(error: unknown) {
  return apiError(
    "invalid_request",
    "The request body could not be read: it ended before its declared length, or its " +
      `chunked framing is not valid HTTP/1.1 (${(error as Error).message}).`,
  );
}

/**
 * Declared bodies up to this size are read in one native call rather than chunk by chunk (the
 * common case: a JSON request of a few hundred kilobytes); the stall timer then bounds the
 * whole upload, which at this size only a stalled client exceeds.
 */
const WHOLE_READ_LIMIT = 1024 * 1024;

async function readWhole(request: Request, idleSeconds: number): Promise<string> {
  const timer = stallTimer(idleSeconds);
  let bytes: ArrayBuffer;
  try {
    bytes = await Promise.race([request.arrayBuffer(), timer.stalled]);
  } catch (error) {
    if (error instanceof ApiErrorException || request.signal.aborted) throw error;
    throw uploadFailed(error);
  } finally {
    timer.stop();
  }
  return utf8(new TextDecoder("utf-8", { fatal: true }), new Uint8Array(bytes), false);
}

export async function readBody(request: Request, limits: BodyLimits): Promise<string> {
  const limit = limits.maxBytes;
  const decoders = decodersFor(request.headers.get("content-encoding"));
  const length = request.headers.get("content-length");
  // (With transfer-encoding the content-length means nothing.)
  if (length !== null && !request.headers.has("transfer-encoding") && Number(length) > limit) {
    throw tooLarge(limit, false);
  }
  if (!request.body) return "";
  if (decoders.length === 0 && length !== null && Number(length) <= WHOLE_READ_LIMIT) {
    return await readWhole(request, limits.idleSeconds);
  }
  let body: ReadableStream<Uint8Array<ArrayBuffer>> = request.body;
  for (const format of decoders) {
    body = body.pipeThrough(inPieces(COMPRESSED_PIECE)).pipeThrough(
      new DecompressionStream(format),
    );
  }
  const decoder = new TextDecoder("utf-8", { fatal: true });
  const reader = body.getReader();
  const timer = stallTimer(limits.idleSeconds);
  let text = "";
  let size = 0;
  let done = false;
  try {
    while (true) {
      const chunk = await Promise.race([reader.read(), timer.stalled]);
      if (chunk.done) break;
      timer.touch();
      size += chunk.value.length;
      if (size > limit) throw tooLarge(limit, decoders.length > 0);
      text += utf8(decoder, chunk.value, true);
    }
    done = true;
  } catch (error) {
    // A client that left is nobody's to answer: the error handler logs it as gone.
    if (error instanceof ApiErrorException || request.signal.aborted) throw error;
    // Decompressors fail with TypeError; Deno's upload errors are other classes.
    if (decoders.length && error instanceof TypeError) {
      throw apiError(
        "invalid_request",
        `The request body is not valid ${request.headers.get("content-encoding")} data ` +
          `(${error.message}).`,
      );
    }
    throw uploadFailed(error);
  } finally {
    timer.stop();
    // Leaving early (too large, stalled, not UTF-8) cancels the upload and any decoding.
    if (!done) reader.cancel().catch(() => {});
  }
  return text + utf8(decoder, new Uint8Array(), false);
}

/** UTF-8, strictly: JSON must be UTF-8, and a replaced byte would change what goes upstream. */
function utf8(decoder: TextDecoder, bytes: Uint8Array, more: boolean): string {
  try {
    return decoder.decode(bytes, { stream: more });
  } catch {
    throw apiError("invalid_request", "The request body is not valid UTF-8 text.");
  }
}
