/**
 * @module
 * A team for a test: its own database, a token server whose refresh tokens
 * rotate and work once, a local Anthropic upstream that checks every access
 * token and counts what it served, and `subgate serve` processes sharing the
 * database, each with its own home (its auth dir holds its spool).
 */
import { createTokenCipher } from "../../src/store/token-crypto.ts";
import { open, withDatabase } from "./postgres.ts";
import {
  startTokenServer,
  type TokenServer,
  type TokenServerOptions,
} from "./rotating-token-server.ts";
import { type RunningSubgate, runSubgate, startSubgate } from "./subgate-process.ts";
import { quotaBody } from "./quota-fixtures.ts";

export const CLAUDE_CLIENT_ID = "9d1c250a-e61b-44d9-88ed-5944d1962f5e";
export const STORE_KEY = "team-test-key-0123456789-abcdefghijklmnopqrstuvwxyz";
export const MODEL = "claude-sonnet-4-6";
export const INPUT_TOKENS = 11;
export const OUTPUT_TOKENS = 7;

/** An Anthropic Messages answer "ok" with these token counts. */
export function messageAnswer(id: string, input: number, output: number): Response {
  return Response.json({
    id,
    type: "message",
    role: "assistant",
    model: MODEL,
    content: [{ type: "text", text: "ok" }],
    stop_reason: "end_turn",
    stop_sequence: null,
    usage: { input_tokens: input, output_tokens: output },
  });
}

export interface TeamUpstream {
  url: string;
  /** The access token of every generation call, in arrival order. */
  calls: string[];
  /** Calls refused because their token was never issued (a stale or made-up one). */
  refused: number;
  /** Answers calls with `token` 429 and this retry-after (seconds) from now on. */
  limit(token: string, retryAfterSeconds: number): void;
  /** Tokens the upstream reported, summed over its 200 answers. */
  usage: { input: number; output: number; requests: number };
  /** The access token of every call of the plan-quota (usage) endpoint, in arrival order. */
  quotaCalls: string[];
  close(): Promise<void>;
}

function startUpstream(valid: (token: string) => boolean): TeamUpstream {
  const calls: string[] = [];
  const limits = new Map<string, number>();
  const usage = { input: 0, output: 0, requests: 0 };
  const quotaCalls: string[] = [];
  let refused = 0;
  const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen: () => {} }, async (req) => {
    const path = new URL(req.url).pathname;
    if (path === "/api/oauth/usage") {
      quotaCalls.push(/^Bearer (.+)$/.exec(req.headers.get("authorization") ?? "")?.[1] ?? "");
      return Response.json(quotaBody("claude-usage"));
    }
    if (req.method === "GET") return Response.json({ data: [{ id: MODEL, type: "model" }] });
    await req.body?.cancel();
    if (path !== "/v1/messages") return new Response("not found", { status: 404 });
    const token = /^Bearer (.+)$/.exec(req.headers.get("authorization") ?? "")?.[1] ?? "";
    calls.push(token);
    if (!valid(token)) {
      refused++;
      return Response.json({
        type: "error",
        error: { type: "authentication_error", message: "invalid token" },
      }, { status: 401 });
    }
    const retry = limits.get(token);
    if (retry !== undefined) {
      return Response.json(
        { type: "error", error: { type: "rate_limit_error", message: "rate limited" } },
        { status: 429, headers: { "retry-after": String(retry) } },
      );
    }
    usage.input += INPUT_TOKENS;
    usage.output += OUTPUT_TOKENS;
    usage.requests++;
    return messageAnswer(`msg_${calls.length}`, INPUT_TOKENS, OUTPUT_TOKENS);
  });
  return {
    url: `http://127.0.0.1:${server.addr.port}`,
    calls,
    get refused() {
      return refused;
    },
    limit: (token, seconds) => limits.set(token, seconds),
    usage,
    quotaCalls,
    close: () => server.shutdown(),
  };
}

export interface TeamWorld {
  dbUrl: string;
  tokens: TokenServer;
  upstream: TeamUpstream;
  instances: RunningSubgate[];
  /** Starts instance `index` (its home kept across restarts). */
  start(index: number): Promise<RunningSubgate>;
  /** Adds a Claude login to the database (through `subgate store import`). */
  addAccount(email: string, fields: Record<string, unknown>): Promise<void>;
  /** The account's record as the database holds it, decrypted, with its row's columns. */
  account(
    email: string,
  ): Promise<{ record: Record<string, unknown>; row: Record<string, unknown> }>;
  /** One request through instance `index`; its status. */
  ask(index: number, headers?: Record<string, string>): Promise<number>;
  sql: Awaited<ReturnType<typeof open>>;
}

