/**
 * @module
 * subgate's entry point: `deno task start [args]` and the compiled binary
 * both run exactly this. `subgate statusline`, which Claude Code runs after
 * every change to its conversation, loads only what it needs; every other
 * command goes through the full command line.
 */
if (import.meta.main) {
  if (Deno.args[0] === "statusline") {
    const { statuslineCommand, statuslineOptions } = await import(
      "./src/cli/statusline-command.ts"
    );
    const options = statuslineOptions(Deno.args.slice(1));
    if (options) Deno.exit(await statuslineCommand(options));
  }
  const { runCli } = await import("./src/cli/run-cli.ts");
  Deno.exit(await runCli(Deno.args));
}
