/**
 * @module
 * Reloads the config file when it changes. A valid edit applies at once; an
 * invalid one is reported and the config in force stays. The file need not
 * exist yet: creating it at the watched path applies it too.
 */
import { basename, dirname } from "node:path";
import type { Logger } from "../log/logger.ts";
import type { ConfigOverrides } from "./config-types.ts";
import { ConfigError, formatProblem, type LoadedConfig, parseConfigText } from "./load-config.ts";
import { type DirWatcher, watchDir } from "../fs/watch-dir.ts";

export function watchConfig(
  file: string,
  overrides: ConfigOverrides,
  log: Logger,
  onChange: (loaded: LoadedConfig) => void,
): DirWatcher | undefined {
  const name = basename(file);
  let lastText: string | undefined;
  Deno.readTextFile(file).then((text) => lastText ??= text, () => {});
  try {
    // Watch the directory: editors and atomic writers replace the file by rename.
    return watchDir(dirname(file), async (names) => {
      if (!names.has(name)) return;
      let text: string;
      try {
        text = await Deno.readTextFile(file);
      } catch {
        if (lastText !== undefined) {
          log.warn("config file is gone; keeping the config in force", { file });
        }
        return;
      }
      if (text === lastText) return;
      try {
        const loaded = parseConfigText(text, file, overrides);
        lastText = text;
        for (const warning of loaded.warnings) log.warn(`config: ${formatProblem(warning).trim()}`);
        onChange(loaded);
      } catch (error) {
        const reason = error instanceof ConfigError
          ? error.problems.map((p) => formatProblem(p).trim()).join("; ")
          : String(error);
        log.error("config edit rejected; the previous config stays in force", { file, reason });
      }
    }, { accept: (entry) => entry === name });
  } catch (error) {
    log.warn("cannot watch the config file; edits need a restart", {
      file,
      reason: (error as Error).message,
    });
    return undefined;
  }
}
