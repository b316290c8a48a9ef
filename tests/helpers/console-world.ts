/**
 * @module
 * A subgate with a management key and a mix of accounts for the web console's tests and
 * screenshots, everything on loopback:
 *
 * - four Claude logins on a local Anthropic API that answers with the unified rate-limit headers
 *   (so plan quota is read from answers, as from the real API): ada (ready, 42 % of her 5-hour
 *   window used), grace (her 5-hour window spent: answers 429, so she rests until its reset),
 *   bob (disabled) and lin (needs a new login); and a Claude API key from the config;
 * - a local OAuth server with Kimi's client and device flow, and a model upstream for Kimi's API,
 *   so a device login can be added from the page;
 * - a named client key (`laptop`), and optionally a week of usage history written to the ledger
 *   before the server starts (for charts worth a screenshot).
 */
import { readJsonFixture } from "./provider-fixtures.ts";
import { writeAccount } from "./fixtures.ts";
import { CLIENTS } from "./login-setup.ts";
import { startModelUpstream } from "./model-upstream.ts";
import { type OAuthServer, startOAuthServer } from "./oauth-server.ts";
import { type RunningSubgate, startSubgate, withTempHome } from "./subgate-process.ts";
import { openSqliteStore } from "../../src/usage/sqlite-store.ts";
import type { UsageRow } from "../../src/usage/usage-store.ts";

export const MANAGEMENT_KEY = "console-test-management-key-0123456789";
export const CLIENT_KEY = "sg-console-laptop-key-0123456789abcdef";
export const CONFIG_KEY = "sk-ant-api03-CONSOLECONFIGKEYxxxxxxxxxxxxxxxx";

const token = (name: string) => `sk-ant-oat01-CONSOLE${name.toUpperCase()}xxxxxxxxxxxxxxxx`;
const OK = JSON.stringify(readJsonFixture("anthropic-messages", "anthropic-text.json"));
const RATE_LIMIT = JSON.stringify({
  type: "error",
  error: { type: "rate_limit_error", message: "This request would exceed your rate limit." },
});

const unixIn = (seconds: number) => String(Math.floor(Date.now() / 1000) + seconds);

export interface ClaudeApi {
  url: string;
  /** Whose credential each generation call carried: ada, grace, bob, lin or config. */
  served: string[];
  close(): Promise<void>;
}

/** Anthropic's API for the world's Claude logins and its config key. */
function startClaudeApi(): ClaudeApi {
  const served: string[] = [];
  const whoOf = (request: Request) => {
    if (request.headers.get("x-api-key") === CONFIG_KEY) return "config";
    const bearer = (request.headers.get("authorization") ?? "").replace(/^Bearer /, "");
    return ["ada", "grace", "bob", "lin"].find((name) => bearer === token(name)) ?? "unknown";
  };
  const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen: () => {} }, async (req) => {
    await req.body?.cancel();
    const path = new URL(req.url).pathname;
    if (path.endsWith("/models")) {
      return Response.json({
        data: [
          { type: "model", id: "claude-sonnet-4-6" },
          { type: "model", id: "claude-haiku-4-5" },
        ],
        has_more: false,
      });
    }
    if (path === "/api/oauth/usage") return Response.json({ error: "not here" }, { status: 404 });
    if (path !== "/v1/messages" && path !== "/v1/messages/count_tokens") {
      return Response.json({ error: "no route" }, { status: 404 });
    }
    const who = whoOf(req);
    served.push(who);
    if (who === "config") {
      return new Response(OK, { headers: { "content-type": "application/json" } });
    }
    const spent = who === "grace";
    const fiveHour = spent ? "1.0" : who === "ada" ? "0.42" : "0.1";
    const status = spent ? "rejected" : "allowed";
    return new Response(spent ? RATE_LIMIT : OK, {
      status: spent ? 429 : 200,
      headers: {
        "content-type": "application/json",
        "anthropic-ratelimit-unified-status": status,
        "anthropic-ratelimit-unified-5h-status": status,
        "anthropic-ratelimit-unified-5h-utilization": fiveHour,
        "anthropic-ratelimit-unified-5h-reset": unixIn(spent ? 2 * 3600 + 600 : 3 * 3600 + 1200),
        "anthropic-ratelimit-unified-7d-status": "allowed",
        "anthropic-ratelimit-unified-7d-utilization": spent ? "0.71" : "0.18",
        "anthropic-ratelimit-unified-7d-reset": unixIn(4 * 86400 + 7200),
      },
    });
  });
  return {
    url: `http://127.0.0.1:${(server.addr as Deno.NetAddr).port}`,
    served,
    close: () => server.shutdown(),
  };
}

function claudeLogin(name: string, extra: Record<string, unknown> = {}): string {
  return JSON.stringify({
    type: "claude",
    access_token: token(name),
    refresh_token: `sk-ant-ort01-CONSOLE${name}`,
    email: `${name}@example.com`,
    expired: "2099-01-01T00:00:00Z",
    ...extra,
  });
}

