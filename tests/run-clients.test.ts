/**
 * @module
 * `subgate run <client>` and `subgate env <client>` with the real agent CLIs (pinned in
 * tests/setup/agent-clis.ts), offline, in front of a local Chat Completions upstream that
 * answers with a shell-tool call and then, seeing its output, a final text.
 *
 * The CLIs are found on PATH, as users have them: a bin folder of the installed CLIs is put
 * first on subgate's PATH. The test sets nothing that points a CLI at subgate: no base URL, key
 * or provider, and Gemini CLI's own settings select Google's login. It only keeps each CLI away
 * from its vendor (telemetry and update checks off, a fresh HOME, Codex's retries off).
 */
// A port nothing listens on now, below the ephemeral range that other tests' servers (port 0)
// draw from: the config's, so no other test's subgate is found there.
import { freePort } from "./helpers/login-setup.ts";
import { type Finished, runWithDeadline } from "./helpers/agent-run.ts";
import { assert, assertEquals, assertMatch } from "./helpers/assert.ts";
import {
  type AgentUpstream,
  type SeenRequest,
  startAgentUpstream,
} from "./helpers/agent-upstream/server.ts";
import { TOOL_MARKER } from "./helpers/agent-upstream/script.ts";
import {
  cacheDir,
  REPO_ROOT,
  type RunningSubgate,
  startSubgate,
  withTempHome,
} from "./helpers/subgate-process.ts";
import { type AgentCli, agentCli } from "./setup/agent-clis.ts";

const MAIN = `${REPO_ROOT}main.ts`;
const UPSTREAM_KEY = "sk-fake-chat-upstream";
const CLIENT_KEY = "sg-run-clients-config-key";
/** A CLI still running after this is killed, and its case fails. */
const DEADLINE_MS = 30_000;

/** Every family claimed by pattern by an `openai-compatibility` entry on the Chat upstream. */
function config(upstream: AgentUpstream, extra = ""): string {
  const lines = [`port: ${freePort()}`, `api-keys: [${CLIENT_KEY}]`, "openai-compatibility:"];
  for (const family of ["claude", "gpt", "gemini"]) {
    lines.push(
      `  - name: chat-${family}`,
      `    base-url: ${upstream.url}/v1`,
      "    api-key-entries:",
      `      - api-key: ${UPSTREAM_KEY}`,
      "    models:",
      `      - name: "${family}-*"`,
    );
  }
  return lines.join("\n") + "\n" + extra;
}

const CLIS = ["claude", "codex", "gemini", "opencode"] as const satisfies readonly AgentCli[];

/**
 * A folder with the CLIs as a user's PATH has them: the native binaries
 * linked, Gemini CLI's script behind a one-line launcher (Node when there is one, else Deno).
 */
async function binDir(dir: string): Promise<string> {
  await Deno.mkdir(dir, { recursive: true });
  for (const cli of CLIS) {
    const launch = agentCli(cli);
    if ("missing" in launch) throw new Error(launch.missing);
    if (launch.args.length === 0) {
      await Deno.symlink(launch.command, `${dir}/${cli}`);
    } else {
      const words = [launch.command, ...launch.args].map((word) => `'${word}'`).join(" ");
      await Deno.writeTextFile(`${dir}/${cli}`, `#!/bin/sh\nexec ${words} "$@"\n`, {
        mode: 0o755,
      });
    }
  }
  return dir;
}

/** The home the CLIs and subgate share: settings that keep each CLI away from its vendor. */
async function prepareHome(home: string, upstream: AgentUpstream, extraConfig = "") {
  await Deno.mkdir(`${home}/.subgate`, { recursive: true });
  await Deno.writeTextFile(`${home}/.subgate/config.yaml`, config(upstream, extraConfig));
  await Deno.mkdir(`${home}/.codex`, { recursive: true });
  await Deno.writeTextFile(
    `${home}/.codex/config.toml`,
    "[analytics]\nenabled = false\n\n[features]\nplugins = false\n" +
      "unbounded_connection_retries = false\n",
  );
  await Deno.mkdir(`${home}/.gemini`, { recursive: true });
  await Deno.writeTextFile(
    `${home}/.gemini/settings.json`,
    JSON.stringify({
      // The user's own login: `subgate run gemini` must select the API key without editing this.
      security: { auth: { selectedType: "oauth-personal" } },
      privacy: { usageStatisticsEnabled: false },
      general: { enableAutoUpdate: false, enableAutoUpdateNotification: false },
      telemetry: { enabled: false },
    }),
  );
  await Deno.mkdir(`${home}/tmp`, { recursive: true });
  await Deno.mkdir(`${home}/work`, { recursive: true });
}

