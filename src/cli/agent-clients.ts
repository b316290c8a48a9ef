/**
 * @module
 * What each agent CLI needs to use subgate, as `subgate run` sets it and `subgate env` prints
 * it: the environment, and for Codex the `-c` flags that come before the user's own arguments.
 * Nothing here touches a file of the client's; Gemini CLI's settings overlay is
 * `gemini-home.ts`.
 *
 * - Claude Code: `ANTHROPIC_BASE_URL`, and the key as `ANTHROPIC_AUTH_TOKEN` (sent as
 *   `Authorization: Bearer`). Not `ANTHROPIC_API_KEY`: with that one an interactive Claude Code
 *   first asks whether to use "a custom API key" (default: no, and then its own login), while an
 *   auth token is used as it is, over a claude.ai login too. `ANTHROPIC_API_KEY` is set empty,
 *   which Claude Code reads as unset, so a key of the user's own neither prompts nor travels.
 * - Codex CLI: a `subgate` model provider on the Responses API, given as `-c` overrides before
 *   the user's arguments (they apply to every subcommand), its key in `SUBGATE_API_KEY`.
 * - Gemini CLI: `GOOGLE_GEMINI_BASE_URL` and `GEMINI_API_KEY`, plus the API-key login selected
 *   in its settings (without it the base URL makes it pick a "gateway" login it then refuses).
 * - OpenCode: its built-in Anthropic, OpenAI and Google providers pointed at subgate through
 *   `OPENCODE_CONFIG_CONTENT`, which it merges over the user's own config.
 *
 * Pins (`--model`, `--provider`, `--account`) travel as `x-subgate-*` headers, through each
 * client's own custom-header setting; a model pin also becomes the client's model.
 */
import { PIN_HEADERS, type Pins } from "../proxy/session-pins.ts";

export const CLIENT_NAMES = ["claude", "codex", "gemini", "opencode"] as const;
export type ClientName = typeof CLIENT_NAMES[number];

export const CLIENT_TITLES: Record<ClientName, { title: string; install: string }> = {
  claude: { title: "Claude Code", install: "npm install -g @anthropic-ai/claude-code" },
  codex: { title: "Codex CLI", install: "npm install -g @openai/codex" },
  gemini: { title: "Gemini CLI", install: "npm install -g @google/gemini-cli" },
  opencode: { title: "OpenCode", install: "npm install -g opencode-ai" },
};

export function isClientName(name: string): name is ClientName {
  return (CLIENT_NAMES as readonly string[]).includes(name);
}

/** Where the session's client reaches subgate, and how. */
export interface SessionSettings {
  /** subgate's base URL, checked (`http://127.0.0.1:8317`, no trailing slash). */
  url: string;
  /** The client key the client sends (a placeholder when subgate wants none). */
  key: string;
  pins: Pins;
  /** Gemini CLI: its home with the settings overlay (`GEMINI_CLI_HOME`). */
  geminiHome?: { home: string; trustedFolders: string };
}

export interface ClientSetup {
  /** Variables set for the client; "" means cleared (unset, in `subgate env`). */
  env: Record<string, string>;
  /** Arguments before the user's own. */
  args: string[];
}

/** The env var Codex reads subgate's key from (its provider's `env_key`). */
export const CODEX_KEY_VAR = "SUBGATE_API_KEY";

/** The pins as header name and value pairs. */
function pinHeaders(pins: Pins): [string, string][] {
  return (Object.keys(PIN_HEADERS) as (keyof Pins)[])
    .filter((pin) => pins[pin] !== undefined)
    .map((pin) => [PIN_HEADERS[pin], pins[pin]!]);
}

/** A TOML string (JSON's escapes are TOML's). */
const toml = (text: string) => JSON.stringify(text);

function codexProvider(settings: SessionSettings): string {
  const fields = [
    `name=${toml("subgate")}`,
    `base_url=${toml(`${settings.url}/v1`)}`,
    `env_key=${toml(CODEX_KEY_VAR)}`,
    `wire_api=${toml("responses")}`,
  ];
  const headers = pinHeaders(settings.pins);
  if (headers.length) {
    fields.push(`http_headers={${headers.map(([name, value]) => `${toml(name)}=${toml(value)}`)}}`);
  }
  return `model_providers.subgate={${fields.join(",")}}`;
}

export function clientSetup(client: ClientName, settings: SessionSettings): ClientSetup {
  const { url, key, pins } = settings;
  const headers = pinHeaders(pins);
  switch (client) {
    case "claude": {
      const env: Record<string, string> = {
        ANTHROPIC_BASE_URL: url,
        ANTHROPIC_AUTH_TOKEN: key,
        ANTHROPIC_API_KEY: "",
      };
      if (headers.length) {
        env.ANTHROPIC_CUSTOM_HEADERS = headers.map(([n, v]) => `${n}: ${v}`).join("\n");
      }
      if (pins.model) env.ANTHROPIC_MODEL = pins.model;
      return { env, args: [] };
    }
    case "codex": {
      const args = ["-c", `model_provider=${toml("subgate")}`, "-c", codexProvider(settings)];
      if (pins.model) args.push("-c", `model=${toml(pins.model)}`);
      return { env: { [CODEX_KEY_VAR]: key }, args };
    }
    case "gemini": {
      const env: Record<string, string> = { GOOGLE_GEMINI_BASE_URL: url, GEMINI_API_KEY: key };
      if (settings.geminiHome) {
        env.GEMINI_CLI_HOME = settings.geminiHome.home;
        env.GEMINI_CLI_TRUSTED_FOLDERS_PATH = settings.geminiHome.trustedFolders;
      }
      if (headers.length) {
        env.GEMINI_CLI_CUSTOM_HEADERS = headers.map(([n, v]) => `${n}: ${v}`).join(", ");
      }
      if (pins.model) env.GEMINI_MODEL = pins.model;
      return { env, args: [] };
    }
    case "opencode": {
      const options = (baseURL: string) => ({
        baseURL,
        apiKey: key,
        ...(headers.length ? { headers: Object.fromEntries(headers) } : {}),
      });
      const config = {
        provider: {
          anthropic: { options: options(`${url}/v1`) },
          openai: { options: options(`${url}/v1`) },
          google: { options: options(`${url}/v1beta`) },
        },
      };
      return { env: { OPENCODE_CONFIG_CONTENT: JSON.stringify(config) }, args: [] };
    }
  }
}
