/**
 * @module
 * One login test's world: a real OAuth server, the provider API stand-ins, and
 * a subgate config pointing every provider's endpoints at them.
 */
import { type OAuthServer, type OAuthServerOptions, startOAuthServer } from "./oauth-server.ts";
import { type ProviderApi, type ProviderApiOptions, startProviderApi } from "./provider-api.ts";
import { withTempHome } from "./subgate-process.ts";

export interface LoginWorld {
  home: string;
  authDir: string;
  oauth: OAuthServer;
  api: ProviderApi;
}

export const CLIENTS = {
  claude: "9d1c250a-e61b-44d9-88ed-5944d1962f5e",
  codex: "app_EMoamEEZ73f0CkXaXp7hrann",
  gemini: "681255809395-oo8ft2oprdrnp9e3aqf6av3hmdib135j.apps.googleusercontent.com",
  geminiSecret: "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",
  copilot: "Iv1.b507a08c87ecfe98",
  kimi: "17e5f671-d194-4dfb-9706-5516cb48c098",
  qwen: "f0304373b74a44d2b584a3fb70ca9e56",
  antigravity: "1071006060591-tmhssin2h21lcre235vtolojh4g403ep.apps.googleusercontent.com",
  antigravitySecret: "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",
  xai: "b1a00492-073a-47ea-816f-4c329264a828",
};

/** The loopback ports of the browser logins' callbacks in one login world. */
export interface LoginPorts {
  claude: number;
  codex: number;
  gemini: number;
  antigravity: number;
}

/** Every provider's client, registered with the redirect URIs subgate uses. */
function clients(ports: LoginPorts) {
  return [
    {
      client_id: CLIENTS.claude,
      scopes: [
        "user:profile",
        "user:inference",
        "user:sessions:claude_code",
        "user:mcp_servers",
        "user:file_upload",
      ],
      redirect_uris: [
        `http://localhost:${ports.claude}/callback`,
        "https://platform.claude.com/oauth/code/callback",
      ],
    },
    {
      client_id: CLIENTS.codex,
      redirect_uris: [
        `http://localhost:${ports.codex}/auth/callback`,
        "https://auth.openai.com/deviceauth/callback",
      ],
    },
    {
      client_id: CLIENTS.gemini,
      client_secret: CLIENTS.geminiSecret,
      redirect_uris: [`http://127.0.0.1:${ports.gemini}/oauth2callback`],
    },
    { client_id: CLIENTS.copilot, redirect_uris: ["http://127.0.0.1/unused"] },
    { client_id: CLIENTS.kimi, redirect_uris: ["http://127.0.0.1/unused"] },
    { client_id: CLIENTS.qwen, redirect_uris: ["http://127.0.0.1/unused"] },
    {
      client_id: CLIENTS.antigravity,
      client_secret: CLIENTS.antigravitySecret,
      redirect_uris: [`http://localhost:${ports.antigravity}/oauth-callback`],
    },
    { client_id: CLIENTS.xai, redirect_uris: ["http://127.0.0.1/unused"] },
  ];
}

/**
 * A free TCP port on loopback, below the ephemeral range: servers started on port 0 by tests
 * running in parallel draw from that range, and could take a port picked there in between.
 */
export function freePort(): number {
  while (true) {
    const port = 20_000 + Math.floor(Math.random() * 10_000);
    try {
      Deno.listen({ hostname: "127.0.0.1", port }).close();
      return port;
    } catch {
      // Taken: try another.
    }
  }
}

export function withLoginWorld(
  fn: (
    world: LoginWorld & { ports: LoginPorts },
  ) => Promise<void>,
  options: { oauth?: Partial<OAuthServerOptions>; api?: ProviderApiOptions; extraConfig?: string } =
    {},
) {
  return withTempHome(async (home) => {
    const ports = {
      claude: freePort(),
      codex: freePort(),
      gemini: freePort(),
      antigravity: freePort(),
    };
    const oauth = await startOAuthServer({
      clients: clients(ports),
      deviceInterval: 1,
      claims: (login) => ({
        email: login,
        "https://api.openai.com/auth": { chatgpt_account_id: "acc-1234", chatgpt_plan_type: "pro" },
      }),
      ...options.oauth,
    });
    const api = startProviderApi(options.api);
    const authDir = `${home}/.subgate`;
    await Deno.mkdir(authDir, { recursive: true, mode: 0o700 });
    const endpoints = [
      `    authorize-url: ${oauth.authorizeUrl}`,
      `    token-url: ${oauth.tokenUrl}`,
      `    device-url: ${oauth.deviceUrl}`,
      `    issuer: ${oauth.issuer}`,
    ].join("\n");
    await Deno.writeTextFile(
      `${authDir}/config.yaml`,
      [
        "providers:",
        "  claude:",
        endpoints,
        `    base-url: ${api.url}`,
        "  codex:",
        endpoints,
        "  gemini:",
        endpoints,
        `    base-url: ${api.url}/v1internal`,
        `    api-url: ${api.url}/userinfo`,
        "  copilot:",
        endpoints,
        `    api-url: ${api.url}`,
        "  kimi:",
        endpoints,
        "  qwen:",
        endpoints,
        "  antigravity:",
        endpoints,
        `    base-url: ${api.url}/v1internal`,
        `    api-url: ${api.url}/userinfo`,
        "  xai:",
        endpoints,
        options.extraConfig ?? "",
      ].join("\n"),
    );
    try {
      await fn({ home, authDir, oauth, api, ports });
    } finally {
      await api.close();
      await oauth.close();
    }
  });
}