interface World {
  home: string;
  bin: string;
  upstream: AgentUpstream;
}

async function withWorld(extraConfig: string, fn: (world: World) => Promise<void>) {
  await withTempHome(async (home) => {
    const upstream = startAgentUpstream("openai-chat", {
      key: UPSTREAM_KEY,
      families: ["claude", "gpt", "gemini"],
      listedModel: "gpt-5.4",
    });
    try {
      await prepareHome(home, upstream, extraConfig);
      const bin = await binDir(`${home}/bin`);
      await fn({ home, bin, upstream });
    } finally {
      await upstream.close();
    }
  });
}

/** What every CLI run gets: a fresh HOME and no calls to its vendor. Nothing about subgate. */
async function baseEnv(world: World, extra: Record<string, string> = {}) {
  return {
    HOME: world.home,
    PATH: `${world.bin}:${Deno.env.get("PATH") ?? ""}`,
    DENO_DIR: await cacheDir(),
    TMPDIR: `${world.home}/tmp`,
    NO_COLOR: "1",
    CODEX_HOME: `${world.home}/.codex`,
    CLAUDE_CODE_TMPDIR: `${world.home}/tmp`,
    CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC: "1",
    DISABLE_AUTOUPDATER: "1",
    DISABLE_TELEMETRY: "1",
    CLAUDE_CODE_DISABLE_OFFICIAL_MARKETPLACE_AUTOINSTALL: "1",
    GEMINI_CLI_TRUST_WORKSPACE: "true",
    GEMINI_CLI_NO_RELAUNCH: "true",
    OPENCODE_DISABLE_MODELS_FETCH: "1",
    OPENCODE_DISABLE_AUTOUPDATE: "1",
    ...extra,
  };
}

/** `deno run -P=subgate main.ts`, as the shell words `subgate` stands for. */
function subgateWords(): string[] {
  return [
    Deno.execPath(),
    "run",
    "-q",
    "--no-prompt",
    `--config=${REPO_ROOT}deno.json`,
    "-P=subgate",
    MAIN,
  ];
}

type Run = Finished;

const spawn = (program: string, args: string[], env: Record<string, string>, cwd: string) =>
  runWithDeadline(program, args, { env, cwd }, DEADLINE_MS);

/** `subgate <args>` with the world's PATH and HOME, in its workspace. */
async function subgate(world: World, args: string[], extra: Record<string, string> = {}) {
  const [program, ...rest] = subgateWords();
  return await spawn(
    program,
    [...rest, ...args],
    await baseEnv(world, extra),
    `${world.home}/work`,
  );
}

/** `sh -c script` with `subgate` defined as a function. */
async function shell(world: World, script: string, extra: Record<string, string> = {}) {
  const words = subgateWords().map((word) => `'${word}'`).join(" ");
  const full = `subgate() { ${words} "$@"; }\n${script}`;
  return await spawn("sh", ["-c", full], await baseEnv(world, extra), `${world.home}/work`);
}

function describe(run: Run): string {
  return `exit ${run.code}${run.timedOut ? " (killed at the deadline)" : ""}\n--- stdout ---\n` +
    `${run.stdout.trim()}\n--- stderr ---\n${run.stderr.trim().slice(-3000)}`;
}

const tooltest = (tag: string) => `TOOLTEST: run the shell tool once, then report. [run-${tag}]`;

