/**
 * @module
 * The short-lived AI gateway token a GitLab personal access token is
 * exchanged for, as GitLab's own integrations get it:
 *
 *   POST {instance}/api/v4/ai/third_party_agents/direct_access
 *   Authorization: Bearer <personal access token>      (scope `api` or `ai_features`)
 *   → 201 {"token": "<JWT>", "expires_at": <unix s>, "headers": {"x-gitlab-…": …}}
 *
 * (GitLab's request spec for the endpoint, `ee/spec/requests/api/ai/third_party_agents`, shows
 * the answer and an hour's lifetime; it is marked experimental.) The token and every header
 * of the answer go on each gateway call; `authorization` and `x-api-key` among them are left
 * out, as other clients do. GitLab's documented code-suggestions variant of this call
 * (`/api/v4/code_suggestions/direct_access`) also names the gateway in `base_url`; when this
 * answer names one, it is used, else `https://cloud.gitlab.com/ai`.
 *
 * One exchange at a time per token, however many requests need it; the token is used until
 * five minutes before it expires (25 minutes when the answer gives no expiry, as other clients
 * assume), then exchanged again by the next request.
 */
import { apiError } from "../../errors/api-error.ts";
import { describeFetchError } from "../../http/describe-fetch-error.ts";
import { joinUrl, type UpstreamAccount } from "../../upstreams/upstream.ts";
import { VERSION } from "../../version.ts";

export interface GatewayToken {
  token: string;
  /** Headers GitLab says must reach the gateway with it. */
  headers: Record<string, string>;
  /** The gateway's root (`https://cloud.gitlab.com/ai`): `/v1/proxy/…` follows. */
  gateway: string;
  /** When to exchange again (epoch ms). */
  renewAt: number;
}

export const GITLAB_COM = "https://gitlab.com";
const DEFAULT_GATEWAY = "https://cloud.gitlab.com/ai";
const RENEW_EARLY_MS = 5 * 60_000;
const ASSUMED_LIFETIME_MS = 25 * 60_000;
/** Headers of the answer that are not GitLab's to set on the gateway call. */
const NOT_FORWARDED = new Set(["authorization", "x-api-key", "host", "content-length"]);

/** The instance's root from an entry's `base-url` (`https://gitlab.example.com[/api/v4]`). */
export function instanceUrl(baseUrl: unknown): string {
  if (typeof baseUrl !== "string" || !baseUrl) return GITLAB_COM;
  return baseUrl.replace(/\/+$/, "").replace(/\/api\/v4$/, "");
}

/** The gateway root an answer's `base_url` names (`https://cloud.gitlab.com` means its `/ai`). */
export function gatewayRoot(baseUrl: unknown): string {
  if (typeof baseUrl !== "string" || !baseUrl) return DEFAULT_GATEWAY;
  const root = baseUrl.replace(/\/+$/, "");
  try {
    const url = new URL(root);
    if (url.hostname === "cloud.gitlab.com" && (url.pathname === "" || url.pathname === "/")) {
      return `${url.origin}/ai`;
    }
  } catch {
    return DEFAULT_GATEWAY;
  }
  return root;
}

/** `expires_at` as GitLab writes it: unix seconds (or an ISO date); undefined when absent. */
function expiryOf(value: unknown): number | undefined {
  if (typeof value === "number" && Number.isFinite(value) && value > 0) {
    return value > 1e12 ? value : value * 1000;
  }
  if (typeof value === "string" && value) {
    const parsed = /^\d+$/.test(value) ? Number(value) * 1000 : Date.parse(value);
    return Number.isFinite(parsed) ? parsed : undefined;
  }
  return undefined;
}

/** A refused or failed exchange, as the client will read it (in its own dialect). */
function refused(status: number, detail: string) {
  const where = "GitLab's AI gateway token exchange (/api/v4/ai/third_party_agents/direct_access)";
  if (status === 401) {
    return apiError(
      "authentication",
      `${where} refused the GitLab token (HTTP 401): check that it is valid and not expired.`,
    );
  }
  if (status === 403 || status === 404) {
    return apiError(
      "permission",
      `${where} answered HTTP ${status}: the token needs the api or ai_features scope, and its ` +
        `user a GitLab Duo seat with third-party agents allowed.${detail ? ` ${detail}` : ""}`,
    );
  }
  return apiError("api_error", `${where} answered HTTP ${status}.${detail ? ` ${detail}` : ""}`, {
    status: 502,
  });
}

async function exchange(account: UpstreamAccount, now: number): Promise<GatewayToken> {
  const url = joinUrl(
    instanceUrl(account.credentials.base_url),
    "/api/v4/ai/third_party_agents/direct_access",
  );
  let response: Response;
  try {
    response = await fetch(url, {
      method: "POST",
      headers: {
        authorization: `Bearer ${account.credentials.api_key}`,
        accept: "application/json",
        "user-agent": `subgate/${VERSION}`,
      },
      signal: AbortSignal.timeout(30_000),
    });
  } catch (error) {
    throw apiError("api_error", describeFetchError(error, url), { status: 502 });
  }
  const text = await response.text().catch(() => "");
  if (!response.ok) {
    let message = "";
    try {
      const body = JSON.parse(text);
      message = String(body?.message ?? body?.error ?? "").slice(0, 200);
    } catch { /* no JSON: the status says it */ }
    throw refused(response.status, message);
  }
  let body: Record<string, unknown>;
  try {
    body = JSON.parse(text);
  } catch {
    throw refused(502, "Its answer is not JSON.");
  }
  if (typeof body?.token !== "string" || !body.token) throw refused(502, "It sent no token.");
  const headers: Record<string, string> = {};
  const sent = body.headers && typeof body.headers === "object" ? body.headers : {};
  for (const [name, value] of Object.entries(sent as Record<string, unknown>)) {
    if (typeof value === "string" && !NOT_FORWARDED.has(name.toLowerCase())) {
      headers[name] = value;
    }
  }
  const expiresAt = expiryOf(body.expires_at);
  return {
    token: body.token,
    headers,
    gateway: gatewayRoot(body.base_url),
    renewAt: expiresAt !== undefined
      ? Math.max(now, expiresAt - RENEW_EARLY_MS)
      : now + ASSUMED_LIFETIME_MS,
  };
}

interface Cached {
  pending: Promise<GatewayToken>;
  token?: GatewayToken;
}

const cache = new Map<string, Cached>();

const keyOf = (account: UpstreamAccount) =>
  `${account.id}\u0000${account.credentials.api_key}\u0000${account.credentials.base_url ?? ""}`;

/** The account's gateway token: exchanged once for every request that needs it, renewed early. */
export function gatewayToken(account: UpstreamAccount, now = Date.now()): Promise<GatewayToken> {
  const key = keyOf(account);
  const cached = cache.get(key);
  if (cached && (!cached.token || cached.token.renewAt > now)) return cached.pending;
  const entry: Cached = {
    pending: exchange(account, now).then((token) => {
      entry.token = token;
      return token;
    }, (error) => {
      if (cache.get(key) === entry) cache.delete(key);
      throw error;
    }),
  };
  cache.set(key, entry);
  return entry.pending;
}

/** Forgets the account's token (the gateway refused it): the next request exchanges again. */
export function forgetGatewayToken(account: UpstreamAccount): void {
  cache.delete(keyOf(account));
}
