/**
 * @module
 * Run by `deno task test` before the suite: puts in place what the tests need beyond Deno
 * (the agent CLIs, Chromium) when it is missing, and says what it did. A piece that cannot be
 * installed is reported and the suite runs anyway: the tests that need it fail or are skipped,
 * each saying why. Nothing here waits without a deadline.
 */
import { ensureChromium } from "./chromium.ts";
import { ensureAgentClis } from "./install-agent-clis.ts";

const log = (line: string) => console.log(line);

const started = performance.now();
await ensureChromium(log);
await ensureAgentClis(log);
log(`test set-up done in ${((performance.now() - started) / 1000).toFixed(1)} s`);
