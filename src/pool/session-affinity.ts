/**
 * @module
 * Keeps a conversation on one account, so it keeps hitting that account's
 * prompt cache. The key is the client's session id (Claude Code and Codex
 * send one) or user id when present, otherwise a hash of the conversation's
 * opening (system prompt and first user message), which every later turn of
 * the same conversation repeats.
 */
import type { CanonicalRequest } from "../ir/request.ts";

const SESSION_HEADERS = ["x-claude-code-session-id", "session_id", "session-id", "x-session-id"];
const MAX_BINDINGS = 4096;

/** FNV-1a: fast and stable; the key only needs to tell conversations apart. */
function hash(text: string): string {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return (h >>> 0).toString(36);
}

export function affinityKey(request: CanonicalRequest, headers: Headers): string {
  for (const name of SESSION_HEADERS) {
    const value = headers.get(name);
    if (value) return `session:${value}`;
  }
  if (request.user) return `user:${request.user}`;
  const system = request.system.map((part) => part.text).join("\n");
  const first = request.messages.find((m) => m.role === "user");
  const opening = first?.content.map((part) => part.type === "text" ? part.text : part.type)
    .join("\n") ?? "";
  return `opening:${hash(`${system}\u0000${opening}`)}`;
}

export interface Affinity {
  get(key: string): string | undefined;
  bind(key: string, accountId: string): void;
}

export function createAffinity(ttlMs = 3600_000): Affinity {
  const bindings = new Map<string, { accountId: string; until: number }>();
  return {
    get(key) {
      const found = bindings.get(key);
      if (!found) return undefined;
      if (found.until < Date.now()) {
        bindings.delete(key);
        return undefined;
      }
      return found.accountId;
    },
    bind(key, accountId) {
      bindings.delete(key);
      bindings.set(key, { accountId, until: Date.now() + ttlMs });
      // Oldest first in a Map: drop them once the table is full.
      while (bindings.size > MAX_BINDINGS) bindings.delete(bindings.keys().next().value!);
    },
  };
}
