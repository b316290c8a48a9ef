/**
 * @module
 * Gemini CLI's settings for a subgate session, without editing the user's own. Gemini CLI
 * needs `security.auth.selectedType: "gemini-api-key"` in a settings file to use
 * `GOOGLE_GEMINI_BASE_URL` (from the environment alone it picks a "gateway" login and refuses
 * it), and the user's `~/.gemini/settings.json` usually selects another login. Its settings
 * layers offer no way in from outside: the system settings file (`GEMINI_CLI_SYSTEM_SETTINGS_PATH`,
 * the one layer above the user's) is skipped unless root owns it and every folder above it, and
 * workspace settings live in the user's project.
 *
 * So the session gets its own Gemini home (`GEMINI_CLI_HOME`), kept in the auth dir:
 * `<auth-dir>/clients/gemini/.gemini/` holds a `settings.json` that is the user's with the
 * API-key login selected (written afresh each time), and a symlink to every other entry of the
 * real `~/.gemini` (history, memory, extensions, commands), so the session sees and keeps them.
 * `~/.agents` is linked too. Trusted folders stay in the real file
 * (`GEMINI_CLI_TRUSTED_FOLDERS_PATH`).
 */
import { join } from "node:path";
import { ensurePrivateDir, writeFileAtomic } from "../fs/write-file-atomic.ts";
import { readRegularFile } from "../fs/read-regular-file.ts";

const SETTINGS = "settings.json";

/** `text` without `//` and `/* … *\/` comments outside strings (Gemini CLI's settings are JSONC). */
export function stripJsonComments(text: string): string {
  let out = "";
  for (let i = 0; i < text.length; i++) {
    const char = text[i];
    if (char === '"') {
      let end = i + 1;
      while (end < text.length && text[end] !== '"') end += text[end] === "\\" ? 2 : 1;
      out += text.slice(i, end + 1);
      i = end;
    } else if (char === "/" && text[i + 1] === "/") {
      while (i < text.length && text[i] !== "\n") i++;
      out += "\n";
    } else if (char === "/" && text[i + 1] === "*") {
      const end = text.indexOf("*/", i + 2);
      i = end < 0 ? text.length : end + 1;
      out += " ";
    } else {
      out += char;
    }
  }
  return out;
}

type Json = Record<string, unknown>;
const isObject = (value: unknown): value is Json =>
  !!value && typeof value === "object" && !Array.isArray(value);

/** The user's settings with the API-key login selected; throws with the reason when unreadable. */
export function overlaySettings(text: string | undefined): Json {
  let settings: Json = {};
  if (text !== undefined && text.trim() !== "") {
    const parsed = JSON.parse(stripJsonComments(text));
    if (!isObject(parsed)) throw new Error("it is not a JSON object");
    settings = parsed;
  }
  const security = isObject(settings.security) ? settings.security : {};
  const auth = isObject(security.auth) ? security.auth : {};
  return {
    ...settings,
    security: { ...security, auth: { ...auth, selectedType: "gemini-api-key" } },
  };
}

async function lstatOrUndefined(path: string): Promise<Deno.FileInfo | undefined> {
  try {
    return await Deno.lstat(path);
  } catch {
    return undefined;
  }
}

/** `link` → `target`, replacing a symlink that leads elsewhere; an entry of another kind stays. */
async function ensureLink(target: string, link: string, isDirectory: boolean): Promise<void> {
  const existing = await lstatOrUndefined(link);
  if (existing && !existing.isSymlink) return;
  if (existing) {
    if (await Deno.readLink(link) === target) return;
    await Deno.remove(link);
  }
  await Deno.symlink(target, link, { type: isDirectory ? "dir" : "file" });
}

/** Links in `dir` whose target is gone (an entry the user deleted). */
async function removeDanglingLinks(dir: string): Promise<void> {
  for await (const entry of Deno.readDir(dir)) {
    if (!entry.isSymlink) continue;
    const path = join(dir, entry.name);
    try {
      await Deno.stat(path);
    } catch {
      await Deno.remove(path).catch(() => {});
    }
  }
}

export interface GeminiHome {
  /** For `GEMINI_CLI_HOME`. */
  home: string;
  /** For `GEMINI_CLI_TRUSTED_FOLDERS_PATH`: the user's own file. */
  trustedFolders: string;
}

/**
 * Prepares the session's Gemini home under `authDir` for the user whose home is `userHome`.
 * Throws with a sentence when the user's settings cannot be read.
 */
export async function prepareGeminiHome(authDir: string, userHome: string): Promise<GeminiHome> {
  const home = join(authDir, "clients", "gemini");
  const overlay = join(home, ".gemini");
  const real = join(userHome, ".gemini");
  await ensurePrivateDir(overlay);

  const settingsPath = join(real, SETTINGS);
  const read = await readRegularFile(settingsPath);
  let settings: Json;
  try {
    if (!read.ok && read.problem !== "missing") throw new Error(read.reason);
    settings = overlaySettings(read.ok ? read.text : undefined);
  } catch (error) {
    throw new Error(
      `cannot read Gemini CLI's settings ${settingsPath}: ${(error as Error).message}`,
    );
  }
  await writeFileAtomic(join(overlay, SETTINGS), JSON.stringify(settings, null, 2) + "\n");

  try {
    for await (const entry of Deno.readDir(real)) {
      if (entry.name === SETTINGS) continue;
      const target = join(real, entry.name);
      const info = await Deno.stat(target).catch(() => undefined);
      await ensureLink(target, join(overlay, entry.name), info?.isDirectory ?? false);
    }
  } catch (error) {
    if (!(error instanceof Deno.errors.NotFound)) throw error;
  }
  await removeDanglingLinks(overlay);
  const agents = join(userHome, ".agents");
  if (await lstatOrUndefined(agents)) await ensureLink(agents, join(home, ".agents"), true);
  return { home, trustedFolders: join(real, "trustedFolders.json") };
}
