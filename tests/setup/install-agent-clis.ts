/**
 * @module
 * Installs the pinned agent CLIs (see agent-clis.ts) into their cache folders, each once.
 *
 * `deno install` does it, so a machine with only Deno needs no npm: each folder gets a
 * package.json naming the one package, and Deno lays out a node_modules folder with the
 * platform's optional packages (the native binaries of Claude Code and Codex) and runs Claude
 * Code's postinstall script, which puts its binary in place (`--allow-scripts` for that package
 * only). npm is the fallback, used only when Deno's install does not give a CLI that answers
 * `--version` (a Deno too old for these flags, or a platform package it does not pick) and npm
 * is on PATH.
 */
import {
  AGENT_CLIS,
  AGENT_PACKAGES,
  type AgentCli,
  installDir,
  isReady,
  launchFrom,
  markReady,
} from "./agent-clis.ts";
import { type CommandResult, findOnPath, runCommand, tail } from "./run-command.ts";

const INSTALL_TIMEOUT_MS = 10 * 60_000;
const VERSION_TIMEOUT_MS = 60_000;

type Log = (line: string) => void;

/** Bytes under `dir`: symlinks not followed, a hard-linked file counted once. */
async function sizeOf(dir: string, seen = new Set<number>()): Promise<number> {
  let total = 0;
  for await (const entry of Deno.readDir(dir)) {
    const path = `${dir}/${entry.name}`;
    if (entry.isDirectory) total += await sizeOf(path, seen);
    if (!entry.isFile) continue;
    const info = await Deno.lstat(path);
    if (info.ino !== null && seen.has(info.ino)) continue;
    if (info.ino !== null) seen.add(info.ino);
    total += info.size;
  }
  return total;
}

async function writeManifest(cli: AgentCli, dir: string): Promise<void> {
  const { name, version } = AGENT_PACKAGES[cli];
  await Deno.remove(dir, { recursive: true }).catch(() => {});
  await Deno.mkdir(dir, { recursive: true });
  const manifest = { private: true, dependencies: { [name]: version } };
  await Deno.writeTextFile(`${dir}/package.json`, JSON.stringify(manifest, null, 2) + "\n");
  // Its own deno.json keeps Deno from taking a config from a folder above the cache.
  await Deno.writeTextFile(`${dir}/deno.json`, `{ "nodeModulesDir": "auto" }\n`);
}

function denoInstall(cli: AgentCli, dir: string): Promise<CommandResult> {
  const { name, scripts } = AGENT_PACKAGES[cli];
  const args = ["install", "--quiet", "--node-modules-dir=auto"];
  if (scripts) args.push(`--allow-scripts=npm:${name}`);
  return runCommand(Deno.execPath(), args, {
    cwd: dir,
    timeoutMs: INSTALL_TIMEOUT_MS,
    env: { NO_COLOR: "1" },
  });
}

function npmInstall(dir: string): Promise<CommandResult> {
  return runCommand("npm", ["install", "--no-audit", "--no-fund", "--loglevel=error"], {
    cwd: dir,
    timeoutMs: INSTALL_TIMEOUT_MS,
  });
}

/** The CLI's `--version` line when it runs, else why not. */
async function probe(cli: AgentCli, dir: string): Promise<{ version?: string; problem?: string }> {
  const launch = launchFrom(cli, dir);
  if (!launch) return { problem: "the install left no runnable binary" };
  const result = await runCommand(launch.command, [...launch.args, "--version"], {
    timeoutMs: VERSION_TIMEOUT_MS,
    env: { NO_COLOR: "1", DISABLE_AUTOUPDATER: "1" },
  });
  const version = result.stdout.trim().split("\n").at(-1) ?? "";
  if (result.ok && version.includes(AGENT_PACKAGES[cli].version)) return { version };
  const why = result.timedOut ? "timed out" : "failed";
  return { problem: `\`${launch.command} --version\` ${why}:\n${tail(result.output)}` };
}

function failed(what: string, result: CommandResult): string {
  const why = result.timedOut ? `timed out after ${INSTALL_TIMEOUT_MS / 60_000} min` : "failed";
  return `${what} ${why}:\n${tail(result.output)}`;
}

async function install(cli: AgentCli, log: Log): Promise<boolean> {
  const { name, version } = AGENT_PACKAGES[cli];
  const dir = installDir(cli);
  const label = `${name}@${version}`;
  await writeManifest(cli, dir);
  const started = performance.now();
  log(`agent CLIs: installing ${label} with deno install into ${dir}`);
  const heartbeat = setInterval(() => {
    log(`agent CLIs: still installing ${label} (${seconds(started)})`);
  }, 30_000);
  try {
    const viaDeno = await denoInstall(cli, dir);
    let outcome = viaDeno.ok ? await probe(cli, dir) : { problem: failed("deno install", viaDeno) };
    if (outcome.problem && findOnPath("npm")) {
      log(`agent CLIs: ${label}: ${outcome.problem}\nagent CLIs: ${label}: trying npm instead`);
      await Deno.remove(`${dir}/node_modules`, { recursive: true }).catch(() => {});
      const viaNpm = await npmInstall(dir);
      outcome = viaNpm.ok ? await probe(cli, dir) : { problem: failed("npm install", viaNpm) };
    }
    if (outcome.problem) {
      log(`agent CLIs: could not install ${label}: ${outcome.problem}`);
      log(`agent CLIs: the tests that run ${cli} will fail and name this install`);
      return false;
    }
    await markReady(cli, outcome.version!);
    const megabytes = Math.round(await sizeOf(dir) / 1e6);
    log(`agent CLIs: ${label} ready in ${seconds(started)}, ${megabytes} MB (${outcome.version})`);
    return true;
  } finally {
    clearInterval(heartbeat);
  }
}

function seconds(since: number): string {
  return `${((performance.now() - since) / 1000).toFixed(1)} s`;
}

/** Installs every agent CLI not yet in the cache, side by side; reports each on its own line. */
export async function ensureAgentClis(log: Log): Promise<void> {
  await Promise.all(AGENT_CLIS.map((cli) => {
    if (!isReady(cli)) return install(cli, log);
    const { name, version } = AGENT_PACKAGES[cli];
    log(`agent CLIs: ${name}@${version} cached in ${installDir(cli)}`);
  }));
}
