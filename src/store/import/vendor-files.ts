/**
 * @module
 * The vendors' own CLI login files, gathered from the providers that have
 * one (`providers/<name>/`'s `vendorFile`), and where each is found.
 */
import { join } from "node:path";
import { homeDir } from "../../config/paths.ts";
import { PROVIDER_LIST, type ProviderId } from "../../providers/registry.ts";
import type { VendorFile } from "../../providers/vendor-file.ts";

export type { VendorTokens } from "../../providers/vendor-file.ts";

/** A vendor's login file, with the provider whose login it holds. */
export type VendorLogin = VendorFile & { provider: ProviderId };

export const VENDOR_FILES: readonly VendorLogin[] = PROVIDER_LIST.flatMap((provider) =>
  provider.vendorFile ? [{ ...provider.vendorFile, provider: provider.id }] : []
);

/** The vendor file `subgate import <tool>` names, by tool or by provider. */
export function vendorFile(tool: string): VendorLogin | undefined {
  return VENDOR_FILES.find((v) => v.tool === tool || v.provider === tool);
}

/** The first existing path of `vendor`, absolute. */
export async function findVendorPath(vendor: VendorFile): Promise<string | undefined> {
  for (const relative of vendor.paths) {
    const path = join(homeDir(), relative);
    try {
      if ((await Deno.stat(path)).isFile) return path;
    } catch { /* not there */ }
  }
  return undefined;
}