/** Each CLI asked for a shell-tool round trip; `subgate run` puts the flags before them. */
const TOOL_ARGS: Record<AgentCli, (tag: string) => string[]> = {
  claude: (tag) => ["-p", tooltest(tag), "--allowedTools", "Bash"],
  codex: (tag) => ["exec", "--skip-git-repo-check", tooltest(tag)],
  gemini: (tag) => ["-p", tooltest(tag), "--approval-mode", "yolo"],
  opencode: (tag) => ["run", tooltest(tag)],
};

function requestsOf(upstream: AgentUpstream, tag: string): SeenRequest[] {
  return upstream.generations().filter((r) => r.reading!.prompt.includes(`[run-${tag}]`));
}

function assertRoundTrip(run: Run, upstream: AgentUpstream, tag: string) {
  assert(run.stdout.includes(`TOOL RESULT SEEN: ${TOOL_MARKER}`), describe(run));
  assertEquals(run.code, 0, describe(run));
  const requests = requestsOf(upstream, tag);
  const result = requests.find((r) => r.reading!.toolOutput !== undefined);
  assert(result, `no request carried the tool's result:\n${describe(run)}`);
  assertMatch(result.reading!.toolOutput!, new RegExp(TOOL_MARKER));
}

async function keysJson(home: string): Promise<string[]> {
  try {
    const file = JSON.parse(await Deno.readTextFile(`${home}/.subgate/keys.json`));
    return (file.keys ?? []).map((key: { name: string }) => key.name);
  } catch {
    return [];
  }
}

async function answers(url: string): Promise<boolean> {
  try {
    const response = await fetch(`${url}/healthz`);
    await response.body?.cancel();
    return true;
  } catch {
    return false;
  }
}

Deno.test("subgate run and env use the running subgate: each CLI completes a tool round trip", async (t) => {
  await withWorld("", async (world) => {
    let server: RunningSubgate | undefined;
    try {
      server = await startSubgate([], { home: world.home });
      const clis = CLIS;
      const [runs, envRuns, pinned, refused] = await Promise.all([
        Promise.all(
          clis.map((cli) => subgate(world, ["run", cli, ...TOOL_ARGS[cli](`run-${cli}`)])),
        ),
        Promise.all(clis.map((cli) => {
          const args = TOOL_ARGS[cli](`env-${cli}`).map((arg) => `'${arg}'`).join(" ");
          // Two OpenCodes setting up one fresh data folder at once collide: this one has its own.
          const data: Record<string, string> = cli === "opencode"
            ? { XDG_DATA_HOME: `${world.home}/env-data` }
            : {};
          return shell(world, `eval "$(subgate env ${cli})" && ${cli} ${args}`, data);
        })),
        Promise.all([
          subgate(world, [
            "run",
            "--model",
            "gpt-5.4",
            "claude",
            "-p",
            "Say hello. [run-pin-model]",
          ]),
          subgate(world, [
            "run",
            "--account",
            "chat-gemini",
            "codex",
            "exec",
            "--skip-git-repo-check",
            "Say hello. [run-pin-account]",
          ]),
        ]),
        Promise.all([
          subgate(world, ["run", "--url", "localhost:8317", "claude", "-p", "hi"]),
          subgate(world, ["env", "--url", "localhost:8317", "claude"]),
        ]),
      ]);
      for (const [i, cli] of clis.entries()) {
        await t.step(`subgate run ${cli}: the round trip completes on the running server`, () => {
          assertRoundTrip(runs[i], world.upstream, `run-${cli}`);
          assertMatch(runs[i].stderr, new RegExp(`uses the subgate at ${server!.url}`));
        });
        await t.step(`eval "$(subgate env ${cli})" makes ${cli} work in sh -c`, () => {
          assertRoundTrip(envRuns[i], world.upstream, `env-${cli}`);
        });
      }
      await t.step("the running server served them all; none was started", () => {
        for (const run of [...runs, ...pinned]) {
          assert(!/started subgate/.test(run.stderr), run.stderr);
        }
        const log = server!.log();
        // Each run's session key, never the key itself; env used the config's key.
        for (const cli of clis) assertMatch(log, new RegExp(`key=run-${cli}-[0-9a-f]{8}\\b`));
        assertMatch(log, /key=key-1\b/);
      });
      await t.step("session keys are revoked when the client exits", async () => {
        assertEquals((await keysJson(world.home)).filter((name) => name.startsWith("run-")), []);
      });
      await t.step("--model: every request of the session is served by that model", () => {
        assertEquals(pinned[0].code, 0, describe(pinned[0]));
        assertMatch(pinned[0].stdout, /Hello from the fake .* \[run-pin-model\]/);
        const requests = requestsOf(world.upstream, "pin-model");
        assert(requests.length > 0, describe(pinned[0]));
        for (const request of requests) assertEquals(request.model, "gpt-5.4");
      });
      await t.step("--account: the session's requests go to that account only", () => {
        assertEquals(pinned[1].code, 0, describe(pinned[1]));
        const lines = server!.log().split("\n").filter((line) =>
          / INFO {2}request /.test(line) && /key=run-codex-/.test(line) &&
          /account="chat-gemini/.test(line)
        );
        assert(lines.length > 0, server!.log());
      });
      await t.step("a base URL without http:// is refused with what to write", () => {
        for (const run of refused) {
          assertEquals(run.code, 2, describe(run));
          assertMatch(run.stderr, /--url: "localhost:8317" is not an absolute http\(s\) URL/);
          assertMatch(run.stderr, /"http:\/\/localhost:8317"/);
        }
      });
    } finally {
      await server?.stop();
    }
  });
});

