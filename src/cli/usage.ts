/**
 * @module
 * The help text: every command and option, in one place (the provider and
 * tool names from the registry).
 */
import { PROVIDER_IDS } from "../providers/registry.ts";
import { VENDOR_FILES } from "../store/import/vendor-files.ts";
import { VERSION } from "../version.ts";
import { CLIENT_NAMES } from "./agent-clients.ts";

/** `a, b or c`. */
function oneOf(names: readonly string[]): string {
  return names.length > 1 ? `${names.slice(0, -1).join(", ")} or ${names.at(-1)}` : names.join("");
}

// Provider and tool names come from the registry, so a new provider shows up here by itself.
const LOGINS = oneOf(PROVIDER_IDS);
const TOOLS = VENDOR_FILES.map((vendor) => vendor.tool).join(", ");
const CLIENTS = oneOf(CLIENT_NAMES);

export const USAGE =
  `subgate ${VERSION}: your LLM subscriptions as local OpenAI, Anthropic and Gemini APIs

Usage:
  subgate [serve] [--config FILE] [--host H] [--port N] [--auth-dir DIR]
  subgate login <provider> [--no-browser] [--device] [--callback-port N] [--timeout S]
  subgate logout <provider|account>
  subgate refresh [account]
  subgate import [tool] [--link]
  subgate accounts
  subgate usage [--since 7d] [--by account|model|key|provider]
  subgate run [--url URL] [--model M] [--provider P] [--account A] <client> [its arguments]
  subgate env [--url URL] [--model M] [--provider P] [--account A] <client>
  subgate statusline [--url URL]
  subgate store import [--from DIR] | store export [--to DIR]
  subgate --help | --version

Commands:
  serve        serve the APIs on http://127.0.0.1:8317 (the default command)
  login        log in to ${LOGINS}; the account file
               lands in the auth dir and a running server uses it at once
               (teams: login, logout, refresh, accounts and usage work on the shared
               database, \`store\` in the config or SUBGATE_STORE_URL)
  logout       remove a provider's accounts, or one account (email or file name)
  refresh      refresh tokens now (all accounts, or the one named)
  import       take over the logins of ${TOOLS};
               --link keeps the tool's own file as the one source of tokens
  accounts     list the accounts: provider, account, status, expiry, last refresh, file
  usage        requests, errors and tokens from the usage ledger, per account, model,
               client key or provider (works while the server runs)
  run          run ${CLIENTS} on subgate, everything it needs set:
               the running subgate, or one started for the session; exits with its code
  env          print what \`run\` sets for a client, as shell lines to eval (sh, bash, zsh)
  statusline   Claude Code's status line: reads its JSON on stdin, prints the account,
               model and plan window of the session's last request (\`run claude\` sets it)
  store        teams (\`store\` in the config): import copies the auth dir's accounts and
               client keys into the shared database (again: only what is missing); export
               writes the database's accounts back to account files

Options:
  --config FILE        config file (default: $SUBGATE_CONFIG, else <auth-dir>/config.yaml)
  --auth-dir DIR       directory of account files (default ~/.subgate)
  --host H             address to listen on (default 127.0.0.1)
  --port N             port to listen on (default 8317; 0 picks a free port)
  --no-browser         print the login URL instead of opening a browser
  --device             use the provider's device-code login
  --callback-port N    local port the browser returns to (default: the provider's)
  --timeout S          give up a login after S seconds (default 300)
  --since D            usage: how far back, a duration such as 30m, 24h or 7d (default 7d)
  --by G               usage: sum per account, model, key or provider (default account)
  --url URL            run, env, statusline: the subgate to use (default: the running one)
  --model M            run, env: serve every request of the session with model M
  --provider P         run, env: serve the session from provider P's accounts only
  --account A          run, env: serve the session from this account (label or file)
  --from DIR           store import: the auth dir to read (default: the configured one)
  --to DIR             store export: where to write the files (default: the auth dir)
  -h, --help           show this help
  -v, --version        print the version

CLIProxyAPI's flags work too: --claude-login, --codex-login, --codex-device-login,
--gemini-login, --kimi-login, --qwen-login, --copilot-login, --oauth-callback-port N.
`;
