/**
 * @module
 * What every call to Antigravity's service carries, and the one call both
 * the model list and the quota reader make.
 *
 * **The user agent.** Antigravity's service (Code Assist's `v1internal` API
 * for Antigravity's OAuth client) admits a request by the client version in
 * its `User-Agent`, `antigravity/<version> <os>/<arch>`: below a minimum it
 * answers "This version of Antigravity is no longer supported" (503), and
 * newer models ("Gemini 3.1 Pro is not available on this version") need a
 * newer version still. Public reports of both: earendil-works/pi #1067,
 * #1068, #3897; sipeed/picoclaw #2343; router-for-me/CLIProxyAPI #3123;
 * lbjlaq/Antigravity-Manager #1314. Every client of the service has to send
 * it, so subgate does, with this machine's real OS and CPU, and nothing else
 * of Antigravity's (no client metadata headers, no `X-Goog-Api-Client`, no
 * session ids). Which versions the service accepts today could not be checked
 * here: the default is CLIProxyAPI's fallback at the time of writing (2.9.1,
 * `internal/misc/antigravity_version.go`); `providers.antigravity.headers`
 * with a `user-agent` replaces the whole header.
 *
 * **`fetchAvailableModels`** (`POST {base}:fetchAvailableModels` with
 * `{"project": …}`) answers the models this login may use, keyed by id, each
 * with its quota (CLIProxyAPI `sdk/cliproxy` capability probe; the shape in
 * tests/fixtures/antigravity/README.md):
 *
 *   {"models": {"gemini-3-flash": {"displayName", "maxTokens", "maxOutputTokens",
 *               "modelProvider": "MODEL_PROVIDER_GOOGLE",
 *               "quotaInfo": {"remainingFraction": 0.8, "resetTime": "…Z"}}, …}}
 */
import type { Json } from "../../ir/json.ts";
import { joinUrl, type UpstreamAccount } from "../../upstreams/upstream.ts";

/** The Antigravity version subgate names unless `providers.antigravity.headers` says otherwise. */
export const ANTIGRAVITY_VERSION = "2.9.1";

/** Antigravity writes the platform as Go does: `darwin/arm64`, `windows/amd64`, `linux/amd64`. */
function platform(): string {
  const arch = Deno.build.arch === "x86_64" ? "amd64" : "arm64";
  return `${Deno.build.os}/${arch}`;
}

export function antigravityUserAgent(): string {
  return `antigravity/${ANTIGRAVITY_VERSION} ${platform()}`;
}

/** Ids the service lists that are the editor's own, not models a client can ask for. */
const EDITOR_ROWS = /^(tab_|chat_\d)/;

/** The models of a `fetchAvailableModels` answer, each with what the service said of it. */
export function availableModels(body: unknown): [string, Json][] {
  const models = (body as { models?: unknown } | null)?.models;
  if (!models || typeof models !== "object" || Array.isArray(models)) return [];
  return Object.entries(models as Record<string, unknown>).flatMap(([id, info]) =>
    id && !EDITOR_ROWS.test(id)
      ? [[id, info && typeof info === "object" && !Array.isArray(info) ? info as Json : {}]]
      : []
  ) as [string, Json][];
}

/** The `fetchAvailableModels` call for the login: its URL, headers and body. */
export function availableModelsCall(
  account: UpstreamAccount,
  baseUrl: string,
  headers: Record<string, string> = {},
): { url: string; headers: Headers; body: Json } {
  const project = account.credentials.project_id;
  const out = new Headers({
    authorization: `Bearer ${account.credentials.access_token}`,
    "content-type": "application/json",
    accept: "application/json",
    "user-agent": antigravityUserAgent(),
  });
  for (const [name, value] of Object.entries(headers)) out.set(name, value);
  return {
    url: joinUrl(baseUrl, ":fetchAvailableModels"),
    headers: out,
    body: typeof project === "string" && project ? { project } : {},
  };
}
