/**
 * @module
 * Debian's Chromium for the browser login tests (tests/helpers/browser.ts drives it through
 * playwright-core). Playwright's own browser download cannot be used: only the npm registry and
 * Debian's packages are reachable. It is installed when this user can (root, or passwordless
 * sudo, with apt-get); otherwise the browser tests are skipped and say why.
 */
import { findOnPath, runCommand, tail } from "./run-command.ts";

export const CHROMIUM_PATH = Deno.env.get("CHROMIUM_PATH") ?? "/usr/bin/chromium";

const SKIPPED = "the tests that drive it (browserTest in tests/) are reported as ignored";

const INSTALL_COMMAND = "sudo apt-get install -y --no-install-recommends chromium";

/** Why the browser tests cannot run here, or undefined when Chromium is in place. */
export function chromiumMissing(): string | undefined {
  try {
    if (Deno.statSync(CHROMIUM_PATH).isFile) return undefined;
  } catch { /* missing */ }
  return `no Chromium at ${CHROMIUM_PATH} (install it with: ${INSTALL_COMMAND})`;
}

/** `[]` as root, `["sudo", "-n"]` with passwordless sudo, undefined when this user cannot. */
export async function asRoot(): Promise<string[] | undefined> {
  if (Deno.uid() === 0) return [];
  if (!findOnPath("sudo")) return undefined;
  const sudo = await runCommand("sudo", ["-n", "true"], { timeoutMs: 10_000 });
  return sudo.ok ? ["sudo", "-n"] : undefined;
}

export async function apt(
  prefix: string[],
  args: string[],
  timeoutMs: number,
  log: (line: string) => void,
  what = "chromium",
) {
  // A held dpkg lock fails after a minute instead of waiting for ever.
  const command = [
    ...prefix,
    "env",
    "DEBIAN_FRONTEND=noninteractive",
    "apt-get",
    "-o",
    "DPkg::Lock::Timeout=60",
    ...args,
  ];
  log(`${what}: running ${command.join(" ")}`);
  const result = await runCommand(command[0], command.slice(1), { timeoutMs });
  if (!result.ok) {
    log(`${what}: apt-get ${args[0]} ${result.timedOut ? "timed out" : "failed"}`);
    log(tail(result.output));
  }
  return result.ok;
}

/** Installs Chromium when it is missing and this user can; says what happened either way. */
export async function ensureChromium(log: (line: string) => void): Promise<void> {
  if (!chromiumMissing()) {
    const version = await runCommand(CHROMIUM_PATH, ["--version"], { timeoutMs: 20_000 });
    log(`chromium: ${CHROMIUM_PATH} (${version.stdout.trim().split("\n")[0] || "present"})`);
    return;
  }
  const prefix = findOnPath("apt-get") ? await asRoot() : undefined;
  if (!prefix) {
    log(`chromium: ${CHROMIUM_PATH} is missing and this user cannot install it here.`);
    log(`chromium: to install it: ${INSTALL_COMMAND}`);
    log(`chromium: until then ${SKIPPED}`);
    return;
  }
  const started = performance.now();
  log(`chromium: not found at ${CHROMIUM_PATH}; installing Debian's chromium package`);
  const installed = await apt(prefix, ["update", "-qq"], 5 * 60_000, log) &&
    await apt(
      prefix,
      ["install", "-y", "-qq", "--no-install-recommends", "chromium"],
      15 * 60_000,
      log,
    );
  const missing = chromiumMissing();
  if (installed && !missing) {
    log(`chromium: installed in ${((performance.now() - started) / 1000).toFixed(0)} s`);
  } else {
    log(`chromium: still missing (${missing ?? "install failed"}); ${SKIPPED}`);
  }
}
