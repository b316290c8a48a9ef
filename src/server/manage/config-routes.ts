/**
 * @module
 * `GET /manage/config`: the config in force (JSON, secrets redacted) and the
 * config file's text for editing (secrets as `"<redacted:N>"` placeholders,
 * see `redact-config.ts`), with a version. `PUT /manage/config`: new YAML
 * text, checked by the validator the reload uses (every problem with its key
 * path and line) and by the rules a running server applies (no exposed
 * address without api-keys); when it passes it is written atomically to the
 * config file, and the file watcher's reload applies it (the answer waits up
 * to 5 s for that). `If-Match: <version>` refuses the write (412) when the
 * file changed since it was read; text that keeps placeholders must send it.
 * `PUT /manage/config?dry-run=1` checks the same way and writes nothing (the
 * console's editor shows the problems at their lines before saving).
 *
 * Teams mode (`configFile.shared`): the text shown and saved is the config
 * the instances share, kept in the database; every instance applies a save
 * within a second. Its instance keys (`INSTANCE_KEYS`: host, port, …) are
 * left out of it when it is saved, each instance taking them from its own
 * file. Until a first save there is no shared config: the file's text is
 * shown, and saving it makes it the shared one.
 */
import { Hono } from "hono";
import type { Context } from "hono";
import { lstat } from "node:fs/promises";
import { dirname } from "node:path";
import type { Config } from "../../config/config-types.ts";
import { ConfigError, type LoadedConfig, parseConfigText } from "../../config/load-config.ts";
import { INSTANCE_KEYS, withoutInstanceKeys } from "../../config/shared-config.ts";
import type { ConfigProblem } from "../../config/validate.ts";
import { apiError } from "../../errors/api-error.ts";
import { ensurePrivateDir, writeFileAtomic } from "../../fs/write-file-atomic.ts";
import { readBody } from "../read-body.ts";
import type { ServerEnv } from "../server-env.ts";
import { logChange } from "./audit.ts";
import type { ConfigFile, RouteContext, SharedConfigAccess, SharedConfigView } from "./context.ts";
import type { Logger } from "../../log/logger.ts";
import {
  hasPlaceholders,
  redactConfigText,
  redactedValue,
  restoreSecrets,
} from "./redact-config.ts";

const CONFIG_TEXT_LIMIT = 1024 * 1024;
const APPLY_WAIT_MS = 5000;

/** Keys a running server takes only at its next start. */
const RESTART_KEYS = ["host", "port", "authDir"] as const;

async function readText(path: string): Promise<string | undefined> {
  try {
    return await Deno.readTextFile(path);
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return undefined;
    throw error;
  }
}

/** The config's problems as the API answers them: OpenAI's error shape, each problem listed. */
function invalid(problems: ConfigProblem[], message: string): Response {
  return Response.json({
    error: {
      message: `${message}: ${
        problems.map((p) =>
          `${p.line ? `line ${p.line}: ` : ""}${p.path ? `${p.path}: ` : ""}${p.message}`
        )
          .join("; ")
      }`,
      type: "invalid_request_error",
      param: null,
      code: "invalid_config",
      problems,
    },
  }, { status: 400 });
}

