/**
 * @module
 * `subgate login <provider>`: shows the provider's terms note, runs its login
 * flow, and writes the account file the running server picks up; in teams
 * mode, the account's row in the shared database (sealed, announced: every
 * instance serves with it at once), as `POST /manage/logins` does.
 */
import { join } from "node:path";
import { resolveEndpoints } from "../oauth/login-spec.ts";
import { type LoginFlow, type LoginOptions, runLogin } from "../auth/login.ts";
import { LoginError } from "../oauth/login-error.ts";
import { printable, printableRedacted } from "../log/printable.ts";
import { redact } from "../log/redact.ts";
import { isProviderId, PROVIDER_IDS, PROVIDERS } from "../providers/registry.ts";
import { loadStartupConfig } from "./load-startup-config.ts";
import type { ParsedCommand } from "./parse-cli.ts";
import type { CommandStore } from "../team/command-store.ts";
import { withTeamStore } from "./team-store.ts";

function say(line: string): void {
  console.log(redact(line));
}

export async function loginCommand(command: ParsedCommand): Promise<number> {
  const name = command.target!.toLowerCase();
  if (!isProviderId(name)) {
    console.error(`subgate: unknown provider '${name}'; choose one of ${PROVIDER_IDS.join(", ")}`);
    return 2;
  }
  const provider = PROVIDERS[name];
  const startup = await loadStartupConfig(command);
  if (!startup) return 1;
  const { config } = startup;
  const spec = provider.login;
  const endpoints = resolveEndpoints(
    spec,
    { baseUrl: provider.baseUrl, apiUrl: provider.apiUrl },
    config.providers[provider.id],
  );

  let flow: LoginFlow;
  if (command.login.device || spec.defaultFlow === "device") flow = "device";
  else if (command.login.noBrowser && spec.manualRedirectUrl) flow = "manual";
  else flow = "browser";
  if (command.login.device && !spec.device) {
    console.error(
      `subgate: ${provider.title} has no device login; run 'subgate login ${name}' ` +
        `(with --no-browser on a machine without a browser)`,
    );
    return 2;
  }

  const options: LoginOptions = {
    provider: provider.id,
    title: provider.title,
    spec,
    endpoints,
    authDir: config.authDir,
    flow,
    noBrowser: command.login.noBrowser,
    callbackPort: command.login.callbackPort,
    timeoutMs: command.login.timeoutSeconds * 1000,
    say,
  };
  if (!config.store) return await login(options);
  // Teams: the store is opened first, so a missing key or an unreachable database is said
  // before the person goes through the provider's pages, not after.
  return await withTeamStore(
    config,
    { command: "login" },
    (store) => login({ ...options, backend: store.accounts }, store),
  );
}

/** Runs the flow and says where the account went; the exit code. */
async function login(options: LoginOptions, team?: CommandStore): Promise<number> {
  const { title } = options;
  say(`Logging in to ${title}.`);
  say(`\nTerms: ${options.spec.termsNote}\n`);
  try {
    const result = await runLogin(options);
    say(`\nLogged in to ${title} as ${printable(result.account)}.`);
    const expires = result.expired ? ` (token expires ${result.expired})` : "";
    if (team) {
      say(
        printable(`Saved ${result.file} to ${team.accounts.where}, its tokens sealed${expires}.`),
      );
      say("Every instance of the team uses it at once; 'subgate accounts' lists it.");
    } else {
      say(`Saved ${printable(join(options.authDir, result.file))}${expires}.`);
      say("A running subgate picks it up by itself; 'subgate accounts' lists it.");
    }
    return 0;
  } catch (error) {
    const step = error instanceof LoginError ? ` (${error.step})` : "";
    console.error(
      printableRedacted(`subgate: login to ${title} failed${step}: ${(error as Error).message}`),
    );
    return 1;
  }
}
