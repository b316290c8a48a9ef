/**
 * @module
 * Loads the config for a command and reports problems on stderr, shared by
 * every command that needs it.
 */
import { ConfigError, formatProblem, loadConfig, locateConfig } from "../config/load-config.ts";
import type { LoadedConfig } from "../config/load-config.ts";
import type { ConfigLocation } from "../config/load-config.ts";
import { redact } from "../log/redact.ts";
import type { ParsedCommand } from "./parse-cli.ts";
import { useFileCipher } from "../store/file-cipher.ts";
import { createTokenCipher, STORE_KEY_ENV } from "../store/token-crypto.ts";

function readStoreKey(): string | undefined {
  try {
    return Deno.env.get(STORE_KEY_ENV) || undefined;
  } catch {
    return undefined;
  }
}

export interface StartupConfig extends LoadedConfig {
  location: ConfigLocation;
}

/** The loaded config, or undefined after printing why it could not be loaded. */
export async function loadStartupConfig(
  command: ParsedCommand,
): Promise<StartupConfig | undefined> {
  const location = locateConfig(command.configPath, command.overrides.authDir);
  try {
    const loaded = await loadConfig(location, command.overrides);
    for (const warning of loaded.warnings) {
      console.error(redact(`subgate: config ${location.path}: ${formatProblem(warning).trim()}`));
    }
    if (loaded.config.tokenEncryption) {
      const key = readStoreKey();
      if (!key) {
        console.error(`subgate: token-encryption is on but ${STORE_KEY_ENV} is not set`);
        return undefined;
      }
      try {
        useFileCipher(await createTokenCipher(key));
      } catch (error) {
        console.error(`subgate: ${(error as Error).message}`);
        return undefined;
      }
    }
    return { ...loaded, location };
  } catch (error) {
    if (error instanceof ConfigError) {
      console.error(redact(`subgate: ${error.message}`));
      return undefined;
    }
    throw error;
  }
}
