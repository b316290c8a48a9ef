/**
 * `subgate statusline` (Claude Code's `statusLine` command) and how `subgate run claude` wires
 * it in, with subgate running as users run it: a Claude login in front of a local Anthropic API
 * whose answers carry the unified rate-limit headers (5 h at 42 %, the week at 18 %) and whose
 * usage endpoint adds a weekly Opus window at 88 %; requests carrying Claude Code's session
 * header; the status line fed the JSON Claude Code 2.1.332 gives it on stdin (its shape below,
 * as captured from the real CLI). The last test drives the real Claude Code in tmux.
 */
import { assert, assertEquals, assertMatch, assertNotMatch } from "./helpers/assert.ts";
import { writeAccount } from "./helpers/fixtures.ts";
import { chunksAsSse, readJsonFixture } from "./helpers/provider-fixtures.ts";
import { isoIn, unixIn } from "./helpers/quota-fixtures.ts";
import {
  childEnv,
  REPO_ROOT,
  type RunningSubgate,
  startSubgate,
  subgateArgs,
  withTempHome,
} from "./helpers/subgate-process.ts";
import { agentCli } from "./setup/agent-clis.ts";
import { findOnPath } from "./setup/run-command.ts";

const TOKEN = "sk-ant-oat01-STATUSLINEadaxxxxxxxxxxxxxxxx";
const ACCOUNT_ID = "file:claude-ada@example.com.json";
const OK_BODY = JSON.stringify(readJsonFixture("anthropic-messages", "anthropic-text.json"));
const OK_STREAM = chunksAsSse("anthropic-messages", "anthropic-text.chunks.txt");

/** Anthropic's API for the login: every answer with the plan headers, and the usage endpoint. */
function startClaudeApi() {
  const sessions: string[] = [];
  const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen: () => {} }, async (req) => {
    const path = new URL(req.url).pathname;
    if (path === "/api/oauth/usage") {
      return Response.json({
        five_hour: { utilization: 42.0, resets_at: isoIn(7200) },
        seven_day: { utilization: 18.0, resets_at: isoIn(4 * 86400) },
        seven_day_opus: { utilization: 88.0, resets_at: isoIn(3 * 86400) },
        seven_day_sonnet: null,
      });
    }
    if (path !== "/v1/messages") {
      await req.body?.cancel();
      return Response.json({ error: "no route" }, { status: 404 });
    }
    const body = await req.json().catch(() => ({}));
    sessions.push(req.headers.get("x-claude-code-session-id") ?? "");
    const headers = {
      "content-type": body.stream ? "text/event-stream" : "application/json",
      "anthropic-ratelimit-unified-status": "allowed",
      "anthropic-ratelimit-unified-5h-status": "allowed",
      "anthropic-ratelimit-unified-5h-utilization": "0.42",
      "anthropic-ratelimit-unified-5h-reset": unixIn(7200),
      "anthropic-ratelimit-unified-7d-status": "allowed",
      "anthropic-ratelimit-unified-7d-utilization": "0.18",
      "anthropic-ratelimit-unified-7d-reset": unixIn(4 * 86400),
    };
    return new Response(body.stream ? OK_STREAM : OK_BODY, { headers });
  });
  return {
    url: `http://127.0.0.1:${(server.addr as Deno.NetAddr).port}`,
    /** The session header of each request it served ("" for none). */
    sessions,
    close: () => server.shutdown(),
  };
}

type ClaudeApi = ReturnType<typeof startClaudeApi>;

interface World {
  home: string;
  server: RunningSubgate;
  api: ClaudeApi;
}

