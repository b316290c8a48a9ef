/**
 * @module
 * subgate's entry point: `deno task start [args]` and the compiled binary
 * both run exactly this.
 */
import { runCli } from "./src/cli/run-cli.ts";

if (import.meta.main) {
  Deno.exit(await runCli(Deno.args));
}
