/**
 * @module
 * Runs one set-up command with a deadline: an install that stalls (a registry that stops
 * answering, an apt lock) is killed and reported, never waited on forever.
 */

export interface CommandResult {
  ok: boolean;
  /** stderr then stdout, for the message when it failed. */
  output: string;
  stdout: string;
  timedOut: boolean;
}

export async function runCommand(
  command: string,
  args: string[],
  options: { timeoutMs: number; cwd?: string; env?: Record<string, string> },
): Promise<CommandResult> {
  const signal = AbortSignal.timeout(options.timeoutMs);
  try {
    const out = await new Deno.Command(command, {
      args,
      cwd: options.cwd,
      env: options.env,
      stdin: "null",
      stdout: "piped",
      stderr: "piped",
      signal,
    }).output();
    const decoder = new TextDecoder();
    const stdout = decoder.decode(out.stdout);
    return {
      ok: out.success,
      output: decoder.decode(out.stderr) + stdout,
      stdout,
      timedOut: signal.aborted,
    };
  } catch (error) {
    // Not on PATH, or not executable.
    return { ok: false, output: (error as Error).message, stdout: "", timedOut: false };
  }
}

/** The last lines of a command's output, enough to see why it failed. */
export function tail(output: string, lines = 8): string {
  return output.trim().split("\n").slice(-lines).map((line) => `    ${line}`).join("\n");
}

/** Where `name` is on PATH (with `.exe` on Windows), if anywhere. */
export function findOnPath(name: string): string | undefined {
  const windows = Deno.build.os === "windows";
  for (const dir of (Deno.env.get("PATH") ?? "").split(windows ? ";" : ":")) {
    if (!dir) continue;
    const path = `${dir}/${name}${windows ? ".exe" : ""}`;
    try {
      if (Deno.statSync(path).isFile) return path;
    } catch { /* not here */ }
  }
  return undefined;
}
