/**
 * @module
 * Shared helpers for the canonical model.
 */
import type { Usage } from "./response.ts";

export function emptyUsage(): Usage {
  return { inputTokens: 0, outputTokens: 0 };
}

/** Later usage reports overwrite earlier ones field by field (they are cumulative). */
export function mergeUsage(base: Usage, next: Partial<Usage> | undefined): Usage {
  if (!next) return base;
  const merged = { ...base };
  for (const [key, value] of Object.entries(next) as [keyof Usage, number | undefined][]) {
    if (value !== undefined) merged[key] = value;
  }
  return merged;
}
