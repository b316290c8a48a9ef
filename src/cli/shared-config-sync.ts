/**
 * @module
 * Teams mode: the config an instance serves with is the team's shared
 * config (from the database) with the instance keys of its own file
 * (`config/shared-config.ts` says which, and why). At start an instance that
 * finds a shared config runs on it; each save (heard as a `config` change,
 * or at a resync) is read, checked as a file reload is, and applied through
 * the same path, never when it is invalid here; an edit of the file applies
 * its instance keys, while its other settings stay overridden (a warning
 * names them, once for each set). This is also what `PUT /manage/config`
 * reads and saves through (`SharedConfigAccess`).
 */
import type { ConfigOverrides } from "../config/config-types.ts";
import { ConfigError, formatProblem, type LoadedConfig } from "../config/load-config.ts";
import { type MergedConfig, mergeSharedConfig } from "../config/shared-config.ts";
import type { Logger } from "../log/logger.ts";
import type { SharedConfigAccess, SharedConfigView } from "../server/manage/context.ts";
import type { SharedConfigRecord, TeamConfig } from "../team/team-config.ts";

export interface SharedConfigSync {
  /** The config to start on: the shared one merged with the file's, when there is one. */
  startup: LoadedConfig | undefined;
  /** What the management API reads and saves through. */
  access: SharedConfigAccess;
  /** The file changed (a valid text): the config to apply with it. */
  fileChanged(loaded: LoadedConfig): LoadedConfig;
  /** Applies every later save through `apply` (the file reload's path). */
  listen(apply: (loaded: LoadedConfig, version: string, savedBy: string) => void): void;
}

export interface SharedConfigOptions {
  team: TeamConfig;
  /** The instance's own config file, and its text at start (absent: no file). */
  file: string;
  own: string | undefined;
  overrides: ConfigOverrides;
  log: Logger;
}

const versionOf = (record: SharedConfigRecord) => `g${record.generation}`;
const reasonOf = (error: unknown) =>
  error instanceof ConfigError
    ? error.problems.map((problem) => formatProblem(problem).trim()).join("; ")
    : (error as Error)?.message?.split("\n")[0] ?? String(error);

function view(record: SharedConfigRecord): SharedConfigView {
  return {
    text: record.text,
    version: versionOf(record),
    savedBy: record.savedBy,
    savedVia: record.savedVia,
    savedAt: record.savedAt.toISOString(),
  };
}

/** Names the file's settings the shared config overrides: once for each set of them. */
function overrideWarner(file: string, log: Logger) {
  let warned = "";
  return (merged: MergedConfig) => {
    const keys = merged.overridden.join(", ");
    if (keys && keys !== warned) {
      log.warn("the config file's shared settings are ignored: the team's shared config wins", {
        file,
        keys,
        fix: "edit them through PUT /manage/config (the console's Config page)",
      });
    }
    warned = keys;
  };
}

/** The shared config at start, and the config it gives when it is valid here. */
async function readAtStart(
  team: TeamConfig,
  merge: (text: string) => MergedConfig,
  log: Logger,
): Promise<{ record?: SharedConfigRecord; startup?: MergedConfig }> {
  const record = await team.read().catch((error) => {
    log.error("the shared config could not be read; running on the config file", {
      reason: reasonOf(error),
    });
    return undefined;
  });
  if (!record) return {};
  try {
    const startup = merge(record.text);
    log.info("running on the team's shared config", {
      version: versionOf(record),
      saved_by: record.savedBy,
    });
    return { record, startup };
  } catch (error) {
    log.error("the shared config is not valid here; running on the config file", {
      version: versionOf(record),
      reason: reasonOf(error),
    });
    return { record };
  }
}

export async function startSharedConfig(options: SharedConfigOptions): Promise<SharedConfigSync> {
  const { team, file, overrides, log } = options;
  let own = options.own;
  let apply: ((loaded: LoadedConfig, version: string, savedBy: string) => void) | undefined;
  const merge = (text: string): MergedConfig => mergeSharedConfig(text, own, file, overrides);
  const warnOverridden = overrideWarner(file, log);
  const start = await readAtStart(team, merge, log);
  /** The shared config as last read, and whether it is what this instance runs on. */
  let record = start.record;
  let inForce = start.startup !== undefined;
  let seen = record?.generation ?? 0;
  const startup = start.startup;
  if (startup) warnOverridden(startup);

  /** Reads the row and applies a save not applied yet; one at a time, in order. */
  const readAndApply = async () => {
    const latest = await team.read();
    if (!latest || latest.generation <= seen) return;
    seen = latest.generation;
    record = latest;
    let merged: MergedConfig;
    try {
      merged = merge(latest.text);
    } catch (error) {
      log.error("shared config rejected here; the config in force stays", {
        version: versionOf(latest),
        reason: reasonOf(error),
      });
      return;
    }
    inForce = true;
    warnOverridden(merged);
    apply?.(merged, versionOf(latest), latest.savedBy);
  };
  let queue = Promise.resolve();
  const refresh = () => {
    queue = queue.then(readAndApply).catch((error) => {
      // A database outage is the team's to log (once); anything else is said here.
      if (!team.outage(error)) {
        log.warn("the shared config could not be re-read", { reason: reasonOf(error) });
      }
    });
    return queue;
  };

  return {
    startup,
    access: {
      current: () => (record ? view(record) : undefined),
      preview: (text) => merge(text),
      async save(text, version, who) {
        const expected = version === undefined ? 0 : Number(version.slice(1));
        const saved = await team.save(text, expected, who);
        if (!saved) return undefined;
        // Applied here at once; the others hear the change.
        await refresh();
        return view(saved);
      },
    },
    fileChanged(loaded) {
      own = loaded.text;
      if (!record || !inForce) return loaded;
      try {
        const merged = merge(record.text);
        warnOverridden(merged);
        return merged;
      } catch {
        // Both texts were valid alone, so this does not happen; the file's config then.
        return loaded;
      }
    },
    listen(next) {
      apply = next;
      team.onChange(() => void refresh());
      // A save between the start and now.
      void refresh();
    },
  };
}
