/**
 * @module
 * Whether a bind address is reachable only from this machine.
 */

export function isLoopbackHost(host: string): boolean {
  const bare = host.replace(/^\[|\]$/g, "").toLowerCase();
  return bare === "localhost" || bare === "::1" || /^127(\.\d{1,3}){3}$/.test(bare);
}

/**
 * Why binding `host` with this many client keys (the config's and those created through the API)
 * is refused, or undefined when it is safe.
 */
export function exposureProblem(host: string, keyCount: number): string | undefined {
  if (isLoopbackHost(host) || keyCount > 0) return undefined;
  const shown = host === "" ? "all interfaces" : host;
  return `refusing to listen on ${shown} with no api-keys: anyone who can reach this ` +
    `address could spend your subscriptions. Add client keys under 'api-keys' in the ` +
    `config, or bind to 127.0.0.1 (the default).`;
}