export interface TeamWorldOptions {
  tokens?: Omit<TokenServerOptions, "clientId" | "initial">;
  /** `refresh-timeout` of every instance, in seconds. */
  refreshTimeout?: number;
  /** The database server (default: the suite's). */
  serverUrl: string;
  /** Extra config lines for every instance. */
  config?: string;
  /** The store URL the instances are given, from the test database's (default: that one). */
  instanceStoreUrl?: (dbUrl: string) => string;
}

export const fileOf = (email: string) => `claude-${email}.json`;

export async function withTeam(
  options: TeamWorldOptions,
  fn: (world: TeamWorld) => Promise<void>,
): Promise<void> {
  const tokens = startTokenServer({
    clientId: CLAUDE_CLIENT_ID,
    initial: "rt-0",
    noIdToken: true,
    ...options.tokens,
  });
  const upstream = startUpstream((token) =>
    tokens.issuedAccess(token) || token.startsWith("fixed-")
  );
  const root = await Deno.makeTempDir({ prefix: "subgate-team-" });
  const cipher = await createTokenCipher(STORE_KEY);
  const instances: RunningSubgate[] = [];
  try {
    await withDatabase(options.serverUrl, async (dbUrl) => {
      const env = (name: string) => ({
        SUBGATE_STORE_URL: options.instanceStoreUrl?.(dbUrl) ?? dbUrl,
        SUBGATE_STORE_KEY: STORE_KEY,
        SUBGATE_INSTANCE_NAME: name,
      });
      const homeOf = async (name: string) => {
        const home = `${root}/${name}`;
        await Deno.mkdir(`${home}/.subgate`, { recursive: true, mode: 0o700 });
        await Deno.writeTextFile(
          `${home}/.subgate/config.yaml`,
          `providers:\n  claude:\n    token-url: ${tokens.tokenUrl}\n    base-url: ${upstream.url}\n` +
            `refresh-timeout: ${options.refreshTimeout ?? 2}s\nrequest-retry: 3\n` +
            (options.config ?? ""),
        );
        return home;
      };
      const sql = await open(dbUrl);
      const world: TeamWorld = {
        dbUrl,
        tokens,
        upstream,
        instances,
        sql,
        async start(index) {
          const name = `node-${String.fromCharCode(97 + index)}`;
          const started = await startSubgate([], { home: await homeOf(name), env: env(name) });
          instances[index] = started;
          return started;
        },
        async addAccount(email, fields) {
          const home = await homeOf("importer");
          await Deno.writeTextFile(
            `${home}/.subgate/${fileOf(email)}`,
            JSON.stringify({ type: "claude", email, ...fields }),
            { mode: 0o600 },
          );
          const result = await runSubgate(["store", "import"], { home, env: env("importer") });
          if (result.code !== 0) {
            throw new Error(`store import failed:\n${result.stdout}${result.stderr}`);
          }
          await Deno.remove(`${home}/.subgate/${fileOf(email)}`);
        },
        async account(email) {
          const [row] = await sql`SELECT * FROM subgate_accounts WHERE name = ${fileOf(email)}`;
          const record = JSON.parse(await cipher.open(row.sealed, `account:${fileOf(email)}`));
          return { record, row };
        },
        async ask(index, headers = {}) {
          const response = await fetch(`${instances[index].url}/v1/messages`, {
            method: "POST",
            headers: { "content-type": "application/json", ...headers },
            body: JSON.stringify({
              model: MODEL,
              max_tokens: 16,
              messages: [{ role: "user", content: "hi" }],
            }),
          });
          await response.body?.cancel();
          return response.status;
        },
      };
      try {
        await fn(world);
      } finally {
        // An instance that ended by itself (a crash) says why, whatever the test concluded.
        for (const instance of instances) {
          const ended = await Promise.race([instance?.status, sleep(0).then(() => undefined)]);
          if (ended && ended.signal === null) {
            console.error(`an instance exited by itself (code ${ended.code}):\n${instance.log()}`);
          }
        }
        await Promise.all(instances.map((instance) => instance?.stop("SIGKILL").catch(() => {})));
        await sql.end({ timeout: 1 });
      }
    });
  } finally {
    await tokens.close();
    await upstream.close();
    await Deno.remove(root, { recursive: true }).catch(() => {});
  }
}

export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Polls `check` every 50 ms until it holds; fails with `what` after `timeoutMs`. */
export async function until(
  check: () => Promise<boolean> | boolean,
  timeoutMs: number,
  what: string,
) {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) {
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    }
    await sleep(50);
  }
}
