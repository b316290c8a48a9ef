/**
 * @module
 * Linked accounts: the account file in the auth dir names a vendor CLI's own
 * login file (`linked: {tool, path}`), which stays the single source of the
 * tokens. Refreshed tokens are written back into it, in its own layout.
 *
 * `linked.path` is honoured only where `subgate import --link` could have put
 * it: one of that tool's own login file locations under the user's home
 * (its provider's `vendorFile`), for an account of that tool's provider. Anything else
 * is refused unread. Otherwise any file dropped into the auth dir could make
 * subgate read (and, at a refresh, overwrite) any file the user can reach.
 * The rule needs no secret or signature: the only files a forged link can
 * reach are the user's own vendor logins, which `import --link` reads anyway.
 */
import { isAbsolute, relative, resolve } from "node:path";
import { homeDir } from "../../config/paths.ts";
import { isInside, readRegularFile } from "../../fs/read-regular-file.ts";
import { writeFileAtomic } from "../../fs/write-file-atomic.ts";
import { providerForFileType } from "../../providers/registry.ts";
import type { TokenSet } from "../../oauth/login-spec.ts";
import { vendorFile, type VendorLogin, type VendorTokens } from "./vendor-files.ts";
import type { Json } from "../../ir/json.ts";

export interface Link {
  tool: string;
  path: string;
  vendor: VendorLogin;
}

export type LinkCheck = { ok: true; link: Link } | { ok: false; reason: string };

export type LinkedTokens =
  | {
    ok: true;
    tokens: VendorTokens;
    /** Where the vendor file really is, after symlinks. */
    realPath: string;
    /** The vendor file resolves to a place outside the home dir (a symlink). */
    outsideHome: boolean;
  }
  | { ok: false; reason: string };

/** `path` with the home dir shown as `~`, for messages. */
export function tildePath(path: string): string {
  try {
    const home = homeDir();
    return isInside(path, home) ? `~/${relative(home, path)}` : path;
  } catch {
    return path;
  }
}

/** The vendor's login file locations for `vendor`, absolute. */
function knownPaths(vendor: VendorLogin, home: string): string[] {
  return vendor.paths.map((relative) => resolve(home, relative));
}

/** Whether a record's `linked` field is one `import --link` could have written; see the module. */
export function checkLink(record: Json): LinkCheck {
  const linked = record.linked as Json | undefined;
  if (typeof linked?.tool !== "string" || typeof linked?.path !== "string") {
    return { ok: false, reason: `"linked" must name a tool and a path` };
  }
  const vendor = vendorFile(linked.tool);
  if (!vendor) return { ok: false, reason: `"linked" names an unknown tool` };
  const provider = providerForFileType(String(record.type ?? ""));
  if (provider?.id !== vendor.provider) {
    return { ok: false, reason: `"linked" names ${vendor.title}, a login for another provider` };
  }
  let home: string;
  try {
    home = homeDir();
  } catch (error) {
    return { ok: false, reason: (error as Error).message };
  }
  const known = knownPaths(vendor, home);
  if (!isAbsolute(linked.path) || !known.includes(resolve(linked.path))) {
    return {
      ok: false,
      reason: `the linked path ${linked.path} is not where ${vendor.title} keeps its login ` +
        `(${vendor.paths.map((p) => `~/${p}`).join(", ")}): not read`,
    };
  }
  return { ok: true, link: { tool: vendor.tool, path: resolve(linked.path), vendor } };
}

/** The vendor file's JSON: a regular file (a symlink may lead anywhere the user keeps it). */
async function readVendorJson(
  path: string,
): Promise<{ ok: true; data: Json; realPath: string } | { ok: false; reason: string }> {
  const read = await readRegularFile(path);
  if (!read.ok) return { ok: false, reason: `the linked file ${tildePath(path)} ${read.reason}` };
  try {
    const data = JSON.parse(read.text);
    if (data && typeof data === "object" && !Array.isArray(data)) {
      return { ok: true, data, realPath: read.realPath };
    }
  } catch { /* reported below */ }
  return { ok: false, reason: `the linked file ${tildePath(path)} is not valid JSON` };
}

async function isOutsideHome(realPath: string): Promise<boolean> {
  try {
    return !isInside(realPath, await Deno.realPath(homeDir()));
  } catch {
    return true;
  }
}

/** The tokens a linked record points at, or why they cannot be read. */
export async function readLinkedTokens(record: Json): Promise<LinkedTokens> {
  const checked = checkLink(record);
  if (!checked.ok) return checked;
  const { link } = checked;
  const read = await readVendorJson(link.path);
  if (!read.ok) return read;
  const tokens = link.vendor.read(read.data);
  if (!tokens) {
    return {
      ok: false,
      reason: `the linked file ${tildePath(link.path)} holds no ${link.vendor.title} login`,
    };
  }
  return {
    ok: true,
    tokens,
    realPath: read.realPath,
    outsideHome: await isOutsideHome(read.realPath),
  };
}

/** Writes refreshed tokens into the vendor's file, keeping every other field. */
export async function writeLinkedTokens(record: Json, tokens: TokenSet, now: number) {
  const checked = checkLink(record);
  if (!checked.ok) throw new Error(checked.reason);
  const { link } = checked;
  if (!link.vendor.write) throw new Error("the linked vendor file cannot be written");
  const read = await readVendorJson(link.path);
  if (!read.ok) throw new Error(read.reason);
  const next = link.vendor.write(read.data, tokens, now);
  await writeFileAtomic(link.path, JSON.stringify(next, null, 2));
}
