/**
 * @module
 * The real agent CLIs (Claude Code, Codex CLI, Gemini CLI, pinned in tests/setup/agent-clis.ts)
 * on their own defaults, with no model flag and no model in Codex's config, against subgate,
 * which serves them from local fake upstreams configured as API keys:
 *
 * - same dialect: each CLI reaches its vendor's API (Anthropic Messages, OpenAI Responses,
 *   Gemini), which lists only an older model, so the CLI's default is a name no list knows;
 * - across dialects: every family is claimed by pattern by an `openai-compatibility` entry on a
 *   Chat Completions upstream, which answers with a call to the CLI's shell tool and then,
 *   seeing the tool's output, with a final text.
 *
 * Every run must print the upstream's answer, every request must reach the upstream, and
 * subgate must refuse none (no 4xx/5xx line in its log). The CLIs of a test run side by side.
 */
import { assert, assertEquals, assertMatch } from "./helpers/assert.ts";
import { agentHome, type AgentRun, describeRun, runAgent } from "./helpers/agent-run.ts";
import {
  type AgentDialect,
  type AgentUpstream,
  FAMILIES,
  type Family,
  type SeenRequest,
  startAgentUpstream,
} from "./helpers/agent-upstream/server.ts";
import { TOOL_MARKER } from "./helpers/agent-upstream/script.ts";
import { type RunningSubgate, startSubgate, withTempHome } from "./helpers/subgate-process.ts";
import type { AgentCli } from "./setup/agent-clis.ts";

/** The key the CLIs send to subgate (subgate requires it: `api-keys`). */
const CLIENT_KEY = "sg-agent-clis-client";
/** A CLI still running after this is killed, and its case fails. */
const DEADLINE_MS = 25_000;

const FAMILY_OF: Record<AgentCli, Family> = {
  claude: "claude",
  codex: "gpt",
  gemini: "gemini",
  // OpenCode's default is a Claude model (on its Anthropic provider); it runs in run-clients.
  opencode: "claude",
};

/** Each upstream's key, and the one (older) model its model list names. */
const UPSTREAM: Record<AgentDialect, { key: string; listed: string }> = {
  anthropic: { key: "sk-ant-fake-upstream", listed: "claude-sonnet-4-6" },
  "openai-responses": { key: "sk-fake-responses-upstream", listed: "gpt-5.4" },
  gemini: { key: "gm-fake-gemini-upstream", listed: "gemini-2.5-flash" },
  "openai-chat": { key: "sk-fake-chat-upstream", listed: "gpt-5.4" },
};

/** The model names each `openai-compatibility` entry claims in the cross-dialect config. */
const CLAIMS: Record<Family, string> = { claude: "claude-*", gpt: "gpt-*", gemini: "gemini-*" };

interface World {
  home: string;
  subgate: RunningSubgate;
  upstreams: Partial<Record<AgentDialect, AgentUpstream>>;
}

function startUpstream(dialect: AgentDialect, families: Family[]): AgentUpstream {
  const { key, listed } = UPSTREAM[dialect];
  return startAgentUpstream(dialect, { key, families, listedModel: listed });
}

/** Each CLI on its vendor's API, as API-key accounts. */
function sameDialectConfig(upstreams: World["upstreams"]): string {
  const entry = (dialect: AgentDialect, baseUrl: string) =>
    `  - api-key: ${UPSTREAM[dialect].key}\n    base-url: ${baseUrl}`;
  return [
    `api-keys: [${CLIENT_KEY}]`,
    "claude-api-key:",
    entry("anthropic", upstreams.anthropic!.url),
    // subgate joins `/responses` to this base, as OpenAI's own base ends in /v1.
    "codex-api-key:",
    entry("openai-responses", `${upstreams["openai-responses"]!.url}/v1`),
    // Gemini's base names the API version (`/v1beta`); subgate adds `/models/…`.
    "gemini-api-key:",
    entry("gemini", `${upstreams.gemini!.url}/v1beta`),
  ].join("\n") + "\n";
}

/** Every family claimed by pattern by an `openai-compatibility` entry on the one Chat upstream. */
function crossDialectConfig(upstreams: World["upstreams"]): string {
  const lines = [`api-keys: [${CLIENT_KEY}]`, "openai-compatibility:"];
  for (const family of Object.keys(CLAIMS) as Family[]) {
    lines.push(
      `  - name: chat-${family}`,
      `    base-url: ${upstreams["openai-chat"]!.url}/v1`,
      "    api-key-entries:",
      `      - api-key: ${UPSTREAM["openai-chat"].key}`,
      "    models:",
      `      - name: "${CLAIMS[family]}"`,
    );
  }
  return lines.join("\n") + "\n";
}

