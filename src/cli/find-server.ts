/**
 * @module
 * Finds the subgate a client should use: the one named by `--url`, else the one the auth dir's
 * state file says is running (`serve` publishes where it listens), else the one the config's
 * host and port describe. A server counts only when it answers `GET /` as subgate. Every URL
 * is checked to be an absolute http(s) URL with a host before it is used or printed.
 */
import type { Config } from "../config/config-types.ts";
import { urlProblem } from "../config/validate.ts";
import { readPublishedState } from "../pool/publish-state.ts";

/** How long a server may take to answer the probe. */
const PROBE_MS = 1500;

/**
 * The config's host and port as a URL a client can reach (every-interface binds via loopback),
 * or why the host is no address.
 */
export function configuredUrl(config: Pick<Config, "host" | "port">): { url: string } | {
  problem: string;
} {
  const bare = config.host.replace(/^\[|\]$/g, "");
  const host = bare === "" || bare === "0.0.0.0" ? "127.0.0.1" : bare === "::" ? "::1" : bare;
  const ipv6 = host.includes(":") && /^[0-9a-f:.]+$/i.test(host);
  if (!ipv6 && /[:/\s]/.test(host)) {
    return {
      problem: `the config's host "${config.host}" is not an address; write the address ` +
        `alone (host: 127.0.0.1) and the port under port:`,
    };
  }
  return checkedUrl(`http://${ipv6 ? `[${host}]` : host}:${config.port}`);
}

/** `url` without trailing slashes, or the reason it is no base URL (with what to write). */
export function checkedUrl(url: string): { url: string } | { problem: string } {
  const problem = urlProblem(url);
  if (problem) return { problem };
  return { url: url.replace(/\/+$/, "") };
}

/** Whether subgate answers at `url` (its `GET /` says so); false for anything else or nothing. */
export async function isSubgate(url: string, probeMs = PROBE_MS): Promise<boolean> {
  try {
    const response = await fetch(`${url}/`, { signal: AbortSignal.timeout(probeMs) });
    if (!response.ok) {
      await response.body?.cancel();
      return false;
    }
    const body = await response.json() as { name?: unknown };
    return body?.name === "subgate";
  } catch {
    return false;
  }
}

export type Found =
  | { found: true; url: string; via: "flag" | "state" | "config" }
  | { found: false; problem?: string };

/**
 * The running subgate. With `--url` only that one counts (a problem when it does not answer);
 * otherwise the state file's, then the configured address's. `probeMs` bounds each probe.
 */
export async function findServer(
  config: Config,
  flagUrl?: string,
  probeMs = PROBE_MS,
): Promise<Found> {
  if (flagUrl !== undefined) {
    const checked = checkedUrl(flagUrl);
    if ("problem" in checked) return { found: false, problem: `--url: ${checked.problem}` };
    if (await isSubgate(checked.url, probeMs)) {
      return { found: true, url: checked.url, via: "flag" };
    }
    return {
      found: false,
      problem: `no subgate answers at ${checked.url} (start it with \`subgate serve\`, ` +
        `or leave out --url to have one started for the session)`,
    };
  }
  const published = (await readPublishedState(config.authDir))?.url;
  const fromState = published === undefined ? undefined : checkedUrl(published);
  if (fromState && "url" in fromState && await isSubgate(fromState.url, probeMs)) {
    return { found: true, url: fromState.url, via: "state" };
  }
  const configured = configuredUrl(config);
  if ("problem" in configured) return { found: false, problem: configured.problem };
  if (await isSubgate(configured.url, probeMs)) {
    return { found: true, url: configured.url, via: "config" };
  }
  return { found: false };
}
