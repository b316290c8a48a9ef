/**
 * @module
 * The bench's outside tools, from npm into `bench/.tools/` (git-ignored): the
 * load generator (autocannon, run by Node in its own process) and the peers
 * (claude-code-router, the Portkey gateway). Each installs on its own; one
 * that does not is reported and left out, and the bench goes on.
 */
import { existsSync } from "node:fs";

/** Pinned so runs compare. claude-code-router 3.x does not install (a dependency is not on npm). */
export const TOOLS = {
  autocannon: { pkg: "autocannon", version: "9.0.0", entry: "autocannon.js" },
  ccr: { pkg: "@musistudio/claude-code-router", version: "2.0.0", entry: "dist/cli.js" },
  portkey: { pkg: "@portkey-ai/gateway", version: "1.15.2", entry: "build/start-server.js" },
} as const;

export type ToolName = keyof typeof TOOLS;

export interface Tools {
  node?: string;
  /** Entry script per installed tool. */
  paths: Partial<Record<ToolName, string>>;
  /** Why a tool is missing, per missing tool. */
  missing: Partial<Record<ToolName, string>>;
}

async function run(command: string, args: string[], cwd?: string) {
  try {
    const output = await new Deno.Command(command, { args, cwd, stdout: "piped", stderr: "piped" })
      .output();
    const text = new TextDecoder().decode(output.stderr) + new TextDecoder().decode(output.stdout);
    return { ok: output.success, text };
  } catch (error) {
    return { ok: false, text: (error as Error).message };
  }
}

export async function ensureTools(dir: string, log: (line: string) => void): Promise<Tools> {
  const tools: Tools = { paths: {}, missing: {} };
  const node = await run("node", ["--version"]);
  if (!node.ok) {
    for (const name of Object.keys(TOOLS) as ToolName[]) tools.missing[name] = "no node on PATH";
    return tools;
  }
  tools.node = "node";
  for (const [name, tool] of Object.entries(TOOLS) as [ToolName, (typeof TOOLS)[ToolName]][]) {
    // Each in its own folder, so one install never prunes another.
    const prefix = `${dir}/${name}`;
    const home = `${prefix}/node_modules/${tool.pkg}`;
    const installed = existsSync(`${home}/package.json`) &&
      JSON.parse(Deno.readTextFileSync(`${home}/package.json`)).version === tool.version;
    if (!installed) {
      await Deno.mkdir(prefix, { recursive: true });
      log(`installing ${tool.pkg}@${tool.version} from npm …`);
      const result = await run("npm", [
        "install",
        "--prefix",
        prefix,
        "--no-audit",
        "--no-fund",
        "--no-save",
        "--loglevel=error",
        `${tool.pkg}@${tool.version}`,
      ]);
      if (!result.ok || !existsSync(`${home}/${tool.entry}`)) {
        const reason = /npm error (404.*|code \S+)/.exec(result.text)?.[1] ?? "npm install failed";
        tools.missing[name] = `${tool.pkg}@${tool.version} did not install (${reason.trim()})`;
        log(`  ${tools.missing[name]}; going on without it`);
        continue;
      }
    }
    tools.paths[name] = `${home}/${tool.entry}`;
  }
  return tools;
}
