/**
 * @module
 * `subgate env <client>`: what `subgate run` sets for a client, as POSIX shell lines to `eval`
 * (sh, bash, zsh, dash, ksh): `export NAME='value'`, `unset NAME` for a variable the client must
 * not see, and for Codex a shell function that adds the `-c` flags (a function rather than an
 * alias: it works in scripts and on the line that defines it). The URL is the running
 * subgate's, else the configured address (with a note on stderr that nothing answers there).
 * The key is the config's first key in clear; when subgate has keys but none is written in
 * clear, the lines read it from `$SUBGATE_API_KEY` when they are eval'ed.
 */
import { printable } from "../log/printable.ts";
import { clientSetup, CODEX_KEY_VAR } from "./agent-clients.ts";
import { configuredUrl, findServer } from "./find-server.ts";
import { prepareGeminiHome } from "./gemini-home.ts";
import { loadStartupConfig } from "./load-startup-config.ts";
import type { ParsedCommand } from "./parse-cli.ts";
import { userHome } from "./run-command.ts";
import { configKeyInClear, PLACEHOLDER_KEY } from "./session-key.ts";
import { shellQuote } from "./shell-quote.ts";
import { createKeyStore } from "../keys/key-store.ts";
import { createLogger } from "../log/logger.ts";

/** Stands for the key when the config holds none in clear: expanded when the lines run. */
const KEY_FROM_ENV = `"\${${CODEX_KEY_VAR}:?set ${CODEX_KEY_VAR} to one of subgate's client keys}"`;

function say(text: string) {
  console.error(printable(`subgate: ${text}`));
}

export async function envCommand(command: ParsedCommand): Promise<number> {
  const client = command.client!.name;
  const startup = await loadStartupConfig(command);
  if (!startup) return 1;
  const { config } = startup;
  const found = await findServer(config, command.session.url);
  let url: string;
  if (found.found) {
    url = found.url;
  } else {
    if (found.problem) {
      say(found.problem);
      return 1;
    }
    const configured = configuredUrl(config);
    if ("problem" in configured) {
      say(configured.problem);
      return 1;
    }
    url = configured.url;
    say(`nothing answers at ${url} yet: start it with \`subgate serve\``);
  }

  const store = createKeyStore(config.authDir, createLogger("error", () => {}));
  await store.load();
  const keyed = config.apiKeys.length + store.keys().length > 0;
  const inClear = configKeyInClear(config);
  // A marker the quoting (and JSON) leaves alone, replaced by the expansion afterwards.
  const marker = "@@SUBGATE_CLIENT_KEY@@";
  const key = !keyed ? PLACEHOLDER_KEY : inClear ?? marker;

  let geminiHome;
  if (client === "gemini") {
    try {
      geminiHome = await prepareGeminiHome(config.authDir, userHome());
    } catch (error) {
      say((error as Error).message);
      return 1;
    }
  }
  const setup = clientSetup(client, { url, key, pins: command.session, geminiHome });
  // The key's expansion goes outside the quotes around it.
  const word = (value: string) =>
    value === marker
      ? KEY_FROM_ENV
      : value.includes(marker)
      ? `'${value.replaceAll("'", `'\\''`)}'`.replaceAll(marker, `'${KEY_FROM_ENV}'`)
      : shellQuote(value);
  const lines: string[] = [];
  for (const [name, value] of Object.entries(setup.env)) {
    lines.push(value === "" ? `unset ${name}` : `export ${name}=${word(value)}`);
  }
  if (setup.args.length) {
    lines.push(`${client}() { command ${client} ${setup.args.map(word).join(" ")} "$@"; }`);
  }
  console.log(lines.join("\n"));
  return 0;
}