/** A home with the Claude login ada@example.com, its API local, and subgate serving it. */
function withWorld(fn: (world: World) => Promise<void>, extraConfig = "") {
  return withTempHome(async (home) => {
    const api = startClaudeApi();
    const dir = `${home}/.subgate`;
    await Deno.mkdir(dir, { recursive: true, mode: 0o700 });
    await writeAccount(
      `${dir}/claude-ada@example.com.json`,
      JSON.stringify({
        type: "claude",
        access_token: TOKEN,
        refresh_token: "sk-ant-ort01-ada",
        email: "ada@example.com",
        expired: "2099-01-01T00:00:00Z",
      }),
    );
    await Deno.writeTextFile(
      `${dir}/config.yaml`,
      `providers:\n  claude:\n    base-url: ${api.url}\n${extraConfig}`,
    );
    const server = await startSubgate([], { home });
    try {
      await fn({ home, server, api });
    } finally {
      await server.stop();
      await api.close();
    }
  });
}

/** A request as Claude Code sends it: its session in `x-claude-code-session-id`. */
async function ask(server: RunningSubgate, model: string, session?: string) {
  const response = await fetch(`${server.url}/v1/messages`, {
    method: "POST",
    headers: {
      "content-type": "application/json",
      "x-api-key": "any",
      "anthropic-version": "2023-06-01",
      ...(session ? { "x-claude-code-session-id": session } : {}),
    },
    body: JSON.stringify({ model, max_tokens: 16, messages: [{ role: "user", content: "hi" }] }),
  });
  assertEquals(response.status, 200, await response.clone().text());
  await response.body?.cancel();
}

/** Reads the usage endpoint now (what the poller does every 5 minutes): the Opus window. */
async function readQuotaNow(world: World, key?: string) {
  const response = await fetch(`${world.server.url}/manage/quota/refresh`, {
    method: "POST",
    headers: key ? { authorization: `Bearer ${key}` } : {},
  });
  assertEquals(response.status, 200, await response.clone().text());
  const body = await response.json();
  const windows = body.accounts.find((a: { accountId: string }) => a.accountId === ACCOUNT_ID)
    ?.windows ?? [];
  assert(windows.some((w: { name: string }) => w.name === "7d-opus"), JSON.stringify(body));
}

/** The JSON Claude Code 2.1.332 pipes to its status line command (captured from the real CLI). */
function claudeJson(session: string, model: string, cwd = "/home/ada/project"): string {
  return JSON.stringify({
    session_id: session,
    transcript_path: `/home/ada/.claude/projects/-home-ada-project/${session}.jsonl`,
    cwd,
    effort: { level: "medium" },
    model: { id: model, display_name: "Opus 5.5" },
    workspace: { current_dir: cwd, project_dir: cwd, added_dirs: [] },
    version: "2.1.332",
    output_style: { name: "default" },
    cost: {
      total_cost_usd: 0.0123,
      total_duration_ms: 4200,
      total_api_duration_ms: 1800,
      total_lines_added: 0,
      total_lines_removed: 0,
    },
    context_window: {
      total_input_tokens: 12,
      total_output_tokens: 30,
      context_window_size: 1000000,
      current_usage: null,
      used_percentage: null,
      remaining_percentage: null,
    },
    exceeds_200k_tokens: false,
    fast_mode: false,
    thinking: { enabled: true },
  });
}

interface Ran {
  code: number;
  stdout: string;
  stderr: string;
  ms: number;
}

