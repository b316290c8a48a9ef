/**
 * @module
 * The help text: every command and option, in one place.
 */
import { VERSION } from "../version.ts";

export const USAGE =
  `subgate ${VERSION}: your LLM subscriptions as local OpenAI, Anthropic and Gemini APIs

Usage:
  subgate [serve] [--config FILE] [--host H] [--port N] [--auth-dir DIR]
  subgate accounts [--config FILE] [--auth-dir DIR]
  subgate --help | --version

Commands:
  serve        serve the APIs on http://127.0.0.1:8317 (the default command)
  accounts     list the accounts: provider, account, status, expires in, file

Options:
  --config FILE     config file (default: $SUBGATE_CONFIG, else <auth-dir>/config.yaml)
  --host H          address to listen on (default 127.0.0.1)
  --port N          port to listen on (default 8317; 0 picks a free port)
  --auth-dir DIR    directory of account files (default ~/.subgate)
  -h, --help        show this help
  -v, --version     print the version
`;
