/**
 * @module
 * Reading the usage ledger the way a user or an operator does: the rows in
 * `usage.db` (opened read-only, as `subgate usage` opens it), the table
 * `subgate usage` prints, and the token counts a capture itself reports,
 * read from its wire format with plain paths (never through subgate's codecs).
 */
import { openSqliteStore } from "../../src/usage/sqlite-store.ts";
import type { UsageRow } from "../../src/usage/usage-store.ts";
import type { UpstreamDialect } from "./replay-upstream.ts";

export function ledgerPath(home: string): string {
  return `${home}/.subgate/usage.db`;
}

/** Every row of the ledger, oldest first. */
export async function ledgerRows(home: string): Promise<UsageRow[]> {
  const store = openSqliteStore(ledgerPath(home), { readOnly: true });
  try {
    return (await store.recent(1_000_000)).reverse();
  } finally {
    await store.close();
  }
}

/** The ledger's `PRAGMA integrity_check` verdict. */
export async function integrity(home: string): Promise<string> {
  const { DatabaseSync } = await import("node:sqlite");
  const db = new DatabaseSync(ledgerPath(home), { readOnly: true });
  try {
    const row = db.prepare("PRAGMA integrity_check").get() as Record<string, unknown>;
    return String(row.integrity_check);
  } finally {
    db.close();
  }
}

/** `subgate usage` output as rows of cells keyed by the header, numbers without separators. */
export function parseUsageTable(stdout: string): Record<string, string>[] {
  const lines = stdout.split("\n").filter((line) => line.trim());
  const headerAt = lines.findIndex((line) => /\bREQUESTS\b/.test(line));
  if (headerAt < 0) return [];
  const names = lines[headerAt].trim().split(/\s{2,}/);
  return lines.slice(headerAt + 1).map((line) => {
    const cells = line.split(/\s{2,}/).filter((cell) => cell !== "");
    const row: Record<string, string> = {};
    // Text columns come first and are never empty but for TOTAL's provider; align from the right.
    const offset = names.length - cells.length;
    cells.forEach((cell, i) => {
      const name = names[i === 0 ? 0 : i + offset];
      row[name] = /^[\d,]+$/.test(cell) ? cell.replaceAll(",", "") : cell;
    });
    return row;
  });
}

export interface Tokens {
  input: number;
  output: number;
  cacheRead: number;
  cacheWrite: number;
  reasoning: number;
}

type Json = Record<string, unknown>;
const num = (value: unknown) => typeof value === "number" ? value : 0;

/** A row's token counts, absent ones as 0. */
export function rowTokens(row: UsageRow): Tokens {
  return {
    input: row.inputTokens ?? 0,
    output: row.outputTokens ?? 0,
    cacheRead: row.cacheReadTokens ?? 0,
    cacheWrite: row.cacheWriteTokens ?? 0,
    reasoning: row.reasoningTokens ?? 0,
  };
}

/** The JSON payloads of an SSE text, in order. */
function sseData(body: string): Json[] {
  const out: Json[] = [];
  for (const block of body.split(/\r?\n\r?\n/)) {
    const data = block.split(/\r?\n/).filter((line) => line.startsWith("data:"))
      .map((line) => line.slice(5).trimStart()).join("\n");
    if (!data || data === "[DONE]") continue;
    out.push(JSON.parse(data));
  }
  return out;
}

/**
 * What an upstream's answer (a JSON body or an SSE stream) says it used, as the ledger counts:
 * input is the whole prompt (Anthropic's cache reads and writes added to its `input_tokens`),
 * output includes reasoning (Gemini's thoughts added to its candidates).
 */
export function reportedTokens(dialect: UpstreamDialect, body: string): Tokens {
  const streamed = body.startsWith("event:") || body.startsWith("data:");
  const payloads = streamed ? sseData(body) : [JSON.parse(body) as Json];
  switch (dialect) {
    case "anthropic": {
      const usage: Json = {};
      for (const payload of payloads) {
        const found = (payload.message as Json | undefined)?.usage ?? payload.usage;
        if (found && typeof found === "object") Object.assign(usage, found);
      }
      const read = num(usage.cache_read_input_tokens);
      const written = num(usage.cache_creation_input_tokens);
      return {
        input: num(usage.input_tokens) + read + written,
        output: num(usage.output_tokens),
        cacheRead: read,
        cacheWrite: written,
        reasoning: 0,
      };
    }
    case "openai-chat": {
      const usage = payloads.map((p) => p.usage as Json | undefined).filter(Boolean).at(-1) ?? {};
      return {
        input: num(usage.prompt_tokens),
        output: num(usage.completion_tokens),
        cacheRead: num((usage.prompt_tokens_details as Json | undefined)?.cached_tokens),
        cacheWrite: 0,
        reasoning: num((usage.completion_tokens_details as Json | undefined)?.reasoning_tokens),
      };
    }
    case "openai-responses": {
      const usage = payloads.map((p) => ((p.response as Json | undefined) ?? p).usage as Json)
        .filter(Boolean).at(-1) ?? {};
      return {
        input: num(usage.input_tokens),
        output: num(usage.output_tokens),
        cacheRead: num((usage.input_tokens_details as Json | undefined)?.cached_tokens),
        cacheWrite: 0,
        reasoning: num((usage.output_tokens_details as Json | undefined)?.reasoning_tokens),
      };
    }
    case "gemini": {
      const usage = payloads.map((p) => p.usageMetadata as Json | undefined).filter(Boolean)
        .at(-1) ?? {};
      return {
        input: num(usage.promptTokenCount),
        output: num(usage.candidatesTokenCount) + num(usage.thoughtsTokenCount),
        cacheRead: num(usage.cachedContentTokenCount),
        cacheWrite: 0,
        reasoning: num(usage.thoughtsTokenCount),
      };
    }
  }
}

export function addTokens(a: Tokens, b: Tokens): Tokens {
  return {
    input: a.input + b.input,
    output: a.output + b.output,
    cacheRead: a.cacheRead + b.cacheRead,
    cacheWrite: a.cacheWrite + b.cacheWrite,
    reasoning: a.reasoning + b.reasoning,
  };
}

export const NO_TOKENS: Tokens = { input: 0, output: 0, cacheRead: 0, cacheWrite: 0, reasoning: 0 };
