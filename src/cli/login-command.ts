/**
 * @module
 * `subgate login <provider>`: shows the provider's terms note, runs its login
 * flow, and writes the account file the running server picks up.
 */
import { join } from "node:path";
import { resolveEndpoints } from "../oauth/login-spec.ts";
import { type LoginFlow, runLogin } from "../auth/login.ts";
import { LoginError } from "../oauth/login-error.ts";
import { printable, printableRedacted } from "../log/printable.ts";
import { redact } from "../log/redact.ts";
import { isProviderId, PROVIDER_IDS, PROVIDERS } from "../providers/registry.ts";
import { loadStartupConfig } from "./load-startup-config.ts";
import type { ParsedCommand } from "./parse-cli.ts";

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

  say(`Logging in to ${provider.title}.`);
  say(`\nTerms: ${spec.termsNote}\n`);
  try {
    const result = await runLogin({
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
    });
    say(`\nLogged in to ${provider.title} as ${printable(result.account)}.`);
    say(
      `Saved ${printable(join(config.authDir, result.file))}` +
        (result.expired ? ` (token expires ${result.expired}).` : "."),
    );
    say("A running subgate picks it up by itself; 'subgate accounts' lists it.");
    return 0;
  } catch (error) {
    if (error instanceof LoginError) {
      console.error(
        printableRedacted(
          `subgate: login to ${provider.title} failed (${error.step}): ${error.message}`,
        ),
      );
      return 1;
    }
    console.error(
      printableRedacted(`subgate: login to ${provider.title} failed: ${(error as Error).message}`),
    );
    return 1;
  }
}
