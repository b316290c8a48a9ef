/**
 * @module
 * Debian's PostgreSQL server for the teams tests (`tests/teams.test.ts`), installed when this
 * user can (root, or passwordless sudo, with apt-get) and it is missing; otherwise those tests
 * are skipped and say why. Only the binaries are used: the test run starts its own cluster
 * (`tests/helpers/postgres.ts`), never the system's service.
 */
import { findPgBin } from "../helpers/postgres.ts";
import { apt, asRoot } from "./chromium.ts";
import { findOnPath } from "./run-command.ts";

const INSTALL_COMMAND = "sudo apt-get install -y --no-install-recommends postgresql";

/** Installs PostgreSQL when it is missing and this user can; says what happened either way. */
export async function ensurePostgres(log: (line: string) => void): Promise<string | undefined> {
  const found = findPgBin();
  if (found) {
    log(`postgresql: ${found}`);
    return found;
  }
  const prefix = findOnPath("apt-get") ? await asRoot() : undefined;
  if (!prefix) {
    log("postgresql: not installed and this user cannot install it here.");
    log(`postgresql: to install it: ${INSTALL_COMMAND}`);
    log("postgresql: until then the teams tests are reported as ignored");
    return undefined;
  }
  const started = performance.now();
  log("postgresql: not found; installing Debian's postgresql package");
  const installed = await apt(prefix, ["update", "-qq"], 5 * 60_000, log, "postgresql") &&
    await apt(
      prefix,
      ["install", "-y", "-qq", "--no-install-recommends", "postgresql"],
      10 * 60_000,
      log,
      "postgresql",
    );
  const bin = findPgBin();
  if (installed && bin) {
    log(`postgresql: installed in ${((performance.now() - started) / 1000).toFixed(0)} s`);
  } else log("postgresql: still missing; the teams tests are reported as ignored");
  return bin;
}
