/**
 * @module
 * The console's scripts and styles, and uPlot's, as the binary carries them:
 * strings in `assets.gen.ts`, which `deno task console:assets` writes from
 * `client/` and the uPlot package (so they are part of the module graph
 * `deno compile` embeds; nothing is fetched at run time). Each is served
 * under a name holding its hash, so browsers may keep it for good.
 */
import { ASSETS, type ConsoleAsset } from "./assets.gen.ts";

export type { ConsoleAsset } from "./assets.gen.ts";

function asset(name: string): ConsoleAsset {
  const found = ASSETS.find((a) => a.name === name);
  if (!found) throw new Error(`assets.gen.ts has no ${name}: run deno task console:assets`);
  return found;
}

export const CONSOLE_JS = asset("console.js");
export const CONSOLE_CSS = asset("console.css");
export const UPLOT_JS = asset("uplot.js");
export const UPLOT_CSS = asset("uplot.css");

/** Where an asset is served: its name with its hash before the extension. */
export function assetPath(file: ConsoleAsset): string {
  const dot = file.name.lastIndexOf(".");
  return `/ui/assets/${file.name.slice(0, dot)}.${file.hash}${file.name.slice(dot)}`;
}

const BY_PATH = new Map(ASSETS.map((file) => [assetPath(file), file]));

/** The asset served at `path`, if any. */
export function assetAt(path: string): ConsoleAsset | undefined {
  return BY_PATH.get(path);
}