/** A week of requests, hour by hour, as the ledger keeps them (a steady, plausible mix). */
function history(now: number): UsageRow[] {
  const rows: UsageRow[] = [];
  const hour = 3_600_000;
  const start = Math.floor(now / hour) * hour - 7 * 24 * hour;
  const mix = [
    { model: "claude-sonnet-4-6", account: "ada", key: "laptop", weight: 5, tokens: 9000 },
    { model: "claude-haiku-4-5", account: "ada", key: "laptop", weight: 3, tokens: 2500 },
    { model: "claude-sonnet-4-6", account: "config", key: "ci", weight: 2, tokens: 14000 },
    { model: "claude-opus-4-6", account: "grace", key: "laptop", weight: 1, tokens: 21000 },
  ];
  let seed = 7;
  const random = () => (seed = (seed * 48271) % 2147483647) / 2147483647;
  for (let at = start; at < now - hour; at += hour) {
    const daytime = Math.sin(((new Date(at).getUTCHours() - 6) / 24) * 2 * Math.PI) + 1.1;
    for (const entry of mix) {
      const count = Math.round(entry.weight * daytime * random() * 1.6);
      for (let i = 0; i < count; i++) {
        const tokens = Math.round(entry.tokens * (0.5 + random()));
        const config = entry.account === "config";
        rows.push({
          at: at + Math.floor(random() * hour),
          clientKey: entry.key,
          accountId: config
            ? "config:claude-api-key[0]"
            : `file:claude-${entry.account}@example.com.json`,
          accountLabel: config ? "claude-api-key[0]" : `${entry.account}@example.com`,
          provider: "claude",
          requestedModel: entry.model,
          servedModel: entry.model,
          clientDialect: "anthropic",
          upstreamDialect: "anthropic",
          action: "generate",
          status: random() < 0.03 ? 529 : 200,
          latencyMs: Math.round(800 + random() * 4000),
          firstByteMs: Math.round(300 + random() * 600),
          stream: true,
          inputTokens: tokens,
          outputTokens: Math.round(tokens * 0.12),
          cacheReadTokens: Math.round(tokens * 0.6),
          cacheWriteTokens: Math.round(tokens * 0.05),
          reasoningTokens: 0,
        });
      }
    }
  }
  return rows;
}

export interface ConsoleWorld {
  home: string;
  authDir: string;
  server: RunningSubgate;
  claude: ClaudeApi;
  oauth: OAuthServer;
  /** Anthropic Messages through subgate with a client key (default the `laptop` key). */
  ask(options?: { key?: string; model?: string }): Promise<Response>;
}

export interface ConsoleWorldOptions {
  /** Write a week of usage to the ledger before the server starts. */
  history?: boolean;
}

export function withConsoleWorld(
  fn: (world: ConsoleWorld) => Promise<void>,
  options: ConsoleWorldOptions = {},
): Promise<void> {
  return withTempHome(async (home) => {
    const authDir = `${home}/.subgate`;
    await Deno.mkdir(authDir, { mode: 0o700 });
    const claude = startClaudeApi();
    const kimi = startModelUpstream({ knows: (m) => m.startsWith("kimi-"), list: ["kimi-k2"] });
    const oauth = await startOAuthServer({
      clients: [{ client_id: CLIENTS.kimi, redirect_uris: ["http://127.0.0.1/unused"] }],
      deviceInterval: 1,
      claims: (login) => ({ email: login }),
    });
    let server: RunningSubgate | undefined;
    try {
      await writeAccount(`${authDir}/claude-ada@example.com.json`, claudeLogin("ada"));
      await writeAccount(`${authDir}/claude-grace@example.com.json`, claudeLogin("grace"));
      await writeAccount(
        `${authDir}/claude-bob@example.com.json`,
        claudeLogin("bob", { disabled: true }),
      );
      await writeAccount(
        `${authDir}/claude-lin@example.com.json`,
        claudeLogin("lin", { needs_login: true }),
      );
      await Deno.writeTextFile(
        `${authDir}/config.yaml`,
        [
          "# subgate's config: see config.example.yaml for every key.",
          `management-key: ${MANAGEMENT_KEY}`,
          "api-keys:",
          "  - name: laptop",
          `    key: ${CLIENT_KEY}`,
          "routing:",
          "  strategy: round-robin",
          "providers:",
          "  claude:",
          `    base-url: ${claude.url}`,
          "  kimi:",
          `    base-url: ${kimi.url}/v1`,
          `    token-url: ${oauth.tokenUrl}`,
          `    device-url: ${oauth.deviceUrl}`,
          `    issuer: ${oauth.issuer}`,
          "claude-api-key:",
          `  - api-key: ${CONFIG_KEY}`,
          `    base-url: ${claude.url}`,
          "    models: [{name: claude-sonnet-4-6}]",
          "",
        ].join("\n"),
        { mode: 0o600 },
      );
      if (options.history) {
        const store = openSqliteStore(`${authDir}/usage.db`);
        try {
          await store.append(history(Date.now()));
        } finally {
          await store.close();
        }
      }
      server = await startSubgate([], { home });
      const url = server.url;
      const ask: ConsoleWorld["ask"] = (ask = {}) =>
        fetch(`${url}/v1/messages`, {
          method: "POST",
          headers: {
            "x-api-key": ask.key ?? CLIENT_KEY,
            "anthropic-version": "2023-06-01",
            "content-type": "application/json",
          },
          body: JSON.stringify({
            model: ask.model ?? "claude-sonnet-4-6",
            max_tokens: 16,
            messages: [{ role: "user", content: "hi" }],
          }),
        });
      // Every login answers once (grace with her spent window): quota readings and usage today.
      for (let i = 0; i < 4; i++) await (await ask()).body?.cancel();
      await fn({ home, authDir, server, claude, oauth, ask });
    } finally {
      await server?.stop();
      await oauth.close();
      await kimi.close();
      await claude.close();
    }
  });
}
