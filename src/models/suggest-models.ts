/**
 * @module
 * The models a person probably meant when subgate knows no account for the
 * name they typed: names containing what they typed first (`sonnet` →
 * the newest `claude-sonnet-*`), then names a few typos away. Nothing
 * unrelated is offered: a suggestion that shares nothing with the name only
 * misleads.
 */

/** Longest name worth comparing; longer names are not model names anyone typed. */
const MAX_NAME = 256;

/** Edit distance, for names a few typos away. */
function distance(a: string, b: string): number {
  const row = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    let previous = row[0];
    row[0] = i;
    for (let j = 1; j <= b.length; j++) {
      const current = row[j];
      row[j] = Math.min(row[j] + 1, row[j - 1] + 1, previous + (a[i - 1] === b[j - 1] ? 0 : 1));
      previous = current;
    }
  }
  return row[b.length];
}

/** The version numbers in a name, for "newest first" (`claude-sonnet-4-6` → [4, 6]). */
function versionOf(name: string): number[] {
  return (name.match(/\d+/g) ?? []).map(Number).filter((n) => n < 1_000_000);
}

function newerFirst(a: string, b: string): number {
  const [va, vb] = [versionOf(a), versionOf(b)];
  for (let i = 0; i < Math.max(va.length, vb.length); i++) {
    const diff = (vb[i] ?? -1) - (va[i] ?? -1);
    if (diff !== 0) return diff;
  }
  return a.localeCompare(b);
}

/** The words of a name, without the provider pin (`claude/…`) and separators. */
function words(name: string): string[] {
  return name.toLowerCase().replace(/^[^/]*\//, "").split(/[^a-z0-9.]+/).filter(Boolean);
}

export function suggestModels(typed: string, available: readonly string[], count = 3): string[] {
  if (typed.length > MAX_NAME) return [];
  const names = [...new Set(available)];
  const wanted = words(typed);
  const text = typed.toLowerCase();
  // Every word typed appears in the name: `sonnet`, `opus 4`, `gemini-flash`.
  const containing = names.filter((name) => {
    const have = words(name);
    return wanted.length > 0 && wanted.every((w) => have.some((h) => h.startsWith(w)));
  }).sort(newerFirst);
  const limit = Math.max(2, Math.floor(text.length / 3));
  const close = names
    .filter((name) => !containing.includes(name))
    .map((name) => ({ name, score: distance(text, name.toLowerCase()) }))
    .filter((entry) => entry.score <= limit)
    .sort((a, b) => a.score - b.score || newerFirst(a.name, b.name))
    .map((entry) => entry.name);
  return [...containing, ...close].slice(0, count);
}
