/**
 * @module
 * What the management API works with: the server's config, accounts, pool
 * and log, the pipeline real requests take (an account test is one), the
 * config file and the sources that keep their own records. `serve-command.ts`
 * builds it.
 */
import type { Config, ConfigOverrides } from "../../config/config-types.ts";
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
