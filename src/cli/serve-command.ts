/**
 * @module
 * `subgate serve`: load the config, watch the auth dir and the config file,
 * serve the app, and shut down gracefully on SIGINT/SIGTERM. `startServing`
 * is the server itself, which `subgate run` also starts for a session.
 */
import type { Config, ConfigOverrides } from "../config/config-types.ts";
import { formatProblem } from "../config/load-config.ts";
import { watchConfig } from "../config/watch-config.ts";
import { ensurePrivateDir } from "../fs/write-file-atomic.ts";
import { createLogger, formatLine, type Logger, type LogSink, stderrSink } from "../log/logger.ts";
import { createApp } from "../server/app.ts";
import { createManagement } from "../server/manage/index.ts";
import { createPool } from "../pool/pool.ts";
import { publishState } from "../pool/publish-state.ts";
import { exposureProblem, isLoopbackHost } from "../server/loopback.ts";
import { type ClientKeys, createClientKeys } from "../keys/client-keys.ts";
import { createQuotaBook } from "../pool/quota-book.ts";
import { startQuotaPoller } from "../pool/quota-poller.ts";
import { combineHooks } from "../proxy/request-record.ts";
import { ListenError, startServer } from "../server/serve.ts";
import type { Account } from "../store/account.ts";
import { type AuthStore, createAuthStore } from "../store/auth-store.ts";
import type { StartedTeam } from "../team/start-team.ts";
import { startRefreshScheduler } from "../auth/refresh/refresh-scheduler.ts";
import { flushUnsavedTokens, reportUnsavedTokensTo } from "../auth/refresh/durable-tokens.ts";
import { accountsFromConfig } from "../store/config-accounts.ts";
import { withProviderModels } from "../store/provider-models.ts";
import { createModelCatalog } from "../pool/model-catalog.ts";
import { VERSION } from "../version.ts";
import { createLedger, type Ledger } from "../usage/ledger.ts";
import { openSqliteStore, USAGE_DB_FILE } from "../usage/sqlite-store.ts";
import { join } from "node:path";
import { manageSources } from "./manage-sources.ts";
import { loadStartupConfig, type StartupConfig } from "./load-startup-config.ts";
import type { ParsedCommand } from "./parse-cli.ts";
import type { SharedConfigSync } from "./shared-config-sync.ts";

async function prepareAuthDir(dir: string, log: Logger): Promise<void> {
  await ensurePrivateDir(dir);
  if (Deno.build.os === "windows") return;
  const mode = (await Deno.stat(dir)).mode;
  if (mode !== null && (mode & 0o077) !== 0) {
    log.warn("auth dir is open to group or others", {
      dir,
      mode: (mode & 0o777).toString(8).padStart(4, "0"),
      fix: `chmod 700 ${dir}`,
    });
  }
}

/** Signals that end the server; Windows only delivers SIGINT and SIGBREAK. */
function shutdownSignals(): Deno.Signal[] {
  return Deno.build.os === "windows" ? ["SIGINT", "SIGBREAK"] : ["SIGINT", "SIGTERM"];
}

/** The accounts in force: the token files and the config's keys, with the upstreams' lists. */
function liveAccounts(store: AuthStore, config: () => Config, log: Logger) {
  let accounts: Account[] = [];
  // Every account, from the token files and the config, before the upstreams' own lists.
  const declared = () => [
    ...withProviderModels(store.accounts(), config().providers),
    ...accountsFromConfig(config()),
  ];
  const catalog = createModelCatalog({
    providers: () => config().providers,
    log,
    onChange: () => accounts = catalog.apply(declared()),
  });
  const refresh = () => {
    accounts = catalog.apply(declared());
    catalog.refresh(declared());
  };
  refresh();
  return { list: () => accounts, refresh, catalog };
}

/** A valid config edit as it applies while serving, or undefined when it is refused. */
function editedConfig(
  current: Config,
  next: Config,
  keys: ClientKeys,
  log: Logger,
): Config | undefined {
  // Keys created through the API count: the edit may remove the config's last one.
  const problem = exposureProblem(current.host, next.apiKeys.length + keys.storedCount());
  if (problem) {
    log.error("config edit rejected; the previous config stays in force", { reason: problem });
    return undefined;
  }
  for (const key of ["host", "port", "authDir", "store", "instanceName"] as const) {
    if (next[key] !== current[key]) {
      log.warn("config change needs a restart to take effect", { key, kept: current[key] });
    }
  }
  return {
    ...next,
    host: current.host,
    port: current.port,
    authDir: current.authDir,
    store: current.store,
    instanceName: current.instanceName,
  };
}

/** Checks that must pass before anything listens; the message when one fails. */
async function startupProblem(
  config: Config,
  keys: ClientKeys,
  log: Logger,
): Promise<string | undefined> {
  const exposure = exposureProblem(config.host, keys.count());
  if (exposure) return exposure;
  try {
    await prepareAuthDir(config.authDir, log);
  } catch (error) {
    return `cannot use auth dir ${config.authDir}: ${(error as Error).message}`;
  }
  return undefined;
}

