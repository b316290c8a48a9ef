/**
 * @module
 * Reads the payload of a JWT subgate already holds (its own access token), to
 * name an account. No signature check: nothing is trusted from it but a name.
 */

export function jwtClaims(token: unknown): Record<string, unknown> | undefined {
  if (typeof token !== "string") return undefined;
  const part = token.split(".")[1];
  if (!part) return undefined;
  try {
    const json = atob(part.replace(/-/g, "+").replace(/_/g, "/"));
    const claims = JSON.parse(json);
    return claims && typeof claims === "object" ? claims : undefined;
  } catch {
    return undefined;
  }
}
