/**
 * The login-test harness is real: oidc-provider on loopback, driven by oauth4webapi as the
 * client, by fetch (approve/approveDevice) and by Chromium (approveInBrowser).
 */
import * as oauth from "oauth4webapi";
import { assert, assertEquals, assertMatch } from "./helpers/assert.ts";
import {
  approveDeviceInBrowser,
  approveInBrowser,
  browserTest,
  withBrowser,
} from "./helpers/browser.ts";
import {
  type OAuthClientSpec,
  type OAuthServer,
  type OAuthServerOptions,
  startOAuthServer,
} from "./helpers/oauth-server.ts";

const CLI: OAuthClientSpec = {
  client_id: "cli-public",
  redirect_uris: [
    "http://localhost:54545/callback",
    "http://127.0.0.1:1455/auth/callback",
    "https://platform.claude.com/oauth/code/callback",
  ],
};
const OPENAI_AUTH = "https://api.openai.com/auth";
const claims = (login: string) => ({
  email: login,
  email_verified: true,
  [OPENAI_AUTH]: { chatgpt_account_id: "acc-1", chatgpt_plan_type: "plus" },
});
const insecure = { [oauth.allowInsecureRequests]: true } as const;

async function withServer(
  options: Partial<OAuthServerOptions>,
  fn: (server: OAuthServer, as: oauth.AuthorizationServer) => Promise<void>,
) {
  const server = await startOAuthServer({ clients: [CLI], claims, ...options });
  try {
    const issuer = new URL(server.issuer);
    const as = await oauth.processDiscoveryResponse(
      issuer,
      await oauth.discoveryRequest(issuer, insecure),
    );
    await fn(server, as);
  } finally {
    await server.close();
  }
}

async function pkce() {
  const verifier = oauth.generateRandomCodeVerifier();
  return { verifier, challenge: await oauth.calculatePKCECodeChallenge(verifier) };
}

/** The authorization URL a CLI builds, extra provider parameters included. */
function authorizationUrl(
  as: oauth.AuthorizationServer,
  params: {
    clientId: string;
    redirectUri: string;
    challenge: string;
    state: string;
    scope: string;
  },
  extra: Record<string, string> = {},
) {
  const url = new URL(as.authorization_endpoint!);
  url.search = new URLSearchParams({
    response_type: "code",
    client_id: params.clientId,
    redirect_uri: params.redirectUri,
    scope: params.scope,
    code_challenge: params.challenge,
    code_challenge_method: "S256",
    state: params.state,
    ...extra,
  }).toString();
  return url.href;
}

/** Runs the authorization code flow to tokens with oauth4webapi. */
async function codeFlow(
  server: OAuthServer,
  as: oauth.AuthorizationServer,
  scope = "openid profile email offline_access",
) {
  const client: oauth.Client = { client_id: CLI.client_id };
  const redirectUri = CLI.redirect_uris[0];
  const { verifier, challenge } = await pkce();
  const state = oauth.generateRandomState();
  const landing = await server.approve(
    authorizationUrl(as, { clientId: client.client_id, redirectUri, challenge, state, scope }),
  );
  const params = oauth.validateAuthResponse(as, client, landing, state);
  const response = await oauth.authorizationCodeGrantRequest(
    as,
    client,
    oauth.None(),
    params,
    redirectUri,
    verifier,
    insecure,
  );
  return await oauth.processAuthorizationCodeResponse(as, client, response);
}

async function expectOAuthError(promise: Promise<unknown>, error: string) {
  try {
    await promise;
  } catch (cause) {
    if (cause instanceof oauth.ResponseBodyError) {
      assertEquals(cause.error, error, `${cause.error}: ${cause.error_description}`);
      return cause;
    }
    throw cause;
  }
  throw new Error(`expected ${error}, got a success`);
}