async function withWorld(crossDialect: boolean, fn: (world: World) => Promise<void>) {
  await withTempHome(async (home) => {
    const upstreams: World["upstreams"] = crossDialect
      ? { "openai-chat": startUpstream("openai-chat", ["claude", "gpt", "gemini"]) }
      : {
        anthropic: startUpstream("anthropic", ["claude"]),
        "openai-responses": startUpstream("openai-responses", ["gpt"]),
        gemini: startUpstream("gemini", ["gemini"]),
      };
    try {
      await Deno.mkdir(`${home}/.subgate`, { recursive: true });
      const config = crossDialect ? crossDialectConfig(upstreams) : sameDialectConfig(upstreams);
      await Deno.writeTextFile(`${home}/.subgate/config.yaml`, config);
      const subgate = await startSubgate([], { home });
      try {
        await fn({ home, subgate, upstreams });
      } finally {
        await subgate.stop();
      }
    } finally {
      await Promise.all(Object.values(upstreams).map((upstream) => upstream.close()));
    }
  });
}

interface AgentCase {
  /** Unique per run; the prompt carries it as `[run-<tag>]`, the fake's greeting repeats it. */
  tag: string;
  cli: AgentCli;
  /** Ask for a shell-tool round trip instead of a greeting. */
  tool?: boolean;
  /** Flags after the CLI's own (a model alias). */
  flags?: string[];
}

const CLI_ARGS: Record<AgentCli, (prompt: string, tool: boolean) => string[]> = {
  // Claude Code may run Bash unasked in -p only when allowed.
  claude: (prompt, tool) => ["-p", prompt, ...(tool ? ["--allowedTools", "Bash"] : [])],
  codex: (prompt) => ["exec", "--skip-git-repo-check", prompt],
  gemini: (prompt, tool) => ["-p", prompt, ...(tool ? ["--approval-mode", "yolo"] : [])],
  opencode: (prompt) => ["run", prompt],
};

function promptOf(agentCase: AgentCase): string {
  return agentCase.tool
    ? `TOOLTEST: run the shell tool once, then report. [run-${agentCase.tag}]`
    : `Say hello. [run-${agentCase.tag}]`;
}

async function runCase(world: World, agentCase: AgentCase): Promise<AgentRun> {
  const setup = await agentHome(agentCase.cli, `${world.home}/${agentCase.tag}`, {
    url: world.subgate.url,
    key: CLIENT_KEY,
  });
  const args = CLI_ARGS[agentCase.cli](promptOf(agentCase), agentCase.tool ?? false);
  return await runAgent(setup, [...args, ...agentCase.flags ?? []], DEADLINE_MS);
}

/** Runs every case side by side; a CLI that cannot start fails its own case only. */
function runAll(world: World, cases: AgentCase[]): Promise<(AgentRun | Error)[]> {
  return Promise.all(cases.map((c) => runCase(world, c).catch((error: Error) => error)));
}

/** The upstream's generate requests that belong to the run tagged `tag`. */
function requestsOf(upstream: AgentUpstream, tag: string): SeenRequest[] {
  return upstream.generations().filter((request) =>
    request.reading!.prompt.includes(`[run-${tag}]`)
  );
}

/** subgate's log lines that report a refused or failed request (4xx/5xx), or an error. */
function refusals(log: string): string[] {
  return log.split("\n").filter((line) =>
    /\sstatus=[45]\d\d\b/.test(line) || /\sERROR\s/.test(line)
  );
}

/** One line for the test output (`deno test` without -q): what the CLI sent, as the upstream saw it. */
function summary(agentCase: AgentCase, run: AgentRun, requests: SeenRequest[]): string {
  const args = run.args.map((arg) => arg === promptOf(agentCase) ? "<prompt>" : arg).join(" ");
  const seen = requests.map((r) =>
    `${r.method} ${r.path}${r.search} model=${r.model}` +
    `${r.reading?.schema ? " (JSON schema)" : ""}` +
    `${r.reply && r.reply.type !== "text" ? " -> tool call" : ""}`
  );
  return `${run.cli} ${args}: ${run.ms} ms, exit ${run.code}; upstream saw ` +
    `${seen.length ? seen.join(", ") : "nothing"}; user-agent ${
      requests[0]?.headers["user-agent"] ?? "-"
    }`;
}

