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
 */
import { Hono } from "hono";
import { lstat } from "node:fs/promises";
import type { Config } from "../../config/config-types.ts";
import { ConfigError, parseConfigText } from "../../config/load-config.ts";
import type { ConfigProblem } from "../../config/validate.ts";
import { apiError } from "../../errors/api-error.ts";
import { ensurePrivateDir, writeFileAtomic } from "../../fs/write-file-atomic.ts";
import { readBody } from "../read-body.ts";
import type { ServerEnv } from "../server-env.ts";
import { logChange } from "./audit.ts";
import type { RouteContext } from "./context.ts";
import {
  hasPlaceholders,
  redactConfigText,
  redactedValue,
  restoreSecrets,
} from "./redact-config.ts";
import { dirname } from "node:path";

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

export function configRoutes(context: RouteContext) {
  /** An opaque version of the file's text: random, changed whenever the text is. */
  let known: { text: string | undefined; version: string } = { text: undefined, version: "" };
  const versionOf = (text: string | undefined) => {
    if (known.version === "" || known.text !== text) {
      known = { text, version: crypto.randomUUID().slice(0, 13) };
    }
    return known.version;
  };

  const file = () => {
    if (!context.configFile) {
      throw apiError("api_error", "This server has no config file to show or edit.", {
        status: 501,
      });
    }
    return context.configFile;
  };

  return new Hono<ServerEnv>()
    .get("/manage/config", async (c) => {
      const { path } = file();
      const text = await readText(path);
      const redacted = text === undefined ? undefined : redactConfigText(text);
      return c.json({
        file: path,
        exists: text !== undefined,
        version: versionOf(text),
        /** The file's text, secrets as placeholders; absent when the file is not valid YAML. */
        text: redacted?.text ?? (text === undefined ? "" : undefined),
        note: text !== undefined && !redacted
          ? "The file is not valid YAML, so its text is withheld (it may hold secrets)."
          : undefined,
        config: redactedValue(context.config()),
      });
    })
    .put("/manage/config", async (c) => {
      const { path, overrides, refusal } = file();
      const sent = await readBody(c.req.raw, { maxBytes: CONFIG_TEXT_LIMIT, idleSeconds: 30 });
      const current = await readText(path);
      const ifMatch = c.req.header("if-match")?.replace(/^W\/|"/g, "");
      if (ifMatch !== undefined && ifMatch !== versionOf(current)) {
        throw apiError(
          "invalid_request",
          "The config file changed since it was read (If-Match does not match its version): " +
            "read it again (GET /manage/config) and redo the edit.",
          { status: 412 },
        );
      }
      let text = sent;
      if (hasPlaceholders(sent)) {
        if (ifMatch === undefined) {
          throw apiError(
            "invalid_request",
            "The text keeps <redacted:N> placeholders: send the version it was read at as " +
              "'If-Match', so they are filled from the same file.",
            { status: 428 },
          );
        }
        const restored = restoreSecrets(sent, redactConfigText(current ?? "")?.secrets ?? []);
        if ("problems" in restored) return invalid(restored.problems, "Config not saved");
        text = restored.text;
      }
      const dryRun = isDryRun(c.req.query("dry-run"));
      const failed = dryRun ? "Config not valid" : "Config not saved";
      let next: Config;
      let warnings: ConfigProblem[];
      try {
        ({ config: next, warnings } = parseConfigText(text, path, overrides));
      } catch (error) {
        if (error instanceof ConfigError) return invalid(error.problems, failed);
        throw error;
      }
      const refused = refusal(next);
      if (refused) {
        return invalid([{ path: "api-keys", line: 0, message: refused }], failed);
      }
      if (dryRun) {
        return c.json({
          valid: true,
          changed: text !== current,
          warnings,
          restartNeeded: RESTART_KEYS.filter((key) => next[key] !== context.config()[key]),
        });
      }
      if (text === current) {
        return c.json({
          saved: false,
          applied: true,
          warnings,
          note: "The file already holds this text.",
        });
      }
      if ((await lstat(path).catch(() => undefined))?.isSymbolicLink()) {
        throw apiError(
          "invalid_request",
          `${path} is a symbolic link: edit the file it points to instead.`,
          { status: 409 },
        );
      }
      const before = context.config();
      await ensurePrivateDir(dirname(path));
      await writeFileAtomic(path, text);
      logChange(c, context.log, "config written", { file: path });
      const deadline = Date.now() + APPLY_WAIT_MS;
      while (context.config() === before && Date.now() < deadline) await sleep(50);
      const applied = context.config() !== before;
      return c.json({
        saved: true,
        applied,
        version: versionOf(text),
        warnings,
        restartNeeded: RESTART_KEYS.filter((key) => next[key] !== before[key]),
        note: applied ? undefined : "Written; the reload has not applied it yet (see the log).",
      });
    });
}