Deno.test("oauth harness: authorization code + PKCE with oauth4webapi, provider extras accepted", async () => {
  await withServer({}, async (server, as) => {
    const client: oauth.Client = { client_id: CLI.client_id };
    const redirectUri = "http://localhost:54545/callback";
    const { verifier, challenge } = await pkce();
    const state = oauth.generateRandomState();
    const scope = "openid profile email offline_access user:inference user:profile read:user " +
      "https://www.googleapis.com/auth/cloud-platform org:create_api_key not-a-known-scope";
    const url = authorizationUrl(as, {
      clientId: client.client_id,
      redirectUri,
      challenge,
      state,
      scope,
    }, {
      code: "true",
      id_token_add_organizations: "true",
      codex_cli_simplified_flow: "true",
      access_type: "offline",
      prompt: "login",
    });
    assertEquals(url.startsWith(server.authorizeUrl + "?"), true);

    const landing = await server.approve(url, { login: "grace@example.com" });
    assertEquals(landing.origin + landing.pathname, redirectUri);
    assertEquals(landing.searchParams.get("state"), state);
    const params = oauth.validateAuthResponse(as, client, landing, state);

    const response = await oauth.authorizationCodeGrantRequest(
      as,
      client,
      oauth.None(),
      params,
      redirectUri,
      verifier,
      insecure,
    );
    const tokens = await oauth.processAuthorizationCodeResponse(as, client, response, {
      requireIdToken: true,
    });
    assert(tokens.access_token);
    assert(tokens.refresh_token, "a refresh token without offline_access consent");
    assertEquals(tokens.expires_in, 3600);
    assertEquals(tokens.token_type.toLowerCase(), "bearer");
    const granted = new Set(tokens.scope?.split(" "));
    for (
      const s of ["openid", "user:inference", "https://www.googleapis.com/auth/cloud-platform"]
    ) {
      assert(granted.has(s), `scope ${s} granted: ${tokens.scope}`);
    }
    assert(!granted.has("not-a-known-scope"), "unknown scopes are dropped, not failed");

    const idToken = oauth.getValidatedIdTokenClaims(tokens)!;
    assertEquals(idToken.sub, "grace@example.com");
    assertEquals(idToken.email, "grace@example.com");
    assertEquals(idToken[OPENAI_AUTH], { chatgpt_account_id: "acc-1", chatgpt_plan_type: "plus" });
    assertEquals(idToken.iss, server.issuer);

    const info = await oauth.processUserInfoResponse(
      as,
      client,
      "grace@example.com",
      await oauth.userInfoRequest(as, client, tokens.access_token, insecure),
    );
    assertEquals(info.email, "grace@example.com");

    assertEquals(server.grants.map((g) => [g.grantType, g.clientId]), [[
      "authorization_code",
      "cli-public",
    ]]);
    // A code is single use.
    await expectOAuthError(
      oauth.processAuthorizationCodeResponse(
        as,
        client,
        await oauth.authorizationCodeGrantRequest(
          as,
          client,
          oauth.None(),
          params,
          redirectUri,
          verifier,
          insecure,
        ),
      ),
      "invalid_grant",
    );
  });
});

Deno.test("oauth harness: PKCE is required, redirect URIs are exact, deny gives access_denied", async () => {
  await withServer({}, async (server, as) => {
    const { challenge } = await pkce();
    const base = { clientId: CLI.client_id, redirectUri: CLI.redirect_uris[2], challenge };
    const denied = await server.approve(
      authorizationUrl(as, { ...base, state: "s-deny", scope: "user:inference" }),
      { deny: true },
    );
    assertEquals(
      denied.origin + denied.pathname,
      "https://platform.claude.com/oauth/code/callback",
    );
    assertEquals(denied.searchParams.get("error"), "access_denied");
    assertEquals(denied.searchParams.get("state"), "s-deny");

    const noPkce = new URL(authorizationUrl(as, { ...base, state: "s1", scope: "openid" }));
    noPkce.searchParams.delete("code_challenge");
    noPkce.searchParams.delete("code_challenge_method");
    const refused = await server.approve(noPkce.href);
    assertEquals(refused.searchParams.get("error"), "invalid_request");
    assertMatch(refused.searchParams.get("error_description") ?? "", /requires PKCE/);

    // Another port on a registered loopback URI is not the registered URI.
    const otherPort = authorizationUrl(as, {
      ...base,
      redirectUri: "http://localhost:54546/callback",
      state: "s2",
      scope: "openid",
    });
    let message = "";
    await server.approve(otherPort).catch((error) => message = String(error));
    assertMatch(message, /redirect_uri did not match/);
  });
});

