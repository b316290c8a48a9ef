/**
 * @module
 * Linked accounts: the account file in the auth dir names a vendor CLI's own
 * login file (`linked: {tool, path}`), which stays the single source of the
 * tokens. Refreshed tokens are written back into it, in its own layout.
 */
import { writeFileAtomic } from "../../fs/write-file-atomic.ts";
import type { TokenSet } from "../login-spec.ts";
import { vendorFile, type VendorTokens } from "./vendor-files.ts";

type Json = Record<string, unknown>;

function link(record: Json): { tool: string; path: string } | undefined {
  const linked = record.linked as Json | undefined;
  return typeof linked?.tool === "string" && typeof linked?.path === "string"
    ? { tool: linked.tool, path: linked.path }
    : undefined;
}

async function readJson(path: string): Promise<Json | undefined> {
  try {
    const data = JSON.parse(await Deno.readTextFile(path));
    return data && typeof data === "object" ? data : undefined;
  } catch {
    return undefined;
  }
}

/** The tokens a linked record points at, or undefined when the vendor file is gone. */
export async function readLinkedTokens(record: Json): Promise<VendorTokens | undefined> {
  const target = link(record);
  const vendor = target && vendorFile(target.tool);
  if (!target || !vendor) return undefined;
  const data = await readJson(target.path);
  return data ? vendor.read(data) : undefined;
}

/** Writes refreshed tokens into the vendor's file, keeping every other field. */
export async function writeLinkedTokens(record: Json, tokens: TokenSet, now: number) {
  const target = link(record);
  const vendor = target && vendorFile(target.tool);
  if (!target || !vendor?.write) throw new Error("the linked vendor file cannot be written");
  const data = await readJson(target.path);
  if (!data) throw new Error(`cannot read ${target.path}`);
  await writeFileAtomic(target.path, JSON.stringify(vendor.write(data, tokens, now), null, 2));
}