function assertRan(run: AgentRun | Error, expected: string): asserts run is AgentRun {
  if (run instanceof Error) throw run;
  assert(
    run.stdout.includes(expected),
    `expected "${expected}" in the output of\n${describeRun(run)}`,
  );
  assertEquals(run.code, 0, describeRun(run));
}

function assertFamily(requests: SeenRequest[], cli: AgentCli, run: AgentRun) {
  assert(requests.length > 0, `the upstream saw no request from this run:\n${describeRun(run)}`);
  for (const request of requests) {
    assertMatch(request.model, FAMILIES[FAMILY_OF[cli]]);
    assertEquals(request.status, 200, `${request.path}: ${request.status}`);
  }
}

const SAME_DIALECT: (AgentCase & { upstream: AgentDialect; alias?: string })[] = [
  { tag: "claude-default", cli: "claude", upstream: "anthropic" },
  // Claude Code turns these into full model names itself.
  ...["sonnet", "opus", "haiku"].map((alias) => ({
    tag: `claude-${alias}`,
    cli: "claude" as const,
    upstream: "anthropic" as const,
    alias,
    flags: ["--model", alias],
  })),
  { tag: "codex-default", cli: "codex", upstream: "openai-responses" },
  { tag: "gemini-default", cli: "gemini", upstream: "gemini" },
];

Deno.test("agent CLIs on their defaults reach their vendor's API through subgate", async (t) => {
  await withWorld(false, async (world) => {
    const runs = await runAll(world, SAME_DIALECT);
    for (const [i, agentCase] of SAME_DIALECT.entries()) {
      const upstream = world.upstreams[agentCase.upstream]!;
      const run = runs[i];
      const requests = requestsOf(upstream, agentCase.tag);
      if (!(run instanceof Error)) console.log(summary(agentCase, run, requests));
      await t.step(
        `${agentCase.tag}: the answer arrives from the ${upstream.dialect} upstream`,
        () => {
          assertRan(run, `Hello from the fake ${upstream.name} upstream [run-${agentCase.tag}]`);
          assertFamily(requests, agentCase.cli, run);
          if (agentCase.alias) {
            for (const request of requests) assertMatch(request.model, new RegExp(agentCase.alias));
          }
          if (agentCase.cli === "gemini") {
            // The router asks a lite model for JSON first, then the chosen model answers.
            assert(requests.some((r) => r.reading!.schema), "no router call (JSON schema) arrived");
            assert(
              requests.some((r) => !r.reading!.schema),
              "no main call arrived after the router",
            );
          }
        },
      );
    }
    await t.step("subgate refused no request", () => {
      assertEquals(refusals(world.subgate.log()), []);
    });
  });
});

const CROSS_DIALECT: AgentCase[] = (["claude", "codex", "gemini"] as const).map((cli) => ({
  tag: `${cli}-tool`,
  cli,
  tool: true,
}));

Deno.test("agent CLIs complete a shell-tool round trip on a Chat Completions upstream", async (t) => {
  await withWorld(true, async (world) => {
    const upstream = world.upstreams["openai-chat"]!;
    const runs = await runAll(world, CROSS_DIALECT);
    for (const [i, agentCase] of CROSS_DIALECT.entries()) {
      const run = runs[i];
      const requests = requestsOf(upstream, agentCase.tag);
      if (!(run instanceof Error)) console.log(summary(agentCase, run, requests));
      await t.step(`${agentCase.tag}: the tool runs and its result reaches the upstream`, () => {
        assertRan(run, `TOOL RESULT SEEN: ${TOOL_MARKER}`);
        assertFamily(requests, agentCase.cli, run);
        const call = requests.findIndex((r) => r.reply!.type !== "text");
        assert(call >= 0, "the upstream never answered with a tool call");
        const result = requests.slice(call + 1).find((r) => r.reading!.toolOutput !== undefined);
        assert(result, "no request after the tool call carried the tool's result");
        assertMatch(result.reading!.toolOutput!, new RegExp(TOOL_MARKER));
      });
    }
    await t.step("subgate refused no request", () => {
      assertEquals(refusals(world.subgate.log()), []);
    });
  });
});
