/**
 * @module
 * The real agent CLIs the tests drive (Claude Code, Codex CLI, Gemini CLI, OpenCode): their pinned
 * versions (the one place to bump them), where `prepare.ts` installs them, and how a test
 * launches each one. Each package gets its own folder in a cache that outlives the checkout,
 * named after its version, so a version bump installs afresh and an unchanged one is reused.
 */
import { existsSync, readdirSync } from "node:fs";
import { findOnPath } from "./run-command.ts";

export type AgentCli = "claude" | "codex" | "gemini" | "opencode";

export interface AgentPackage {
  /** The npm package. */
  name: string;
  version: string;
  /** Its install scripts must run (Claude Code's postinstall puts its native binary in place). */
  scripts: boolean;
}

/** The newest versions that install and run here. */
export const AGENT_PACKAGES: Record<AgentCli, AgentPackage> = {
  claude: { name: "@anthropic-ai/claude-code", version: "2.1.332", scripts: true },
  codex: { name: "@openai/codex", version: "0.171.0", scripts: false },
  gemini: { name: "@google/gemini-cli", version: "0.61.0", scripts: false },
  // Its postinstall script, like Claude Code's, puts the native binary in place.
  opencode: { name: "opencode-ai", version: "1.18.33", scripts: true },
};

export const AGENT_CLIS = Object.keys(AGENT_PACKAGES) as AgentCli[];

/** Written into a package's folder once it installed and answered `--version`. */
const READY_MARK = ".subgate-ready";

function cacheRoot(): string {
  const explicit = Deno.env.get("SUBGATE_TEST_CACHE");
  if (explicit) return explicit;
  const xdg = Deno.env.get("XDG_CACHE_HOME");
  const home = Deno.env.get("HOME") ?? Deno.env.get("USERPROFILE") ?? ".";
  return `${xdg || `${home}/.cache`}/subgate-tests`;
}

/** `<cache>/agent-clis/<name>@<version>` (`@openai+codex@0.171.0`). */
export function installDir(cli: AgentCli): string {
  const { name, version } = AGENT_PACKAGES[cli];
  return `${cacheRoot()}/agent-clis/${name.replace("/", "+")}@${version}`;
}

export function isReady(cli: AgentCli): boolean {
  return existsSync(`${installDir(cli)}/${READY_MARK}`);
}

export async function markReady(cli: AgentCli, version: string): Promise<void> {
  await Deno.writeTextFile(`${installDir(cli)}/${READY_MARK}`, version + "\n");
}

export interface Launch {
  command: string;
  /** Arguments before the CLI's own. */
  args: string[];
}

/**
 * Codex's npm entry (`bin/codex.js`) only finds and starts a native binary from a platform
 * package; the tests start that binary directly, so no JavaScript runtime sits between the
 * test and the process it times out and kills. Deno and npm lay the platform package out in
 * different folders (Deno under `node_modules/.deno/`), so both are searched.
 */
function codexBinary(dir: string): string | undefined {
  const exe = Deno.build.os === "windows" ? "codex.exe" : "codex";
  const roots = [`${dir}/node_modules/@openai`];
  const denoStore = `${dir}/node_modules/.deno`;
  if (existsSync(denoStore)) {
    for (const entry of readdirSync(denoStore)) {
      if (entry.startsWith("@openai+codex@")) {
        roots.push(`${denoStore}/${entry}/node_modules/@openai`);
      }
    }
  }
  for (const root of roots.filter(existsSync)) {
    for (const pkg of readdirSync(root)) {
      const vendor = `${root}/${pkg}/vendor`;
      if (!existsSync(vendor)) continue;
      for (const triple of readdirSync(vendor)) {
        const binary = `${vendor}/${triple}/bin/${exe}`;
        if (existsSync(binary)) return binary;
      }
    }
  }
  return undefined;
}

/**
 * Node when it is on PATH (what Gemini CLI is written for), else Deno's Node compatibility: Gemini
 * CLI 0.61.0 runs whole under Deno 2.9.6, tool calls included, so a machine with only Deno runs
 * its tests too.
 */
export function javascriptRuntime(): Launch {
  const node = findOnPath("node");
  if (node) return { command: node, args: [] };
  return { command: Deno.execPath(), args: ["run", "--allow-all", "--quiet"] };
}

/** How to start `cli` from its install folder, or undefined when a piece is missing. */
export function launchFrom(cli: AgentCli, dir = installDir(cli)): Launch | undefined {
  const modules = `${dir}/node_modules`;
  switch (cli) {
    case "claude": {
      // The postinstall script replaces this placeholder with the native binary.
      const binary = `${modules}/@anthropic-ai/claude-code/bin/claude.exe`;
      return existsSync(binary) ? { command: binary, args: [] } : undefined;
    }
    case "codex": {
      const binary = codexBinary(dir);
      return binary ? { command: binary, args: [] } : undefined;
    }
    case "opencode": {
      const binary = `${modules}/opencode-ai/bin/opencode.exe`;
      return existsSync(binary) ? { command: binary, args: [] } : undefined;
    }
    case "gemini": {
      const script = `${modules}/@google/gemini-cli/bundle/gemini.js`;
      if (!existsSync(script)) return undefined;
      const runtime = javascriptRuntime();
      return { command: runtime.command, args: [...runtime.args, script] };
    }
  }
}

/** The launch of an installed CLI, or why it cannot run (shown by the test that needs it). */
export function agentCli(cli: AgentCli): Launch | { missing: string } {
  const { name, version } = AGENT_PACKAGES[cli];
  const launch = isReady(cli) ? launchFrom(cli) : undefined;
  if (launch) return launch;
  return {
    missing: `${name}@${version} is not installed in ${installDir(cli)}; ` +
      "`deno task test` installs it first (tests/setup/prepare.ts), and says why when it cannot",
  };
}
