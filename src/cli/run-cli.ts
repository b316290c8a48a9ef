/**
 * @module
 * Dispatches a command line to its command; returns the exit code.
 */
import { VERSION } from "../version.ts";
import { accountsCommand } from "./accounts-command.ts";
import { importCommand } from "./import-command.ts";
import { loginCommand } from "./login-command.ts";
import { logoutCommand } from "./logout-command.ts";
import { refreshCommand } from "./refresh-command.ts";
import { parseCli } from "./parse-cli.ts";
import { serveCommand } from "./serve-command.ts";
import { USAGE } from "./usage.ts";
import { usageCommand } from "./usage-command.ts";
import { runCommand } from "./run-command.ts";
import { envCommand } from "./env-command.ts";
import { statuslineCommand } from "./statusline-command.ts";
import { storeCommand } from "./store-command.ts";

export async function runCli(args: string[]): Promise<number> {
  const parsed = parseCli(args);
  if (!parsed.ok) {
    console.error(`subgate: ${parsed.message}\n`);
    console.error(USAGE);
    return 2;
  }
  const command = parsed.value;
  switch (command.command) {
    case "help":
      console.log(USAGE);
      return 0;
    case "version":
      console.log(`subgate ${VERSION}`);
      return 0;
    case "accounts":
      return await accountsCommand(command);
    case "serve":
      return await serveCommand(command);
    case "login":
      return await loginCommand(command);
    case "logout":
      return await logoutCommand(command);
    case "refresh":
      return await refreshCommand(command);
    case "import":
      return await importCommand(command);
    case "usage":
      return await usageCommand(command);
    case "run":
      return await runCommand(command);
    case "env":
      return await envCommand(command);
    case "statusline":
      return await statuslineCommand({
        configPath: command.configPath,
        authDir: command.overrides.authDir,
        url: command.session.url,
      });
    case "store":
      return await storeCommand(command);
  }
}