/** `?dry-run=1` (or `true`, or present and empty). */
function isDryRun(value: string | undefined): boolean {
  return value !== undefined && ["", "1", "true", "yes"].includes(value.toLowerCase());
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** The text a PUT edits, as it is now: the shared config's, or the file's. */
interface Current {
  text: string | undefined;
  version: string;
  /** The shared config (teams, once saved). */
  shared?: SharedConfigView;
}

/** What the submitted text became, checked: the config it gives and what it lost. */
interface Checked {
  text: string;
  next: Config;
  warnings: ConfigProblem[];
  /** Teams: the instance keys left out of the shared text. */
  leftOut: string[];
}

const STALE = "(If-Match does not match its version): read it again (GET /manage/config) and " +
  "redo the edit.";

/** Teams: what GET says of the shared config, or of its absence. */
function sharedNote(file: string, shared: SharedConfigView | undefined): string {
  const local = `${INSTANCE_KEYS.join(", ")} come from each instance's own file (here ${file})`;
  return shared
    ? `Teams mode: this is the config every instance shares (saved through ${shared.savedBy}, ` +
      `${shared.savedAt}); ${local}.`
    : `Teams mode: no shared config yet. Saving stores this text in the database for every ` +
      `instance, without its instance keys: ${local}.`;
}

/** The submitted text with its secrets back, instance keys left out (teams), and checked. */
function checkText(
  file: ConfigFile,
  sent: string,
  now: Current,
  ifMatch: string | undefined,
  failed: string,
): Checked | Response {
  const { path, overrides, refusal, shared } = file;
  let text = sent;
  if (hasPlaceholders(sent)) {
    if (ifMatch === undefined) {
      throw apiError(
        "invalid_request",
        "The text keeps <redacted:N> placeholders: send the version it was read at as " +
          "'If-Match', so they are filled from the same config.",
        { status: 428 },
      );
    }
    const restored = restoreSecrets(sent, redactConfigText(now.text ?? "")?.secrets ?? []);
    if ("problems" in restored) return invalid(restored.problems, failed);
    text = restored.text;
  }
  const stripped = shared ? withoutInstanceKeys(text) : { text, removed: [] };
  let loaded: LoadedConfig;
  try {
    loaded = shared
      ? shared.preview(stripped.text)
      : parseConfigText(stripped.text, path, overrides);
  } catch (error) {
    if (error instanceof ConfigError) return invalid(error.problems, failed);
    throw error;
  }
  const refused = refusal(loaded.config);
  if (refused) return invalid([{ path: "api-keys", line: 0, message: refused }], failed);
  return {
    text: stripped.text,
    next: loaded.config,
    warnings: loaded.warnings,
    leftOut: stripped.removed,
  };
}

/** Saves the shared config (teams); its new version. */
async function saveShared(
  c: Context<ServerEnv>,
  log: Logger,
  shared: SharedConfigAccess,
  checked: Checked,
  now: Current,
): Promise<string> {
  const who = c.get("manager")?.who ?? "unknown";
  const saved = await shared.save(checked.text, now.shared?.version, who);
  if (!saved) {
    throw apiError("invalid_request", `The shared config changed since it was read ${STALE}`, {
      status: 412,
    });
  }
  logChange(c, log, "shared config saved", { version: saved.version });
  return saved.version;
}

/** Writes the config file atomically (the watcher's reload applies it). */
async function writeFile(c: Context<ServerEnv>, log: Logger, path: string, text: string) {
  if ((await lstat(path).catch(() => undefined))?.isSymbolicLink()) {
    throw apiError(
      "invalid_request",
      `${path} is a symbolic link: edit the file it points to instead.`,
      { status: 409 },
    );
  }
  await ensurePrivateDir(dirname(path));
  await writeFileAtomic(path, text);
  logChange(c, log, "config written", { file: path });
}

/** What `GET /manage/config` answers. */
function configView(file: ConfigFile, now: Current, inForce: Config) {
  const redacted = now.text === undefined ? undefined : redactConfigText(now.text);
  return {
    file: file.path,
    exists: now.text !== undefined,
    version: now.version,
    /** The text, secrets as placeholders; absent when it is not valid YAML. */
    text: redacted?.text ?? (now.text === undefined ? "" : undefined),
    note: now.text !== undefined && !redacted
      ? "The file is not valid YAML, so its text is withheld (it may hold secrets)."
      : file.shared
      ? sharedNote(file.path, now.shared)
      : undefined,
    /** Teams mode: whether the text is the shared config, who saved it and when. */
    ...(file.shared
      ? {
        shared: now.shared
          ? {
            savedBy: now.shared.savedBy,
            savedVia: now.shared.savedVia,
            savedAt: now.shared.savedAt,
          }
          : null,
        instanceKeys: INSTANCE_KEYS,
      }
      : {}),
    config: redactedValue(inForce),
  };
}

export function configRoutes(context: RouteContext) {
  /** An opaque version of the file's text: random, changed whenever the text is. */
  let known: { text: string | undefined; version: string } = { text: undefined, version: "" };
  const versionOf = (text: string | undefined) => {
    if (known.version === "" || known.text !== text) {
      known = { text, version: crypto.randomUUID().slice(0, 13) };
    }
    return known.version;
  };

  const file = (): ConfigFile => {
    if (!context.configFile) {
      throw apiError("api_error", "This server has no config file to show or edit.", {
        status: 501,
      });
    }
    return context.configFile;
  };

  const current = async (): Promise<Current> => {
    const shared = file().shared?.current();
    if (shared) return { text: shared.text, version: shared.version, shared };
    const text = await readText(file().path);
    return { text, version: versionOf(text) };
  };

  return new Hono<ServerEnv>()
    .get(
      "/manage/config",
      async (c) => c.json(configView(file(), await current(), context.config())),
    )
    .put("/manage/config", async (c) => {
      const sent = await readBody(c.req.raw, { maxBytes: CONFIG_TEXT_LIMIT, idleSeconds: 30 });
      const now = await current();
      const ifMatch = c.req.header("if-match")?.replace(/^W\/|"/g, "");
      if (ifMatch !== undefined && ifMatch !== now.version) {
        const what = now.shared ? "The shared config" : "The config file";
        throw apiError("invalid_request", `${what} changed since it was read ${STALE}`, {
          status: 412,
        });
      }
      const dryRun = isDryRun(c.req.query("dry-run"));
      const { shared, path } = file();
      const checked = checkText(
        file(),
        sent,
        now,
        ifMatch,
        dryRun ? "Config not valid" : "Config not saved",
      );
      if (checked instanceof Response) return checked;
      const before = context.config();
      const restartNeeded = RESTART_KEYS.filter((key) => checked.next[key] !== before[key]);
      const teams = shared ? { shared: true, leftOut: checked.leftOut } : {};
      // Teams before a first save: the file's text is shown, and saving it as it is shares it.
      const changed = checked.text !== now.text || (shared !== undefined && !now.shared);
      if (dryRun) {
        return c.json({
          valid: true,
          changed,
          warnings: checked.warnings,
          restartNeeded,
          ...teams,
        });
      }
      if (!changed) {
        const note = now.shared
          ? "The shared config already holds this text."
          : "The file already holds this text.";
        return c.json({ saved: false, applied: true, warnings: checked.warnings, note, ...teams });
      }
      let version: string;
      if (shared) version = await saveShared(c, context.log, shared, checked, now);
      else {
        await writeFile(c, context.log, path, checked.text);
        version = versionOf(checked.text);
      }
      const deadline = Date.now() + APPLY_WAIT_MS;
      while (context.config() === before && Date.now() < deadline) await sleep(50);
      const applied = context.config() !== before;
      const notes = [
        checked.leftOut.length
          ? `Left out of the shared config, each instance taking them from its own file: ` +
            `${checked.leftOut.join(", ")}.`
          : "",
        applied ? "" : "Written; the reload has not applied it yet (see the log).",
      ].filter(Boolean);
      return c.json({
        saved: true,
        applied,
        version,
        warnings: checked.warnings,
        restartNeeded,
        ...teams,
        note: notes.length ? notes.join(" ") : undefined,
      });
    });
}
