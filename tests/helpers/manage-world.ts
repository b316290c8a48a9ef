/**
 * @module
 * A subgate with two Claude logins and one Claude API key, all served by one
 * local Anthropic upstream that answers with a real capture and records which
 * credential each call carried (and can be told to fail for one), for the
 * management API's tests.
 */
import { readJsonFixture } from "./provider-fixtures.ts";
import { claudeFile, writeAccount } from "./fixtures.ts";
import { type RunningSubgate, startSubgate, withTempHome } from "./subgate-process.ts";

export const ADA_TOKEN = "sk-ant-oat01-ADAACCESSTOKENxxxxxxxxxxxxxxxxxxx";
export const GRACE_TOKEN = "sk-ant-oat01-GRACEACCESSTOKENxxxxxxxxxxxxxxxxx";
export const CONFIG_KEY = "sk-ant-api03-CONFIGKEYxxxxxxxxxxxxxxxxxxxxxxxx";
export const CLIENT_KEY = "sg-client-key-0123456789abcdef";

export interface Call {
  /** ada, grace or config: whose credential the call carried. */
  who: string;
  body: Record<string, unknown>;
}

export interface ManageUpstream {
  url: string;
  calls: Call[];
  /** The next `count` calls carrying `who`'s credential get `status`. */
  fail(who: string, status: number, count?: number): void;
  close(): Promise<void>;
}

const OK = JSON.stringify(readJsonFixture("anthropic-messages", "anthropic-text.json"));

export function startManageUpstream(): ManageUpstream {
  const calls: Call[] = [];
  const failures = new Map<string, number[]>();
  const whoOf = (request: Request) => {
    const bearer = request.headers.get("authorization") ?? "";
    if (bearer.includes(ADA_TOKEN)) return "ada";
    if (bearer.includes(GRACE_TOKEN)) return "grace";
    if (request.headers.get("x-api-key") === CONFIG_KEY) return "config";
    return "unknown";
  };
  const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen: () => {} }, async (req) => {
    const path = new URL(req.url).pathname;
    if (req.method === "GET" && path.endsWith("/models")) {
      await req.body?.cancel();
      return Response.json({ data: [{ type: "model", id: "claude-sonnet-4-6" }], has_more: false });
    }
    const who = whoOf(req);
    const body = await req.json().catch(() => ({}));
    calls.push({ who, body });
    const status = failures.get(who)?.shift();
    if (status) {
      return Response.json(
        { type: "error", error: { type: "api_error", message: "scripted failure" } },
        { status },
      );
    }
    return new Response(OK, { headers: { "content-type": "application/json" } });
  });
  return {
    url: `http://127.0.0.1:${(server.addr as Deno.NetAddr).port}`,
    calls,
    fail(who, status, count = 1) {
      failures.set(who, [...failures.get(who) ?? [], ...Array(count).fill(status)]);
    },
    close: () => server.shutdown(),
  };
}

export interface ManageWorld {
  home: string;
  authDir: string;
  server: RunningSubgate;
  upstream: ManageUpstream;
  /** fetch against the server, JSON in and out. */
  call(
    path: string,
    init?: RequestInit & { json?: unknown },
    // deno-lint-ignore no-explicit-any
  ): Promise<{ status: number; headers: Headers; body: any; text: string }>;
}

/** The config the world starts with (with `extra` appended). */
export function worldConfig(upstreamUrl: string, extra = ""): string {
  return [
    `api-keys: ["${CLIENT_KEY}"]`,
    "providers:",
    "  claude:",
    `    base-url: ${upstreamUrl}`,
    "claude-api-key:",
    `  - api-key: ${CONFIG_KEY}`,
    `    base-url: ${upstreamUrl}`,
    "    models: [{name: claude-sonnet-4-6}]",
    "    headers:",
    "      x-team: research",
    extra,
  ].join("\n");
}

export function withManageWorld(
  fn: (world: ManageWorld) => Promise<void>,
  options: { extraConfig?: string; env?: Record<string, string>; args?: string[] } = {},
) {
  return withTempHome(async (home) => {
    const authDir = `${home}/.subgate`;
    await Deno.mkdir(authDir, { mode: 0o700 });
    const upstream = startManageUpstream();
    await writeAccount(
      `${authDir}/claude-ada@example.com.json`,
      claudeFile("ada@example.com").replace(/sk-ant-oat01-[A-Za-z]+x+/, ADA_TOKEN),
    );
    await writeAccount(
      `${authDir}/claude-grace@example.com.json`,
      claudeFile("grace@example.com").replace(/sk-ant-oat01-[A-Za-z]+x+/, GRACE_TOKEN),
    );
    await Deno.writeTextFile(
      `${authDir}/config.yaml`,
      worldConfig(upstream.url, options.extraConfig),
      { mode: 0o600 },
    );
    const server = await startSubgate(options.args ?? [], { home, env: options.env });
    const call: ManageWorld["call"] = async (path, init = {}) => {
      const { json, ...rest } = init;
      const response = await fetch(`${server.url}${path}`, {
        ...rest,
        body: json === undefined ? rest.body : JSON.stringify(json),
      });
      const text = await response.text();
      let body: unknown;
      try {
        body = text ? JSON.parse(text) : null;
      } catch {
        body = undefined;
      }
      return { status: response.status, headers: response.headers, body, text };
    };
    try {
      await fn({ home, authDir, server, upstream, call });
    } finally {
      await server.stop();
      await upstream.close();
    }
  });
}

/** One Anthropic request through subgate with the client key; the status. */
export async function ask(server: RunningSubgate, model = "claude-sonnet-4-6"): Promise<number> {
  const response = await fetch(`${server.url}/v1/messages`, {
    method: "POST",
    headers: { "x-api-key": CLIENT_KEY, "anthropic-version": "2023-06-01" },
    body: JSON.stringify({ model, max_tokens: 8, messages: [{ role: "user", content: "hi" }] }),
  });
  await response.body?.cancel();
  return response.status;
}
