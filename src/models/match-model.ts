/**
 * @module
 * Model-name patterns as CLIProxyAPI writes them: exact names, or `*` as a
 * wildcard anywhere (`gpt-5*`, `*-mini`, `*codex*`).
 */

export function matchesModel(pattern: string, model: string): boolean {
  if (!pattern.includes("*")) return pattern === model;
  const source = pattern.split("*").map((part) => part.replace(/[.+?^${}()|[\]\\]/g, "\\$&"))
    .join(".*");
  return new RegExp(`^${source}$`).test(model);
}

/** `models` without those any of `excluded` matches. */
export function withoutExcluded(models: readonly string[], excluded: readonly string[]): string[] {
  return models.filter((model) => !excluded.some((pattern) => matchesModel(pattern, model)));
}
