/**
 * @module
 * The real provider captures in tests/fixtures (recorded by vercel/ai and
 * pydantic-ai from the providers' APIs), read as data and as the exact bytes
 * an upstream would send.
 *
 * - `<name>.chunks.txt`: one raw stream event (JSON) per line.
 * - `<name>.json`: a whole response body (or an error body).
 * - `test_<name>.yaml`: a VCR cassette: request bodies and raw responses (SSE text or JSON).
 */
import { parse as parseYaml } from "yaml";
import { fileURLToPath } from "node:url";

export const FIXTURES_DIR = fileURLToPath(new URL("../fixtures/", import.meta.url));

export type FixtureDialect = "anthropic-messages" | "openai-chat" | "openai-responses" | "gemini";

export function fixturePath(dialect: FixtureDialect, name: string): string {
  return `${FIXTURES_DIR}${dialect}/${name}`;
}

export function listFixtures(dialect: FixtureDialect, suffix: string): string[] {
  return [...Deno.readDirSync(`${FIXTURES_DIR}${dialect}`)].map((e) => e.name)
    .filter((name) => name.endsWith(suffix)).sort();
}

/** The events of a `.chunks.txt` file, parsed. */
export function readChunks(dialect: FixtureDialect, name: string): Record<string, unknown>[] {
  return Deno.readTextFileSync(fixturePath(dialect, name)).split("\n").filter((l) => l.trim())
    .map((line) => JSON.parse(line));
}

/**
 * A `.chunks.txt` file as the SSE bytes the provider sends: Anthropic and the
 * Responses API name each event after its `type`; Chat Completions ends with
 * `data: [DONE]`; Gemini (`alt=sse`) sends bare `data:` lines.
 */
export function chunksAsSse(dialect: FixtureDialect, name: string): string {
  const events = Deno.readTextFileSync(fixturePath(dialect, name)).split("\n").filter((l) =>
    l.trim()
  );
  const named = dialect === "anthropic-messages" || dialect === "openai-responses";
  let text = "";
  for (const line of events) {
    const type = named ? (JSON.parse(line) as { type?: string }).type : undefined;
    text += (type ? `event: ${type}\n` : "") + `data: ${line}\n\n`;
  }
  if (dialect === "openai-chat") text += "data: [DONE]\n\n";
  return text;
}

export function readJsonFixture(dialect: FixtureDialect, name: string): Record<string, unknown> {
  return JSON.parse(Deno.readTextFileSync(fixturePath(dialect, name)));
}

export interface CassetteInteraction {
  request: { method: string; uri?: string; body: Record<string, unknown> | undefined };
  response: {
    status: number;
    headers: Record<string, string[]>;
    /** The raw body text (SSE for streams). */
    text: string;
    /** The parsed JSON body, when the cassette stored one or the text is JSON. */
    json?: unknown;
  };
}

/** A pydantic-ai VCR cassette's interactions. */
export function readCassette(dialect: FixtureDialect, name: string): CassetteInteraction[] {
  const doc = parseYaml(Deno.readTextFileSync(fixturePath(dialect, name))) as {
    interactions: Array<Record<string, Record<string, unknown>>>;
  };
  return doc.interactions.map(({ request, response }) => {
    const body = response.body as { string?: string } | undefined;
    const parsed = response.parsed_body;
    const text = body?.string ?? (parsed !== undefined ? JSON.stringify(parsed) : "");
    let json = parsed;
    if (json === undefined) {
      try {
        json = JSON.parse(text);
      } catch { /* SSE text */ }
    }
    return {
      request: {
        method: String(request.method ?? "POST"),
        uri: request.uri as string | undefined,
        body: (request.parsed_body ??
          (typeof request.body === "string" ? JSON.parse(request.body as string) : undefined)) as
            | Record<string, unknown>
            | undefined,
      },
      response: {
        status: Number((response.status as { code?: number } | undefined)?.code ?? 200),
        headers: (response.headers ?? {}) as Record<string, string[]>,
        text,
        json,
      },
    };
  });
}
