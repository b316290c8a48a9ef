/**
 * @module
 * Run by `deno task test` (through `run-tests.ts`) before the suite: puts in place what the
 * tests need beyond Deno (the agent CLIs, Chromium, PostgreSQL) when it is missing, and says
 * what it did. A piece that cannot be installed is reported and the suite runs anyway: the
 * tests that need it fail or are skipped, each saying why. Nothing here waits without a
 * deadline. Run alone, it only installs.
 */
import { ensureChromium } from "./chromium.ts";
import { ensureAgentClis } from "./install-agent-clis.ts";
import { ensurePostgres } from "./postgres.ts";

/** Installs what is missing; returns PostgreSQL's binaries directory when there is one. */
export async function prepare(log: (line: string) => void): Promise<string | undefined> {
  const started = performance.now();
  await ensureChromium(log);
  await ensureAgentClis(log);
  const pgBin = await ensurePostgres(log);
  log(`test set-up done in ${((performance.now() - started) / 1000).toFixed(1)} s`);
  return pgBin;
}

if (import.meta.main) await prepare((line) => console.log(line));