Deno.test("oauth harness: refresh tokens rotate; reusing a rotated one is invalid_grant and kills the grant", async () => {
  await withServer({ accessTokenTtlSeconds: 120 }, async (server, as) => {
    const client: oauth.Client = { client_id: CLI.client_id };
    const first = await codeFlow(server, as);
    assertEquals(first.expires_in, 120);

    const refreshed = await oauth.processRefreshTokenResponse(
      as,
      client,
      await oauth.refreshTokenGrantRequest(
        as,
        client,
        oauth.None(),
        first.refresh_token!,
        insecure,
      ),
    );
    assert(refreshed.access_token && refreshed.access_token !== first.access_token);
    assert(refreshed.refresh_token && refreshed.refresh_token !== first.refresh_token, "rotated");
    assertEquals(refreshed.expires_in, 120);
    assertEquals(oauth.getValidatedIdTokenClaims(refreshed)?.email, "ada@example.com");

    await expectOAuthError(
      oauth.processRefreshTokenResponse(
        as,
        client,
        await oauth.refreshTokenGrantRequest(
          as,
          client,
          oauth.None(),
          first.refresh_token!,
          insecure,
        ),
      ),
      "invalid_grant",
    );
    // Reuse detection revoked the whole grant: the newest refresh token is dead too.
    await expectOAuthError(
      oauth.processRefreshTokenResponse(
        as,
        client,
        await oauth.refreshTokenGrantRequest(
          as,
          client,
          oauth.None(),
          refreshed.refresh_token!,
          insecure,
        ),
      ),
      "invalid_grant",
    );
    assertEquals(server.grants.map((g) => g.grantType), ["authorization_code", "refresh_token"]);
    assertEquals(server.tokenErrors, [
      { error: "invalid_grant", grantType: "refresh_token" },
      { error: "invalid_grant", grantType: "refresh_token" },
    ]);
  });
});

Deno.test("oauth harness: JSON token requests (Anthropic style) and client_secret_post clients", async () => {
  const google: OAuthClientSpec = {
    client_id: "installed-app.apps.example",
    client_secret: "GOCSPX-test",
    redirect_uris: ["http://127.0.0.1/oauth2callback"],
    loopbackAnyPort: true,
  };
  await withServer({
    clients: [CLI, google],
    tokenResponseExtras: (login) => ({
      account: { uuid: "acct-uuid-1", email_address: login },
      organization: { uuid: "org-uuid-1", name: "Ada's org" },
    }),
  }, async (server, as) => {
    // The manual paste flow: the redirect lands on https://platform.claude.com/…; the user pastes
    // code#state and the CLI posts JSON.
    const redirectUri = "https://platform.claude.com/oauth/code/callback";
    const { verifier, challenge } = await pkce();
    const landing = await server.approve(authorizationUrl(as, {
      clientId: CLI.client_id,
      redirectUri,
      challenge,
      state: "st-json",
      scope: "org:create_api_key user:profile user:inference",
    }, { code: "true" }));
    const pasted = `${landing.searchParams.get("code")}#${landing.searchParams.get("state")}`;
    const [code, state] = pasted.split("#");
    const post = (body: unknown) =>
      fetch(server.tokenUrl, {
        method: "POST",
        headers: { "content-type": "application/json", accept: "application/json" },
        body: JSON.stringify(body),
      }).then(async (r) => ({ status: r.status, body: await r.json() }));

    const exchanged = await post({
      grant_type: "authorization_code",
      code,
      redirect_uri: redirectUri,
      client_id: CLI.client_id,
      code_verifier: verifier,
      state,
    });
    assertEquals(exchanged.status, 200, JSON.stringify(exchanged.body));
    assert(exchanged.body.access_token && exchanged.body.refresh_token);
    assertEquals(exchanged.body.expires_in, 3600);
    assertEquals(exchanged.body.id_token, undefined, "no id_token without openid");
    assertEquals(exchanged.body.account, { uuid: "acct-uuid-1", email_address: "ada@example.com" });
    assertEquals(exchanged.body.scope, "org:create_api_key user:profile user:inference");

    const refreshed = await post({
      grant_type: "refresh_token",
      refresh_token: exchanged.body.refresh_token,
      client_id: CLI.client_id,
    });
    assertEquals(refreshed.status, 200, JSON.stringify(refreshed.body));
    assert(refreshed.body.refresh_token !== exchanged.body.refresh_token);
    const reused = await post({
      grant_type: "refresh_token",
      refresh_token: exchanged.body.refresh_token,
      client_id: CLI.client_id,
    });
    assertEquals([reused.status, reused.body.error], [400, "invalid_grant"]);
    const notJson = await fetch(server.tokenUrl, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: "{not json",
    });
    assertEquals([notJson.status, (await notJson.json()).error], [400, "invalid_request"]);

    // Google's installed-app client: any loopback port, secret in the form.
    const gClient: oauth.Client = { client_id: google.client_id };
    const gRedirect = "http://127.0.0.1:39271/oauth2callback";
    const g = await pkce();
    const gLanding = await server.approve(
      authorizationUrl(as, {
        clientId: google.client_id,
        redirectUri: gRedirect,
        challenge: g.challenge,
        state: "st-g",
        scope: "https://www.googleapis.com/auth/cloud-platform openid email",
      }, { access_type: "offline", prompt: "consent" }),
    );
    const gParams = oauth.validateAuthResponse(as, gClient, gLanding, "st-g");
    const wrongSecret = await oauth.authorizationCodeGrantRequest(
      as,
      gClient,
      oauth.ClientSecretPost("wrong"),
      gParams,
      gRedirect,
      g.verifier,
      insecure,
    );
    assertEquals([wrongSecret.status, (await wrongSecret.json()).error], [401, "invalid_client"]);
    const gTokens = await oauth.processAuthorizationCodeResponse(
      as,
      gClient,
      await oauth.authorizationCodeGrantRequest(
        as,
        gClient,
        oauth.ClientSecretPost(google.client_secret!),
        gParams,
        gRedirect,
        g.verifier,
        insecure,
      ),
    );
    assert(gTokens.refresh_token);
    assertEquals(oauth.getValidatedIdTokenClaims(gTokens)?.email, "ada@example.com");
    assertEquals(server.grants.map((x) => [x.grantType, x.clientId]), [
      ["authorization_code", CLI.client_id],
      ["refresh_token", CLI.client_id],
      ["authorization_code", google.client_id],
    ]);
  });
});

