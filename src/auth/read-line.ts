/**
 * @module
 * Lines typed (or pasted) on stdin, for the manual login. One reader for the
 * whole process, since stdin can be locked only once.
 */

let lines: AsyncIterator<string> | undefined;

async function* readLines(): AsyncGenerator<string> {
  const decoder = new TextDecoder();
  let buffer = "";
  for await (const chunk of Deno.stdin.readable) {
    buffer += decoder.decode(chunk, { stream: true });
    let newline: number;
    while ((newline = buffer.indexOf("\n")) !== -1) {
      yield buffer.slice(0, newline).replace(/\r$/, "");
      buffer = buffer.slice(newline + 1);
    }
  }
  if (buffer) yield buffer;
}

/** The next line, or null at end of input. */
export async function readLine(): Promise<string | null> {
  lines ??= readLines();
  const next = await lines.next();
  return next.done ? null : next.value;
}
