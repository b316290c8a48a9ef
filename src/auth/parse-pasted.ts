/**
 * @module
 * What a person pastes to finish a login by hand: `code#state` from the
 * provider's page, the callback address the browser ended on, or its query.
 */

/** The callback's parameters, or undefined when the text holds none. */
export function parsePasted(text: string): URLSearchParams | undefined {
  const input = text.trim();
  if (!input) return undefined;
  if (/^https?:\/\//.test(input)) {
    const url = new URL(input);
    return url.searchParams.has("code") || url.searchParams.has("error")
      ? url.searchParams
      : undefined;
  }
  if (input.includes("code=") || input.includes("error=")) {
    return new URLSearchParams(input.replace(/^\?/, ""));
  }
  const [code, state] = input.split("#");
  return new URLSearchParams(state ? { code, state } : { code });
}