/** Runs `program args` with `input` on stdin, as Claude Code runs its status line command. */
async function runWithStdin(
  program: string,
  args: string[],
  input: string,
  options: { env: Record<string, string>; cwd?: string },
): Promise<Ran> {
  const started = performance.now();
  const child = new Deno.Command(program, {
    args,
    cwd: options.cwd ?? REPO_ROOT,
    env: options.env,
    clearEnv: true,
    stdin: "piped",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const writer = child.stdin.getWriter();
  await writer.write(new TextEncoder().encode(input));
  await writer.close();
  const out = await child.output();
  const decoder = new TextDecoder();
  return {
    code: out.code,
    stdout: decoder.decode(out.stdout),
    stderr: decoder.decode(out.stderr),
    ms: Math.round(performance.now() - started),
  };
}

/** `subgate statusline [args]` fed `input`. */
async function statusline(
  home: string,
  input: string,
  options: { args?: string[]; env?: Record<string, string> } = {},
): Promise<Ran> {
  return await runWithStdin(
    Deno.execPath(),
    subgateArgs(["statusline", ...options.args ?? []]),
    input,
    { env: await childEnv(home, options.env) },
  );
}

const describe = (ran: Ran) => `exit ${ran.code}\n${ran.stdout}\n${ran.stderr}`;

/** The one line printed, checked to be the only one. */
function lineOf(ran: Ran): string {
  assertEquals(ran.code, 0, describe(ran));
  const lines = ran.stdout.split("\n");
  assertEquals(lines.length, 2, describe(ran));
  assertEquals(lines[1], "");
  return lines[0];
}

/** Within a minute of `hours`h (a line printed a moment later shows a minute less). */
const SONNET_LINE = /^claude ada@example\.com · claude-sonnet-4-6 · 5h 42% \(resets (1h59m|2h)\)$/;
const OPUS_LINE = /^claude ada@example\.com · claude-opus-4-8 · 7d-opus 88% \(resets (2d23h|3d)\)$/;

Deno.test("statusline: the session's last request, its account and the tightest window that limits its model", () =>
  withWorld(async (world) => {
    const [a, b] = [crypto.randomUUID(), crypto.randomUUID()];
    await ask(world.server, "claude-sonnet-4-6", a);
    // A side request of the same session on a small model, after the main one.
    await ask(world.server, "claude-haiku-4-5", a);
    await ask(world.server, "claude-opus-4-8", b);
    await ask(world.server, "claude-sonnet-4-6");
    await readQuotaNow(world);

    const [sonnet, opus, side, unknown, noSession, garbage] = await Promise.all([
      statusline(world.home, claudeJson(a, "claude-sonnet-4-6")),
      statusline(world.home, claudeJson(b, "claude-opus-4-8[1m]")),
      statusline(world.home, claudeJson(a, "claude-haiku-4-5")),
      statusline(world.home, claudeJson(crypto.randomUUID(), "claude-sonnet-4-6")),
      statusline(world.home, JSON.stringify({ model: { id: "claude-sonnet-4-6" } })),
      statusline(world.home, "not json"),
    ]);
    // The 5-hour window is the tightest for Sonnet; the weekly Opus window limits Opus only.
    assertMatch(lineOf(sonnet), SONNET_LINE);
    assertMatch(lineOf(opus), OPUS_LINE);
    assertMatch(lineOf(side), /^claude ada@example\.com · claude-haiku-4-5 · 5h 42% /);
    assertEquals(lineOf(unknown), "subgate · no requests yet");
    assertEquals(lineOf(noSession), "subgate · no requests yet");
    assertEquals(lineOf(garbage), "subgate · no requests yet");
    for (const ran of [sonnet, opus, side, unknown, noSession, garbage]) {
      assertEquals(ran.stderr, "", describe(ran));
    }

    // The management API filters by session; the session id is not logged.
    const recent = async (query: string) => {
      const response = await fetch(`${world.server.url}/manage/requests?${query}`);
      return { status: response.status, body: await response.json() };
    };
    const one = await recent(`session=${a}&limit=1`);
    assertEquals(one.body.requests.length, 1);
    assertEquals(one.body.requests[0].sessionId, a);
    assertEquals(one.body.requests[0].requestedModel, "claude-haiku-4-5");
    assertEquals(one.body.requests[0].account.label, "ada@example.com");
    const both = await recent(`session=${a}`);
    assertEquals(both.body.requests.map((r: { sessionId: string }) => r.sessionId), [a, a]);
    assertEquals((await recent("session=nobody")).body.requests, []);
    assertEquals((await recent("session=")).status, 400);
    const all = await recent("limit=10");
    assertEquals(all.body.requests.length, 4);
    assertEquals(all.body.requests[0].sessionId, undefined);
    assertEquals(world.api.sessions.length, 4);
    assertNotMatch(world.server.log(), new RegExp(`${a}|${b}`));
  }));

Deno.test("statusline: with a management key, the config's is sent; a wrong one is not sent again", () =>
  withWorld(async (world) => {
    const session = crypto.randomUUID();
    await ask(world.server, "claude-sonnet-4-6", session);
    await readQuotaNow(world, "mk-statusline-right");
    const input = claudeJson(session, "claude-sonnet-4-6");
    assertMatch(lineOf(await statusline(world.home, input)), SONNET_LINE);

    // SUBGATE_MANAGEMENT_KEY wins over the config: a wrong one is refused, and noted, so a
    // status line refreshing for minutes never locks this machine out (the 10th wrong key would).
    const wrong = { SUBGATE_MANAGEMENT_KEY: "mk-statusline-wrong" };
    for (let i = 0; i < 12; i++) {
      assertEquals(
        lineOf(await statusline(world.home, input, { env: wrong })),
        "subgate · management key refused",
      );
    }
    const manage = await fetch(`${world.server.url}/manage`, {
      headers: { authorization: "Bearer mk-statusline-right" },
    });
    assertEquals(manage.status, 200, await manage.clone().text());
    await manage.body?.cancel();
    assertNotMatch(world.server.log(), /locked/);
    assertMatch(lineOf(await statusline(world.home, input)), SONNET_LINE);
  }, "management-key: mk-statusline-right\n"));

Deno.test("statusline: no server, or none at --url: a neutral line at once, exit 0", async () => {
  await withTempHome(async (home) => {
    const listener = Deno.listen({ hostname: "127.0.0.1", port: 0 });
    const port = (listener.addr as Deno.NetAddr).port;
    listener.close();
    const input = claudeJson(crypto.randomUUID(), "claude-opus-5-5");
    const [none, elsewhere] = await Promise.all([
      statusline(home, input),
      statusline(home, input, { args: ["--url", `http://127.0.0.1:${port}`] }),
    ]);
    assertEquals(lineOf(none), "subgate · not running");
    assertEquals(lineOf(elsewhere), "subgate · not running");
    assertEquals(none.stderr + elsewhere.stderr, "");
    // Deno's start included; generous for a loaded machine (alone it takes well under 200 ms).
    assert(none.ms < 2000, `took ${none.ms} ms`);
  });
});

/** A stand-in `claude` on PATH that records its arguments (NUL-separated) and exits 0. */
async function fakeClaude(dir: string): Promise<string> {
  await Deno.mkdir(dir, { recursive: true });
  await Deno.writeTextFile(
    `${dir}/claude`,
    `#!/bin/sh\n: > "$CLAUDE_ARGS_FILE"\nfor arg in "$@"; do printf '%s\\0' "$arg" >> "$CLAUDE_ARGS_FILE"; done\n`,
    { mode: 0o755 },
  );
  return dir;
}

/** `subgate run claude <args>` in `cwd`: the arguments the stand-in was given. */
async function runClaude(
  world: World,
  bin: string,
  options: { args: string[]; cwd: string; env?: Record<string, string>; tag: string },
): Promise<string[]> {
  const argsFile = `${world.home}/claude-args-${options.tag}`;
  const env = await childEnv(world.home, {
    PATH: `${bin}:${Deno.env.get("PATH") ?? ""}`,
    CLAUDE_ARGS_FILE: argsFile,
    ...options.env,
  });
  const out = await new Deno.Command(Deno.execPath(), {
    args: [
      "run",
      "-q",
      "--no-prompt",
      `--config=${REPO_ROOT}deno.json`,
      "-P=subgate",
      `${REPO_ROOT}main.ts`,
      "run",
      "claude",
      ...options.args,
    ],
    cwd: options.cwd,
    env,
    clearEnv: true,
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).output();
  const stderr = new TextDecoder().decode(out.stderr);
  assertEquals(out.code, 0, stderr);
  return (await Deno.readTextFile(argsFile)).split("\0").slice(0, -1);
}

Deno.test("subgate run claude gives Claude Code the status line, unless the user has their own", () =>
  withWorld(async (world) => {
    const bin = await fakeClaude(`${world.home}/bin`);
    const work = `${world.home}/work`;
    const project = `${world.home}/project`;
    const configDir = `${world.home}/claude-config`;
    await Deno.mkdir(work);
    await Deno.mkdir(`${project}/.claude`, { recursive: true });
    await Deno.mkdir(configDir);
    const own = JSON.stringify({ statusLine: { type: "command", command: "echo mine" } });
    await Deno.writeTextFile(`${project}/.claude/settings.local.json`, own);
    await Deno.writeTextFile(`${configDir}/settings.json`, own);

    const [wired, local, configured, flagged] = await Promise.all([
      runClaude(world, bin, { args: ["-p", "hi"], cwd: work, tag: "wired" }),
      runClaude(world, bin, { args: ["-p", "hi"], cwd: project, tag: "local" }),
      runClaude(world, bin, {
        args: ["-p", "hi"],
        cwd: work,
        env: { CLAUDE_CONFIG_DIR: configDir },
        tag: "config-dir",
      }),
      runClaude(world, bin, {
        args: ["--settings", "mine.json", "-p", "hi"],
        cwd: work,
        tag: "flag",
      }),
    ]);
    assertEquals(wired.length, 4, JSON.stringify(wired));
    assertEquals(wired[0], "--settings");
    assertEquals(wired.slice(2), ["-p", "hi"]);
    const settings = JSON.parse(wired[1]);
    assertEquals(Object.keys(settings), ["statusLine"]);
    assertEquals(settings.statusLine.type, "command");
    assertEquals(settings.statusLine.refreshInterval, 10);
    const command: string = settings.statusLine.command;
    assertMatch(command, /main\.ts statusline --url http:\/\/127\.0\.0\.1:\d+$/);

    // The user's own status line, in the project's local settings, in $CLAUDE_CONFIG_DIR, or
    // their own --settings: left alone.
    assertEquals(local, ["-p", "hi"]);
    assertEquals(configured, ["-p", "hi"]);
    assertEquals(flagged, ["--settings", "mine.json", "-p", "hi"]);
    await Deno.mkdir(`${world.home}/.claude`);
    await Deno.writeTextFile(`${world.home}/.claude/settings.json`, own);
    assertEquals(await runClaude(world, bin, { args: [], cwd: work, tag: "user" }), []);

    // The command is a shell line that runs this subgate's status line against its server.
    const session = crypto.randomUUID();
    await ask(world.server, "claude-sonnet-4-6", session);
    await readQuotaNow(world);
    const ran = await runWithStdin(
      "sh",
      ["-c", command],
      claudeJson(session, "claude-sonnet-4-6"),
      {
        env: await childEnv(world.home),
        cwd: work,
      },
    );
    assertMatch(lineOf(ran), SONNET_LINE);
  }));

/** tmux on a socket of the test's own: its server, and so the panes' environment, is ours. */
function tmux(socket: string, ...args: string[]) {
  return new Deno.Command("tmux", { args: ["-L", socket, ...args], stdout: "piped" }).output();
}

async function pane(socket: string, session: string): Promise<string> {
  const out = await tmux(socket, "capture-pane", "-t", session, "-p");
  return new TextDecoder().decode(out.stdout);
}

async function waitForPane(socket: string, session: string, pattern: RegExp, timeoutMs = 40_000) {
  const deadline = Date.now() + timeoutMs;
  let text = "";
  while (Date.now() < deadline) {
    text = await pane(socket, session);
    if (pattern.test(text)) return text;
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
  throw new Error(`the ${session} pane never showed ${pattern}:\n${text}`);
}

const claudeLaunch = agentCli("claude");
const tmuxPath = findOnPath("tmux");

Deno.test({
  name: "the real Claude Code under subgate run shows subgate's status line, or the user's own",
  ignore: "missing" in claudeLaunch || tmuxPath === undefined,
  fn: () =>
    withWorld(async (world) => {
      if ("missing" in claudeLaunch) return;
      // The Opus window is known before Claude Code's first request (its default model is Opus).
      await ask(world.server, "claude-sonnet-4-6");
      await readQuotaNow(world);
      const bin = `${world.home}/bin`;
      await Deno.mkdir(bin);
      await Deno.symlink(claudeLaunch.command, `${bin}/claude`);
      const work = `${world.home}/work`;
      await Deno.mkdir(work);
      // Onboarding done and the folder trusted, in both the default and the user's config dir.
      const state = JSON.stringify({
        hasCompletedOnboarding: true,
        theme: "dark",
        projects: { [work]: { hasTrustDialogAccepted: true, hasCompletedProjectOnboarding: true } },
      });
      await Deno.writeTextFile(`${world.home}/.claude.json`, state);
      const own = `${world.home}/own-config`;
      await Deno.mkdir(own);
      await Deno.writeTextFile(`${own}/.claude.json`, state);
      const dump = `${world.home}/own-status-input.json`;
      await Deno.writeTextFile(
        `${own}/settings.json`,
        JSON.stringify({
          statusLine: { type: "command", command: `cat > '${dump}'; echo USER-OWN-STATUS` },
        }),
      );

      const base = await childEnv(world.home, {
        PATH: `${bin}:${Deno.env.get("PATH") ?? ""}`,
        TERM: "xterm-256color",
        CLAUDE_CODE_TMPDIR: `${world.home}/tmp`,
        CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC: "1",
        DISABLE_AUTOUPDATER: "1",
        DISABLE_TELEMETRY: "1",
        CLAUDE_CODE_DISABLE_OFFICIAL_MARKETPLACE_AUTOINSTALL: "1",
      });
      await Deno.mkdir(`${world.home}/tmp`);
      const line = (env: Record<string, string>) =>
        [
          "env",
          "-i",
          ...Object.entries(env).map(([name, value]) => `${name}=${value}`),
          Deno.execPath(),
          "run",
          "-q",
          "--no-prompt",
          `--config=${REPO_ROOT}deno.json`,
          "-P=subgate",
          `${REPO_ROOT}main.ts`,
          "run",
          "claude",
        ].map((word) => `'${word.replaceAll("'", `'\\''`)}'`).join(" ");
      const socket = `subgate-statusline-${Deno.pid}`;
      try {
        for (const [name, env] of [["ours", base], ["own", { ...base, CLAUDE_CONFIG_DIR: own }]]) {
          const started = await tmux(
            socket,
            "new-session",
            "-d",
            "-s",
            name as string,
            "-x",
            "200",
            "-y",
            "50",
            "-c",
            work,
            line(env as Record<string, string>),
          );
          assert(started.success, `tmux did not start the ${name} session`);
        }
        // Before any request of the session, subgate's line says so; then the prompt is sent.
        await waitForPane(socket, "ours", /subgate · no requests yet/);
        await waitForPane(socket, "own", /USER-OWN-STATUS/);
        for (const name of ["ours", "own"]) {
          await tmux(socket, "send-keys", "-t", name, "Say hello.", "Enter");
        }
        const shown = await waitForPane(
          socket,
          "ours",
          /claude ada@example\.com · claude-opus-\S+ · 7d-opus 88% \(resets (2d23h|3d)\)/,
        );
        assertMatch(shown, /Hello! I'm doing well/);
        await waitForPane(socket, "own", /Hello! I'm doing well/);
        const theirs = await pane(socket, "own");
        assertMatch(theirs, /USER-OWN-STATUS/);
        assertNotMatch(theirs, /ada@example\.com|subgate ·/);

        // The session id Claude Code gives its status line is the one on its requests.
        const input = JSON.parse(await Deno.readTextFile(dump));
        const recorded = await fetch(
          `${world.server.url}/manage/requests?session=${input.session_id}&limit=1`,
        ).then((r) => r.json());
        assertEquals(recorded.requests.length, 1, JSON.stringify(input));
        assertEquals(recorded.requests[0].account.label, "ada@example.com");
      } finally {
        await tmux(socket, "kill-server");
      }
    }),
});