function listen(app: ReturnType<typeof createApp>, config: () => Config, log: Logger) {
  try {
    return startServer(app.fetch, {
      host: config().host,
      port: config().port,
      log,
      timeouts: () => ({
        headerSeconds: config().clientHeaderTimeout,
        idleSeconds: config().clientIdleTimeout,
      }),
    });
  } catch (error) {
    if (error instanceof ListenError) return error;
    throw error;
  }
}

/** Where subgate listens (printed at any log level: everyone needs it), then the details. */
function announce(
  url: string,
  startup: StartupConfig,
  store: AuthStore,
  accounts: number,
  log: Logger,
  sink: LogSink,
) {
  sink(
    formatLine("info", `subgate ${VERSION} listening on ${url}`, {
      accounts,
      config: startup.file ?? "built-in defaults",
      auth_dir: startup.config.authDir,
      console: `${url}/ui/`,
    }),
    "info",
  );
  for (const [file, reason] of store.problems()) {
    log.debug("account file not loaded", { file, reason });
  }
  const managementKey = startup.config.managementKey;
  if (managementKey !== undefined && managementKey.length < 16) {
    log.warn("the management key is short: use 16 characters or more (a long random string)", {
      length: managementKey.length,
    });
  }
  if (startup.warnings.length) {
    log.debug("config warnings", { count: startup.warnings.length });
    for (const warning of startup.warnings) log.debug(formatProblem(warning).trim());
  }
}

/** The usage ledger in the auth dir; opened now, so a problem with it is logged at start. */
function startLedger(config: () => Config, log: Logger, team?: StartedTeam): Ledger {
  const path = join(config().authDir, USAGE_DB_FILE);
  const ledger = createLedger({
    open: () => team?.usage ?? openSqliteStore(path),
    log,
    retentionSeconds: () => config().usage.retention,
    where: team ? team.team.where : path,
  });
  void ledger.flush();
  return ledger;
}

/** Refreshed tokens a full disk kept in memory get one last try; lost otherwise, so say so. */
async function writeUnsavedTokens(log: Logger) {
  const unwritten = await flushUnsavedTokens();
  if (unwritten.length) {
    log.error("refreshed tokens could not be written before exit; log in again to these", {
      files: unwritten.join(", "),
    });
  }
}

/**
 * Teams: the shared database holds logins, keys, rests, quota, usage and the shared config; the
 * code for it (and the PostgreSQL client) is loaded only when a store is set. Why it could not
 * start instead.
 */
async function startTeamMode(
  startup: StartupConfig,
  configPath: string,
  overrides: ConfigOverrides,
  log: Logger,
): Promise<{ team?: StartedTeam; shared?: SharedConfigSync } | string> {
  let team: StartedTeam;
  try {
    const { startTeam } = await import("../team/start-team.ts");
    team = await startTeam(startup.config, log, VERSION);
  } catch (error) {
    return `cannot use the shared store: ${(error as Error).message.split("\n")[0]}`;
  }
  // The team's shared config, when one was saved, replaces the file's shared settings.
  const { startSharedConfig } = await import("./shared-config-sync.ts");
  const shared = await startSharedConfig({
    team: team.config,
    file: configPath,
    own: startup.text,
    overrides,
    log,
  });
  return { team, shared };
}

/** A server started by {@link startServing}. */
export interface StartedServer {
  url: string;
  /** Stops accepting connections; in-flight requests finish. */
  stop(): void;
  /** Settles once stopped and everything is written (the ledger's last batch, tokens). */
  finished: Promise<void>;
}

export interface ServingOptions {
  startup: StartupConfig;
  /** The command line's overrides, which a reloaded config keeps. */
  overrides: ConfigOverrides;
  /** Where the log goes (stderr by default; a file for a `subgate run` session). */
  sink?: LogSink;
  /**
   * A server of one `subgate run` session: it publishes no state (its address would let another
   * session reuse it, and it stops with its own session; its state would hide the `serve`'s).
   */
  private?: boolean;
}

/**
 * Serves the config until `stop()`: the auth dir and config watched, tokens refreshed, the
 * ledger written. Returns why it could not start instead (printed by the caller).
 */
/**
 * A background task's promise that fails with nobody to hear it (a bug) would end the process,
 * and with it every request in flight: it is logged as an error instead, and serving goes on.
 */
function surviveBackgroundFailures(log: Logger): () => void {
  const onRejection = (event: PromiseRejectionEvent) => {
    event.preventDefault();
    const reason = event.reason instanceof Error ? event.reason.message : String(event.reason);
    log.error("a background task failed; serving goes on", { reason: reason.split("\n")[0] });
  };
  globalThis.addEventListener("unhandledrejection", onRejection);
  return () => globalThis.removeEventListener("unhandledrejection", onRejection);
}

