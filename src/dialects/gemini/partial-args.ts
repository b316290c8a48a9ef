/**
 * @module
 * Function-call arguments streamed as `partialArgs` (Vertex
 * `streamFunctionCallArguments`, Gemini 3): each piece names a JSON path
 * (`$.recipe.steps[0]`) and a value; a string value with `willContinue` goes
 * on in the next piece for the same path. The assembler builds the arguments
 * object from the pieces, in constant work per piece (the path's length).
 */
import type { GeminiPartialArg } from "./wire-types.ts";

type Segment = string | number;

export interface ArgsAssembler {
  /** Adds the pieces of one chunk. */
  add(pieces: GeminiPartialArg[]): void;
  /** Starts from a whole `args` object (a call that also sent one). */
  seed(args: Record<string, unknown>): void;
  /** The arguments so far. */
  result(): Record<string, unknown>;
}

/** `$.a.b[0]['c d']` as segments; undefined for a path that is not one. */
export function parseJsonPath(path: string): Segment[] | undefined {
  if (!path.startsWith("$")) return undefined;
  const segments: Segment[] = [];
  let i = 1;
  while (i < path.length) {
    const char = path[i];
    if (char === ".") {
      let end = i + 1;
      while (end < path.length && path[end] !== "." && path[end] !== "[") end++;
      if (end === i + 1) return undefined;
      segments.push(path.slice(i + 1, end));
      i = end;
    } else if (char === "[") {
      const quote = path[i + 1];
      if (quote === "'" || quote === '"') {
        let end = i + 2;
        let name = "";
        while (end < path.length && path[end] !== quote) {
          if (path[end] === "\\" && end + 1 < path.length) end++;
          name += path[end++];
        }
        if (path[end + 1] !== "]") return undefined;
        segments.push(name);
        i = end + 2;
      } else {
        const end = path.indexOf("]", i);
        if (end === -1) return undefined;
        const index = Number(path.slice(i + 1, end));
        if (!Number.isInteger(index) || index < 0) return undefined;
        segments.push(index);
        i = end + 1;
      }
    } else {
      return undefined;
    }
  }
  return segments;
}

type Container = Record<string, unknown> | unknown[];

/** Sets an own property, so keys such as `__proto__` stay plain data. */
function setOwn(container: Container, key: Segment, value: unknown) {
  Object.defineProperty(container, key, {
    value,
    enumerable: true,
    configurable: true,
    writable: true,
  });
}

function childContainer(container: Container, key: Segment, next: Segment): Container {
  const existing = Object.hasOwn(container, key)
    ? (container as Record<string, unknown>)[key]
    : undefined;
  if (typeof existing === "object" && existing !== null) return existing as Container;
  const created: Container = typeof next === "number" ? [] : {};
  setOwn(container, key, created);
  return created;
}

function pieceValue(piece: GeminiPartialArg): { value: unknown } | undefined {
  if (typeof piece.stringValue === "string") return { value: piece.stringValue };
  if (typeof piece.numberValue === "number") return { value: piece.numberValue };
  if (typeof piece.boolValue === "boolean") return { value: piece.boolValue };
  if (piece.nullValue !== undefined) return { value: null };
  return undefined;
}

export function createArgsAssembler(): ArgsAssembler {
  let root: Record<string, unknown> = {};
  /** The path whose string value continues in the next piece. */
  let continuing: string | undefined;

  const set = (segments: Segment[], value: unknown, append: boolean) => {
    let container: Container = root;
    for (let i = 0; i < segments.length - 1; i++) {
      container = childContainer(container, segments[i], segments[i + 1]);
    }
    const leaf = segments[segments.length - 1];
    if (append) {
      const existing = Object.hasOwn(container, leaf)
        ? (container as Record<string, unknown>)[leaf]
        : undefined;
      if (typeof existing === "string") value = existing + (value as string);
    }
    setOwn(container, leaf, value);
  };

  return {
    add(pieces) {
      for (const piece of pieces) {
        if (!piece || typeof piece.jsonPath !== "string") continue;
        const segments = parseJsonPath(piece.jsonPath);
        const found = pieceValue(piece);
        if (!segments || segments.length === 0 || !found) continue;
        const append = typeof found.value === "string" && continuing === piece.jsonPath;
        set(segments, found.value, append);
        continuing = typeof found.value === "string" && piece.willContinue
          ? piece.jsonPath
          : undefined;
      }
    },
    seed(args) {
      root = { ...args };
      continuing = undefined;
    },
    result() {
      return root;
    },
  };
}
