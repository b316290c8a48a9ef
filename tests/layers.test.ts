/**
 * The one rule of subgate's structure (ARCHITECTURE.md): imports only point down the layers.
 * This reads every import in src/ (type-only imports included) and fails on one that points up
 * or sideways into another folder of the same layer, and on any cycle between modules.
 */
import { assertEquals } from "./helpers/assert.ts";
import { dirname, join, normalize, relative } from "node:path";
import { fileURLToPath } from "node:url";

const SRC = fileURLToPath(new URL("../src/", import.meta.url));

/** Top to bottom. A folder may import its own files and the folders of any layer below. */
export const LAYERS: string[][] = [
  ["cli"],
  ["server"],
  ["team"],
  ["keys"],
  ["proxy"],
  ["pool", "usage"],
  ["auth"],
  ["store"],
  ["config"],
  ["providers"],
  ["upstreams"],
  ["oauth"],
  ["dialects"],
  ["ir"],
  ["http", "sse", "models"],
  ["errors"],
  ["log", "fs", "net", "version.ts"],
];

function layerOf(folder: string): number {
  const index = LAYERS.findIndex((layer) => layer.includes(folder));
  if (index === -1) throw new Error(`src/${folder} belongs to no layer: add it to LAYERS`);
  return index;
}

/** Every module of src/ and the modules it imports (relative imports only). */
function importGraph(): Map<string, string[]> {
  const graph = new Map<string, string[]>();
  const walk = (dir: string) => {
    for (const entry of Deno.readDirSync(dir)) {
      const path = join(dir, entry.name);
      if (entry.isDirectory) walk(path);
      else if (/\.tsx?$/.test(entry.name)) {
        const text = Deno.readTextFileSync(path);
        const targets = [...text.matchAll(/(?:from|import)\s*\(?\s*"(\.{1,2}\/[^"]+)"/g)]
          .map((match) => normalize(join(dirname(path), match[1])))
          .filter((target) => target.startsWith(SRC));
        graph.set(path, targets);
      }
    }
  };
  walk(SRC);
  return graph;
}

const folderOf = (path: string) => relative(SRC, path).split("/")[0];
const shown = (path: string) => `src/${relative(SRC, path)}`;

Deno.test("every import in src/ points down the layers", () => {
  const wrong: string[] = [];
  for (const [from, targets] of importGraph()) {
    const source = folderOf(from);
    for (const target of targets) {
      const destination = folderOf(target);
      if (source === destination) continue;
      if (layerOf(destination) <= layerOf(source)) {
        wrong.push(`${shown(from)} -> ${shown(target)}`);
      }
    }
  }
  assertEquals(wrong, [], "imports that point up or sideways");
});

Deno.test("no module of src/ imports itself through others", () => {
  const graph = importGraph();
  const state = new Map<string, "open" | "done">();
  const cycles: string[] = [];
  const visit = (node: string, trail: string[]) => {
    if (state.get(node) === "done") return;
    if (state.get(node) === "open") {
      cycles.push([...trail.slice(trail.indexOf(node)), node].map(shown).join(" -> "));
      return;
    }
    state.set(node, "open");
    for (const next of graph.get(node) ?? []) visit(next, [...trail, node]);
    state.set(node, "done");
  };
  for (const node of graph.keys()) visit(node, []);
  assertEquals(cycles, [], "import cycles");
});
