/**
 * @module
 * Runs a real agent CLI (installed by tests/setup/prepare.ts) against a running subgate, offline:
 * a fresh HOME (and CODEX_HOME, TMPDIR, CLAUDE_CODE_TMPDIR) with the settings that keep each CLI
 * from calling its vendor (telemetry, update checks, plugin sync), the subgate URL and client
 * key, and a deadline after which the CLI is killed (Codex would otherwise retry for ever).
 */
import { type AgentCli, agentCli, type Launch } from "../setup/agent-clis.ts";

export interface AgentRun extends Finished {
  cli: AgentCli;
  args: string[];
  ms: number;
}

export interface AgentHome {
  cli: AgentCli;
  launch: Launch;
  /** Where the CLI runs (its workspace). */
  cwd: string;
  env: Record<string, string>;
}

/** Codex's config: subgate as a Responses provider, and nothing that reaches OpenAI. */
function codexConfig(subgateUrl: string): string {
  return [
    `model_provider = "subgate"`,
    "",
    "[analytics]",
    "enabled = false",
    "",
    "[features]",
    "plugins = false",
    "unbounded_connection_retries = false",
    "",
    "[model_providers.subgate]",
    `name = "subgate"`,
    `base_url = "${subgateUrl}/v1"`,
    `env_key = "SUBGATE_API_KEY"`,
    `wire_api = "responses"`,
    "request_max_retries = 0",
    "stream_max_retries = 0",
    "",
  ].join("\n");
}

/** Gemini CLI's settings: the API-key login (else it calls the base URL a gateway and stops). */
const GEMINI_SETTINGS = {
  security: { auth: { selectedType: "gemini-api-key" } },
  privacy: { usageStatisticsEnabled: false },
  general: { enableAutoUpdate: false, enableAutoUpdateNotification: false },
  telemetry: { enabled: false },
};

async function cliEnv(
  cli: AgentCli,
  home: string,
  subgateUrl: string,
  key: string,
): Promise<Record<string, string>> {
  switch (cli) {
    case "claude":
      return {
        ANTHROPIC_BASE_URL: subgateUrl,
        ANTHROPIC_API_KEY: key,
        CLAUDE_CODE_TMPDIR: `${home}/tmp`,
        CLAUDE_CODE_DISABLE_NONESSENTIAL_TRAFFIC: "1",
        DISABLE_AUTOUPDATER: "1",
        DISABLE_TELEMETRY: "1",
        CLAUDE_CODE_DISABLE_OFFICIAL_MARKETPLACE_AUTOINSTALL: "1",
      };
    case "codex": {
      const codexHome = `${home}/.codex`;
      await Deno.mkdir(codexHome, { recursive: true });
      await Deno.writeTextFile(`${codexHome}/config.toml`, codexConfig(subgateUrl));
      return { CODEX_HOME: codexHome, SUBGATE_API_KEY: key };
    }
    case "opencode":
      return {
        OPENCODE_CONFIG_CONTENT: JSON.stringify({
          provider: { anthropic: { options: { baseURL: `${subgateUrl}/v1`, apiKey: key } } },
        }),
        OPENCODE_DISABLE_MODELS_FETCH: "1",
        OPENCODE_DISABLE_AUTOUPDATE: "1",
      };
    case "gemini": {
      await Deno.mkdir(`${home}/.gemini`, { recursive: true });
      await Deno.writeTextFile(`${home}/.gemini/settings.json`, JSON.stringify(GEMINI_SETTINGS));
      return {
        GEMINI_API_KEY: key,
        GOOGLE_GEMINI_BASE_URL: subgateUrl,
        GEMINI_CLI_TRUST_WORKSPACE: "true",
        // One process: no relaunch of itself with a bigger heap, so the deadline kills it all.
        GEMINI_CLI_NO_RELAUNCH: "true",
      };
    }
  }
}

/**
 * A fresh home for `cli` inside `home` (each run gets its own), pointed at subgate. Throws with
 * the set-up's explanation when the CLI is not installed.
 */
export async function agentHome(
  cli: AgentCli,
  home: string,
  subgate: { url: string; key: string },
): Promise<AgentHome> {
  const launch = agentCli(cli);
  if ("missing" in launch) throw new Error(launch.missing);
  await Deno.mkdir(`${home}/tmp`, { recursive: true });
  await Deno.mkdir(`${home}/work`, { recursive: true });
  const env: Record<string, string> = {
    HOME: home,
    TMPDIR: `${home}/tmp`,
    NO_COLOR: "1",
    ...await cliEnv(cli, home, subgate.url, subgate.key),
  };
  for (const name of ["PATH", "SHELL", "LANG"]) {
    const value = Deno.env.get(name);
    if (value !== undefined) env[name] = value;
  }
  return { cli, launch, cwd: `${home}/work`, env };
}

/** What a program printed and how it ended. */
export interface Finished {
  code: number;
  stdout: string;
  stderr: string;
  /** Killed at its deadline. */
  timedOut: boolean;
}

/** Runs a program to its end with only `env`, or kills it at `timeoutMs`. */
export async function runWithDeadline(
  program: string,
  args: string[],
  where: { env: Record<string, string>; cwd: string },
  timeoutMs: number,
): Promise<Finished> {
  const child = new Deno.Command(program, {
    args,
    cwd: where.cwd,
    env: where.env,
    clearEnv: true,
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    child.kill("SIGKILL");
  }, timeoutMs);
  try {
    const out = await child.output();
    const decoder = new TextDecoder();
    return {
      code: out.code,
      stdout: decoder.decode(out.stdout),
      stderr: decoder.decode(out.stderr),
      timedOut,
    };
  } finally {
    clearTimeout(timer);
  }
}

/** Runs the CLI to its end, or kills it at `timeoutMs`. */
export async function runAgent(
  setup: AgentHome,
  args: string[],
  timeoutMs: number,
): Promise<AgentRun> {
  const started = performance.now();
  const run = await runWithDeadline(
    setup.launch.command,
    [...setup.launch.args, ...args],
    setup,
    timeoutMs,
  );
  return { cli: setup.cli, args, ...run, ms: Math.round(performance.now() - started) };
}

/** The run as text for a failed assertion. */
export function describeRun(run: AgentRun): string {
  const status = run.timedOut ? "killed at its deadline" : `exit ${run.code}`;
  return `${run.cli} ${run.args.join(" ")} (${status}, ${run.ms} ms)\n` +
    `--- stdout ---\n${run.stdout.trim()}\n--- stderr ---\n${run.stderr.trim().slice(-3000)}`;
}
