/**
 * @module
 * One subgate with an account per upstream dialect, all pointing at one
 * replay upstream, and the four real SDK clients pointing at subgate. Each
 * upstream's model has an alias, so model rewriting is exercised too.
 */
import { Anthropic } from "./npm.ts";
import { GoogleGenAI } from "./npm.ts";
import { OpenAI } from "./npm.ts";
import {
  type ReplayUpstream,
  startReplayUpstream,
  type UpstreamDialect,
} from "./replay-upstream.ts";
import { type RunningSubgate, startSubgate, withTempHome } from "./subgate-process.ts";

export const KEY = "sg-matrix-key";

/** The model name a client asks for to reach each upstream dialect, and the upstream's own name. */
export const MODELS: Record<UpstreamDialect, { alias: string; upstream: string }> = {
  anthropic: { alias: "via-anthropic", upstream: "claude-upstream" },
  "openai-chat": { alias: "via-chat", upstream: "chat-upstream" },
  "openai-responses": { alias: "via-responses", upstream: "gpt-upstream" },
  gemini: { alias: "via-gemini", upstream: "gemini-upstream" },
};

/**
 * Config lines for one upstream of each dialect at `url`, each model under its alias;
 * `moreClaudeKeys` are further `claude-api-key` entries (their lines).
 */
export function upstreamConfig(url: string, moreClaudeKeys: string[] = []): string[] {
  const model = (d: UpstreamDialect) =>
    `    models:\n      - name: ${MODELS[d].upstream}\n        alias: ${MODELS[d].alias}`;
  return [
    "claude-api-key:",
    "  - api-key: sk-ant-api03-upstream",
    `    base-url: ${url}`,
    model("anthropic"),
    ...moreClaudeKeys,
    "codex-api-key:",
    "  - api-key: sk-upstream-responses",
    `    base-url: ${url}/v1`,
    model("openai-responses"),
    "gemini-api-key:",
    "  - api-key: AIza-upstream",
    `    base-url: ${url}/v1beta`,
    model("gemini"),
    "openai-compatibility:",
    "  - name: compat",
    `    base-url: ${url}/v1`,
    "    api-key-entries:",
    "      - api-key: sk-upstream-chat",
    model("openai-chat"),
  ];
}

export interface MatrixWorld {
  server: RunningSubgate;
  upstream: ReplayUpstream;
  openai: OpenAI;
  anthropic: Anthropic;
  google: GoogleGenAI;
}

export function withMatrixWorld(fn: (world: MatrixWorld) => Promise<void>) {
  return withTempHome(async (home) => {
    const upstream = startReplayUpstream();
    await Deno.mkdir(`${home}/.subgate`, { recursive: true });
    await Deno.writeTextFile(
      `${home}/.subgate/config.yaml`,
      [
        `api-keys: [${KEY}]`,
        ...upstreamConfig(upstream.url),
      ].join("\n"),
    );
    const server = await startSubgate([], { home });
    try {
      await fn({
        server,
        upstream,
        openai: new OpenAI({ apiKey: KEY, baseURL: `${server.url}/v1`, maxRetries: 0 }),
        anthropic: new Anthropic({ apiKey: KEY, baseURL: server.url, maxRetries: 0 }),
        google: new GoogleGenAI({ apiKey: KEY, httpOptions: { baseUrl: server.url } }),
      });
    } finally {
      await server.stop();
      await upstream.close();
    }
  });
}