export async function startServing(options: ServingOptions): Promise<StartedServer | string> {
  const { startup, overrides } = options;
  const sink = options.sink ?? stderrSink;
  let config: Config = startup.config;
  const log = createLogger(config.logLevel, sink);
  reportUnsavedTokensTo(log);
  const stopSurviving = surviveBackgroundFailures(log);
  // With no file yet, watch where one would be found, so creating it applies it.
  const configPath = startup.file ?? startup.location.path;
  const teamMode = config.store ? await startTeamMode(startup, configPath, overrides, log) : {};
  if (typeof teamMode === "string") return teamMode;
  const { team, shared } = teamMode;
  if (shared?.startup) config = shared.startup.config;
  const keys = await createClientKeys({
    config: () => config,
    log,
    exposed: () => !isLoopbackHost(config.host),
    store: team?.keyStore,
    limiter: team?.limiter,
  });
  const problem = await startupProblem(config, keys, log);
  if (problem) {
    await keys.close();
    await team?.close();
    return problem;
  }
  const store: AuthStore = team?.accounts ?? createAuthStore(config.authDir, log);
  if (!team) await store.load();
  const accounts = liveAccounts(store, () => config, log);
  const quota = createQuotaBook();
  const pool = createPool(quota);
  const quotaPoller = startQuotaPoller({
    accounts: accounts.list,
    providers: () => config.providers,
    book: quota,
    log,
    turns: team?.quotaTurns,
  });
  const ledger = startLedger(() => config, log, team);
  team?.share(pool);
  const manage = createManagement({
    config: () => config,
    accounts: accounts.list,
    pool,
    log,
    problems: () => store.problems(),
    configFile: {
      path: configPath,
      overrides,
      refusal: (next) => exposureProblem(config.host, next.apiKeys.length + keys.storedCount()),
      shared: shared?.access,
    },
    sources: { ...manageSources({ ledger, pool, quota: quotaPoller, keys }), store: team?.source },
    backend: team?.accounts,
  });
  const app = createApp({
    config: () => config,
    accounts: accounts.list,
    log,
    pool,
    catalog: accounts.catalog,
    keys,
    // Each upstream answer's quota headers go to the book (a lookup or two; nothing else); each
    // ended request to the ledger, the key limits and the management API (its ring and metrics).
    hooks: combineHooks(keys.hooks, { answered: quota.answered }, {
      ended: (record) => ledger.record(record),
    }, manage.hooks),
    quota: quotaPoller,
    manage,
    tokens: team?.accounts,
  });
  const server = listen(app, () => config, log);
  if (server instanceof ListenError) {
    quotaPoller.stop();
    store.close();
    accounts.catalog.stop();
    await keys.close();
    await ledger.close();
    await team?.close();
    return server.message;
  }
  // A session's own server publishes nothing: the auth dir's state belongs to its `serve`.
  const published = options.private
    ? { close: () => Promise.resolve() }
    : publishState(pool, config.authDir, server.url);

  const scheduler = startRefreshScheduler({
    authDir: () => config.authDir,
    config: () => config,
    accounts: accounts.list,
    log,
    storage: team?.accounts,
  });
  team?.team.setUrl(server.url);
  const changed = () => {
    accounts.refresh();
    scheduler.reschedule();
    quotaPoller.reschedule();
  };
  store.watch(changed);
  /** A valid config, from the file or the team's shared one, as it applies while serving. */
  const apply = (next: Config, fields: Record<string, string>) => {
    const edited = editedConfig(config, next, keys, log);
    if (!edited) return;
    config = edited;
    log.setLevel(config.logLevel);
    changed();
    log.info("config reloaded", fields);
  };
  const configWatcher = watchConfig(configPath, overrides, log, (loaded) => {
    // Teams: the file's instance keys, under the shared config's settings.
    apply((shared?.fileChanged(loaded) ?? loaded).config, { file: configPath });
  });
  shared?.listen(({ config: next }, version, savedBy) =>
    apply(next, { from: "the shared config", version, saved_by: savedBy })
  );

  let stopping = false;
  const stop = () => {
    if (stopping) return;
    stopping = true;
    log.info("shutting down: finishing in-flight requests");
    store.close();
    scheduler.close();
    quotaPoller.stop();
    accounts.catalog.stop();
    configWatcher?.close();
    manage.close();
    server.shutdown();
  };
  announce(server.url, startup, store, accounts.list().length, log, sink);

  const finished = (async () => {
    await server.finished;
    await keys.close();
    // Every request has ended (streams included); the records still being read (a stream's
    // usage) are handed over on the next turn. Then the last batch is written.
    await new Promise((resolve) => setTimeout(resolve, 0));
    await ledger.close();
    await writeUnsavedTokens(log);
    await team?.close();
    await published.close();
    stopSurviving();
    log.info("stopped");
  })();
  return { url: server.url, stop, finished };
}

export async function serveCommand(command: ParsedCommand): Promise<number> {
  const startup = await loadStartupConfig(command);
  if (!startup) return 1;
  const server = await startServing({ startup, overrides: command.overrides });
  if (typeof server === "string") {
    console.error(`subgate: ${server}`);
    return 1;
  }
  for (const signal of shutdownSignals()) Deno.addSignalListener(signal, server.stop);
  await server.finished;
  for (const signal of shutdownSignals()) Deno.removeSignalListener(signal, server.stop);
  return 0;
}