Deno.test("subgate run starts a server for the session and stops it with the client", async (t) => {
  await withWorld("", async (world) => {
    await Deno.writeTextFile(
      `${world.home}/bad.yaml`,
      "claude-api-key:\n  - api-key: sk-ant-x\n    base-url: localhost:8317\n",
    );
    const [run, untrusted, badConfig] = await Promise.all([
      subgate(world, ["run", "claude", ...TOOL_ARGS.claude("session")]),
      // Gemini CLI refuses an untrusted folder with exit code 55: subgate exits with it.
      subgate(world, ["run", "gemini", "-p", "Say hello. [run-untrusted]"], {
        GEMINI_CLI_TRUST_WORKSPACE: "",
      }),
      subgate(world, ["run", "--config", `${world.home}/bad.yaml`, "claude", "-p", "hi"]),
    ]);
    await t.step("the round trip completes on a server started for the session", () => {
      assertRoundTrip(run, world.upstream, "session");
    });
    const started = /started subgate for this session on (\S+) \(log: (\S+)\)/.exec(run.stderr);
    await t.step("its address and log file are printed; the log is in the auth dir", async () => {
      assert(started, describe(run));
      assert(started[2].startsWith(`${world.home}/.subgate/logs/`), started[2]);
      const log = await Deno.readTextFile(started[2]);
      assertMatch(log, /listening on http:\/\/127\.0\.0\.1:\d+/);
      assertMatch(log, / INFO {2}request .*key=run-claude-/);
    });
    await t.step(
      "the server stopped with the session: nothing answers, no state left",
      async () => {
        assert(!await answers(started![1]), `${started![1]} still answers`);
        const state = await Deno.stat(`${world.home}/.subgate/.subgate-state.json`).catch(() =>
          null
        );
        assertEquals(state, null);
        assertEquals((await keysJson(world.home)).filter((name) => name.startsWith("run-")), []);
      },
    );
    await t.step("the exit code is the client's", () => {
      assertEquals(untrusted.code, 55, describe(untrusted));
    });
    await t.step("the user's Gemini settings are untouched", async () => {
      const settings = JSON.parse(await Deno.readTextFile(`${world.home}/.gemini/settings.json`));
      assertEquals(settings.security.auth.selectedType, "oauth-personal");
    });
    await t.step("a config with a base URL without http:// is refused with the fix", () => {
      assertEquals(badConfig.code, 1, describe(badConfig));
      assertMatch(badConfig.stderr, /"http:\/\/localhost:8317"/);
    });
  });
});
