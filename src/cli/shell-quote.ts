/**
 * @module
 * POSIX shell quoting, for lines a shell reads: `subgate env`'s, and the status line command
 * `subgate run claude` gives Claude Code.
 */

/** A shell word that stays as it is: bare when safe, else in single quotes (`'` as `'\''`). */
export function shellQuote(text: string): string {
  if (/^[A-Za-z0-9_@%+=:,.\/-]+$/.test(text)) return text;
  return `'${text.replaceAll("'", `'\\''`)}'`;
}
