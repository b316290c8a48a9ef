/**
 * @module
 * Local stand-ins for the provider APIs a login talks to after the token
 * exchange: Anthropic's OAuth profile, Google's userinfo and Code Assist
 * project setup, and GitHub's user and Copilot token endpoints. Each checks
 * the request the way the real API would (Bearer or `token` auth, methods,
 * bodies) and records what it saw.
 */

export interface ProviderApi {
  url: string;
  /** Requests seen, as `METHOD /path`. */
  seen: string[];
  /** The JSON bodies of POSTs, by path. */
  bodies: Map<string, unknown>;
  /** The headers of the last request, by path. */
  headers: Map<string, Headers>;
  close(): Promise<void>;
}

export interface ProviderApiOptions {
  email?: string;
  githubLogin?: string;
  /** Code Assist: does the account already have a project, or must it be onboarded? */
  codeAssist?: "existing" | "onboard";
  /** GitHub: whether the account has Copilot. */
  copilot?: boolean;
}

export function startProviderApi(options: ProviderApiOptions = {}): ProviderApi {
  const seen: string[] = [];
  const bodies = new Map<string, unknown>();
  const headers = new Map<string, Headers>();
  let onboardPolls = 0;
  const json = (data: unknown, status = 200) => Response.json(data, { status });
  const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen: () => {} }, async (req) => {
    const url = new URL(req.url);
    const path = url.pathname;
    seen.push(`${req.method} ${path}`);
    headers.set(path, req.headers);
    const auth = req.headers.get("authorization") ?? "";
    if (req.method === "POST") bodies.set(path, await req.json().catch(() => undefined));
    const bearer = /^Bearer \S+$/.test(auth);

    if (path === "/api/oauth/profile") {
      if (!bearer) return json({ error: { type: "authentication_error" } }, 401);
      return json({
        account: { uuid: "acc-uuid-1", email: options.email ?? "ada@example.com" },
        organization: { uuid: "org-uuid-1", name: "Ada's org" },
      });
    }
    if (path === "/userinfo") {
      if (!bearer) return json({ error: "unauthorized" }, 401);
      return json({ email: options.email ?? "ada@example.com", verified_email: true });
    }
    if (path === "/v1internal:loadCodeAssist") {
      if (!bearer) return json({ error: { code: 401, message: "no auth" } }, 401);
      if (options.codeAssist === "existing") {
        return json({
          currentTier: { id: "standard-tier" },
          cloudaicompanionProject: "proj-existing",
        });
      }
      return json({ allowedTiers: [{ id: "standard-tier", isDefault: true }] });
    }
    if (path === "/v1internal:onboardUser") {
      return json({ name: "operations/onboard-1", done: false });
    }
    if (path === "/v1internal/operations/onboard-1") {
      onboardPolls++;
      return json({
        name: "operations/onboard-1",
        done: onboardPolls >= 1,
        response: { cloudaicompanionProject: { id: "proj-onboarded", name: "Onboarded" } },
      });
    }
    if (path === "/user") {
      if (!/^token \S+$/.test(auth)) return json({ message: "Requires authentication" }, 401);
      return json({ login: options.githubLogin ?? "octo-ada", email: null });
    }
    if (path === "/copilot_internal/v2/token") {
      if (!/^token \S+$/.test(auth)) return json({ message: "Requires authentication" }, 401);
      if (options.copilot === false) return json({ message: "Not Found" }, 404);
      return json({
        token: "tid=test;exp=9999999999;sku=copilot:sig",
        expires_at: Math.floor(Date.now() / 1000) + 1800,
        refresh_in: 1500,
        endpoints: { api: "http://127.0.0.1/copilot" },
      });
    }
    return json({ error: `no route ${req.method} ${path}` }, 404);
  });
  return {
    url: `http://127.0.0.1:${(server.addr as Deno.NetAddr).port}`,
    seen,
    bodies,
    headers,
    close: () => server.shutdown(),
  };
}
