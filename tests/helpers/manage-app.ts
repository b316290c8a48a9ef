/**
 * @module
 * subgate's app in memory with its management API, for tests of that API and the console: one
 * Claude API key from the config, a temp auth dir, and each request handed the connection a
 * server would give it.
 */
import { createApp } from "../../src/server/app.ts";
import { createClientKeys } from "../../src/keys/client-keys.ts";
import { createManagement } from "../../src/server/manage/index.ts";
import type { ManageContext } from "../../src/server/manage/context.ts";
import { defaultConfig } from "../../src/config/defaults.ts";
import type { Config } from "../../src/config/config-types.ts";
import { accountsFromConfig } from "../../src/store/config-accounts.ts";
import { createPool } from "../../src/pool/pool.ts";
import { createLogger } from "../../src/log/logger.ts";

export interface ManageAppOptions {
  managementKey?: string;
  /** Config fields over the defaults. */
  config?: Partial<Config>;
  sources?: ManageContext["sources"];
  /** The config file `PUT /manage/config` writes (its text). */
  configText?: string;
}

export async function startManageApp(options: ManageAppOptions = {}) {
  const authDir = Deno.makeTempDirSync({ prefix: "subgate-manage-" });
  const config: Config = {
    ...defaultConfig(),
    // The client keys keep their file in the auth dir: a temp one, never the user's.
    authDir,
    managementKey: options.managementKey,
    ...options.config,
    apiKeyEntries: {
      "claude-api-key": [{
        apiKey: "sk-ant-api03-fake",
        models: [],
        excludedModels: [],
        headers: {},
      }],
    },
  };
  const configPath = `${authDir}/config.yaml`;
  if (options.configText !== undefined) Deno.writeTextFileSync(configPath, options.configText);
  const accounts = accountsFromConfig(config);
  const pool = createPool();
  const lines: string[] = [];
  const log = createLogger("info", (line) => lines.push(line));
  const manage = createManagement({
    config: () => config,
    accounts: () => accounts,
    pool,
    log,
    problems: () => new Map(),
    configFile: options.configText === undefined
      ? undefined
      : { path: configPath, overrides: {}, refusal: () => undefined },
    sources: options.sources ?? {},
  });
  const keys = await createClientKeys({ config: () => config, log, exposed: () => false });
  const app = createApp({
    config: () => config,
    accounts: () => accounts,
    log,
    pool,
    keys,
    hooks: manage.hooks,
    manage,
  });
  /** A request as it arrives from `from` (an address) at `base`. */
  const fetch = (
    path: string,
    init: RequestInit = {},
    options: { from?: string; base?: string } = {},
  ) =>
    app.fetch(new Request(`${options.base ?? "http://127.0.0.1:8317"}${path}`, init), {
      remoteAddr: { transport: "tcp", hostname: options.from ?? "127.0.0.1", port: 40000 },
    });
  const close = async () => {
    manage.close();
    await keys.close();
    await Deno.remove(authDir, { recursive: true });
  };
  return { fetch, close, manage, config, configPath, lines };
}