async function startDevice(as: oauth.AuthorizationServer, scope = "openid email") {
  const client: oauth.Client = { client_id: CLI.client_id };
  const device = await oauth.processDeviceAuthorizationResponse(
    as,
    client,
    await oauth.deviceAuthorizationRequest(as, client, oauth.None(), { scope }, insecure),
  );
  const poll = async () =>
    oauth.processDeviceCodeResponse(
      as,
      client,
      await oauth.deviceCodeGrantRequest(as, client, oauth.None(), device.device_code, insecure),
    );
  return { device, poll };
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

Deno.test("oauth harness: device flow with oauth4webapi, pending → slow_down → approved", async () => {
  await withServer(
    { deviceInterval: 1, slowDownIncrementSeconds: 1 },
    async (server, as) => {
      const { device, poll } = await startDevice(as);
      assertEquals(device.interval, 1);
      assertEquals(device.expires_in, 600);
      assertEquals(device.verification_uri, server.verificationUrl);
      assertMatch(device.user_code, /^[A-Z]{4}-[A-Z]{4}$/);

      await expectOAuthError(poll(), "authorization_pending");
      await expectOAuthError(poll(), "slow_down"); // at once: too soon
      await server.approveDevice(device.user_code, { login: "linus@example.com" });
      await sleep(2_000); // interval 1 s + the 1 s slow_down added
      const tokens = await poll();
      assert(tokens.access_token && tokens.refresh_token);
      assertEquals(oauth.getValidatedIdTokenClaims(tokens)?.email, "linus@example.com");
      assertEquals(server.tokenErrors.map((e) => e.error), ["authorization_pending", "slow_down"]);
      assertEquals(server.grants.map((g) => g.grantType), [
        "urn:ietf:params:oauth:grant-type:device_code",
      ]);
      // A device code is single use.
      await sleep(2_000);
      await expectOAuthError(poll(), "invalid_grant");
    },
  );
});

Deno.test("oauth harness: device flow denied → access_denied", async () => {
  await withServer({ deviceInterval: 1 }, async (server, as) => {
    const { device, poll } = await startDevice(as);
    await server.approveDevice(device.user_code, { deny: true });
    await expectOAuthError(poll(), "access_denied");
    assertEquals(server.tokenErrors, [{
      error: "access_denied",
      grantType: "urn:ietf:params:oauth:grant-type:device_code",
    }]);
  });
});

Deno.test("oauth harness: device code past its TTL → expired_token", async () => {
  await withServer({ deviceInterval: 1, deviceCodeTtlSeconds: 1 }, async (server, as) => {
    const { device, poll } = await startDevice(as);
    assertEquals(device.expires_in, 1);
    await sleep(2_100);
    await expectOAuthError(poll(), "expired_token");
    let message = "";
    await server.approveDevice(device.user_code).catch((error) => message = String(error));
    assertMatch(message, /not accepted/);
  });
});

browserTest(
  "oauth harness: Chromium clicks through the real pages to a loopback callback",
  async () => {
    const received: URL[] = [];
    const callback = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen() {} }, (request) => {
      const url = new URL(request.url);
      received.push(url);
      const text = url.searchParams.has("code")
        ? "Login complete. You can close this window."
        : `Login failed: ${url.searchParams.get("error")}`;
      return new Response(`<!doctype html><p>${text}</p>`, {
        headers: { "content-type": "text/html" },
      });
    });
    const redirectUri = `http://127.0.0.1:${callback.addr.port}/callback`;
    try {
      await withServer({
        clients: [{ ...CLI, redirect_uris: [...CLI.redirect_uris, redirectUri] }],
        deviceInterval: 1,
      }, async (server, as) => {
        const client: oauth.Client = { client_id: CLI.client_id };
        await withBrowser(async (page) => {
          // Deny first (login, then Cancel at consent) …
          const denied = await approveInBrowser(
            page,
            authorizationUrl(as, {
              clientId: client.client_id,
              redirectUri,
              challenge: (await pkce()).challenge,
              state: "st-deny",
              scope: "openid email",
            }),
            { deny: true, login: "ken@example.com" },
          );
          assertEquals(denied.url.searchParams.get("error"), "access_denied");
          assertMatch(denied.text, /Login failed: access_denied/);

          // … then approve in the same browser session.
          const { verifier, challenge } = await pkce();
          const state = oauth.generateRandomState();
          const landing = await approveInBrowser(
            page,
            authorizationUrl(as, {
              clientId: client.client_id,
              redirectUri,
              challenge,
              state,
              scope: "openid email offline_access",
            }, { prompt: "login" }),
            { login: "ken@example.com" },
          );
          assertEquals(landing.url.origin + landing.url.pathname, redirectUri);
          assertEquals([landing.status, landing.blocked], [200, false]);
          assertMatch(landing.text, /Login complete/);
          const got = received.at(-1)!;
          assertEquals(got.searchParams.get("state"), state);
          assertEquals(got.searchParams.get("code"), landing.url.searchParams.get("code"));
          const tokens = await oauth.processAuthorizationCodeResponse(
            as,
            client,
            await oauth.authorizationCodeGrantRequest(
              as,
              client,
              oauth.None(),
              oauth.validateAuthResponse(as, client, got, state),
              redirectUri,
              verifier,
              insecure,
            ),
          );
          assertEquals(oauth.getValidatedIdTokenClaims(tokens)?.sub, "ken@example.com");

          // A non-loopback redirect_uri is never fetched: the browser cannot resolve its name.
          const manual = await approveInBrowser(
            page,
            authorizationUrl(as, {
              clientId: client.client_id,
              redirectUri: "https://platform.claude.com/oauth/code/callback",
              challenge,
              state: "st-manual",
              scope: "user:inference",
            }, { code: "true" }),
          );
          assertEquals(manual.url.host, "platform.claude.com");
          assert(manual.url.searchParams.get("code"));
          assertEquals([manual.blocked, manual.text], [true, ""]);
          assertEquals(manual.url.searchParams.get("state"), "st-manual");

          // Device flow through the browser (verification_uri_complete posts the code itself).
          const { device, poll } = await startDevice(as);
          const done = await approveDeviceInBrowser(
            page,
            device.verification_uri_complete!,
            undefined,
          );
          assertMatch(done, /Sign-in Success/);
          const deviceTokens = await poll();
          assertEquals(oauth.getValidatedIdTokenClaims(deviceTokens)?.sub, "ken@example.com");
          assertEquals(server.grants.map((g) => g.grantType), [
            "authorization_code",
            "urn:ietf:params:oauth:grant-type:device_code",
          ]);
        });
      });
    } finally {
      await callback.shutdown();
    }
  },
);
