/**
 * @module
 * What the management API works with: the server's config, accounts, pool
 * and log, the pipeline real requests take (an account test is one), the
 * config file and the sources that keep their own records. `serve-command.ts`
 * builds it.
 */
import type { Config, ConfigOverrides } from "../../config/config-types.ts";
import type { LoadedConfig } from "../../config/load-config.ts";
import type { Logger } from "../../log/logger.ts";
import type { Pool } from "../../pool/pool.ts";
import type { PipelineContext } from "../../proxy/attempt.ts";
import type { Account } from "../../store/account.ts";
import type { AccountBackend } from "../../auth/refresh/token-storage.ts";
import type { ManageSources } from "./sources.ts";

export interface ConfigFile {
  /** The file the server watches: `PUT /manage/config` writes it, the reload applies it. */
  path: string;
  /** The command line's values, which win over the file. */
  overrides: ConfigOverrides;
  /** Why the server would refuse this config while running (exposure), or undefined. */
  refusal(next: Config): string | undefined;
  /** Teams mode: `PUT` saves the config the instances share instead of writing the file. */
  shared?: SharedConfigAccess;
}

/** The team's shared config as the management API shows it. */
export interface SharedConfigView {
  /** The YAML text, secrets included (the routes redact it). */
  text: string;
  /** What `If-Match` names: changes with every save. */
  version: string;
  /** The instance it was saved through. */
  savedBy: string;
  /** Who saved it: the management API's caller. */
  savedVia: string;
  savedAt: string;
}

/** The config the instances of a team share through the database. */
export interface SharedConfigAccess {
  /** The shared config as this instance last heard it (within a second of a save), if any. */
  current(): SharedConfigView | undefined;
  /** The config this instance would run on with `text` shared; throws `ConfigError`. */
  preview(text: string): LoadedConfig;
  /**
   * Saves `text` (its instance keys already left out) when the shared config is still at
   * `version` (undefined: none saved yet); undefined when another save came first.
   */
  save(
    text: string,
    version: string | undefined,
    who: string,
  ): Promise<SharedConfigView | undefined>;
}

export interface ManageContext {
  config(): Config;
  accounts(): readonly Account[];
  pool: Pool;
  log: Logger;
  /** Account files that fail to load, with the reason. */
  problems(): ReadonlyMap<string, string>;
  configFile?: ConfigFile;
  sources: ManageSources;
  /** Where accounts are changed: the auth dir by default, the shared database for teams. */
  backend?: AccountBackend;
}

/** The context the routes get: the above, and the pipeline once the app has made it. */
export interface RouteContext extends ManageContext {
  pipeline: PipelineContext;
}
