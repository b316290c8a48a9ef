/**
 * @module
 * `subgate run claude` shows subgate's status line (`subgate statusline`) in Claude Code unless
 * the user has a status line of their own. It is given as Claude Code's `--settings` flag (a
 * JSON string), which adds to the user's settings for the session and edits no file. That flag
 * outranks the user's, project and local settings files, so the user's own `statusLine` is
 * looked for first where Claude Code 2.1 reads it: `$CLAUDE_CONFIG_DIR/settings.json` (else
 * `~/.claude/settings.json`), and `.claude/settings.json` and `.claude/settings.local.json` in
 * the folder it starts in (not the git root's, when it starts in a subfolder). A `--settings`
 * among the user's own arguments also leaves it out: theirs counts.
 *
 * The command runs the same subgate: the compiled binary by its own path, or from source
 * `deno run … -P=subgate <main.ts> statusline` with that checkout's `deno.json`; it is told the
 * session's server (`--url`) and the `--config` and `--auth-dir` the user gave `run`.
 */
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { readRegularFile } from "../fs/read-regular-file.ts";
import { shellQuote } from "./shell-quote.ts";

/**
 * Claude Code runs the command when its conversation changes; every 10 s besides (its
 * `refreshInterval`), the line also catches a request recorded just after the last change, and
 * windows that reset or fill up meanwhile.
 */
const REFRESH_SECONDS = 10;

/** Where the status line's subgate finds what `run` used. */
export interface StatuslineTarget {
  /** The session's subgate. */
  url: string;
  /** `--config` as given to `run` (absolute). */
  configPath?: string;
  /** `--auth-dir` as given to `run` (absolute). */
  authDir?: string;
}

/** Claude Code's user settings folder: `$CLAUDE_CONFIG_DIR`, else `~/.claude`. */
function claudeConfigDir(home: string): string {
  try {
    const dir = Deno.env.get("CLAUDE_CONFIG_DIR");
    if (dir) return dir;
  } catch {
    // Not granted: the default.
  }
  return join(home, ".claude");
}

/** Whether a settings file names a `statusLine` (a file that does not parse: if it mentions one). */
async function namesStatusLine(path: string): Promise<boolean> {
  // A regular file (or a link to one) only: a FIFO in a project folder must not hang `run`.
  const read = await readRegularFile(path).catch(() => undefined);
  if (!read?.ok) return false;
  const text = read.text;
  try {
    const settings = JSON.parse(text);
    return !!settings && typeof settings === "object" && "statusLine" in settings;
  } catch {
    return /"statusLine"\s*:/.test(text);
  }
}

/** Whether the user's Claude Code settings (user, project or local) name a status line. */
export async function hasOwnStatusLine(home: string, cwd: string): Promise<boolean> {
  const files = [
    join(claudeConfigDir(home), "settings.json"),
    join(cwd, ".claude", "settings.json"),
    join(cwd, ".claude", "settings.local.json"),
  ];
  for (const file of files) {
    if (await namesStatusLine(file)) return true;
  }
  return false;
}

/**
 * The words that run this subgate: the compiled binary itself, or `deno run` of the main module
 * with the permission set of the `deno.json` beside it; undefined when neither can be told.
 */
export function subgateWords(): string[] | undefined {
  if (Deno.build.standalone) return [Deno.execPath()];
  if (!Deno.mainModule.startsWith("file:")) return undefined;
  const main = fileURLToPath(Deno.mainModule);
  const config = join(dirname(main), "deno.json");
  try {
    if (!Deno.statSync(config).isFile) return undefined;
  } catch {
    return undefined;
  }
  return [Deno.execPath(), "run", "-q", "--no-prompt", `--config=${config}`, "-P=subgate", main];
}

/** The status line command, as one line a shell runs. */
export function statuslineCommandLine(words: readonly string[], target: StatuslineTarget): string {
  const args = [...words, "statusline", "--url", target.url];
  if (target.configPath) args.push("--config", target.configPath);
  if (target.authDir) args.push("--auth-dir", target.authDir);
  return args.map(shellQuote).join(" ");
}

/** Whether the user's own arguments give Claude Code settings (`--settings X`, `--settings=X`). */
function givesSettings(args: readonly string[]): boolean {
  return args.some((arg) => arg === "--settings" || arg.startsWith("--settings="));
}

/**
 * The arguments that give Claude Code subgate's status line, before the user's own: none when
 * the user has a status line, passes `--settings`, or this subgate cannot name itself.
 */
export async function statuslineArgs(
  target: StatuslineTarget,
  user: { args: readonly string[]; home: string; cwd: string },
): Promise<string[]> {
  if (givesSettings(user.args)) return [];
  const words = subgateWords();
  if (!words || await hasOwnStatusLine(user.home, user.cwd)) return [];
  const settings = {
    statusLine: {
      type: "command",
      command: statuslineCommandLine(words, target),
      refreshInterval: REFRESH_SECONDS,
    },
  };
  return ["--settings", JSON.stringify(settings)];
}
