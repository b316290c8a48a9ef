/**
 * @module
 * A token endpoint whose refresh tokens work once, as Claude's and Codex's
 * do: each refresh spends the token it was given and issues the next
 * (`rt-1`, `rt-2` …), and a spent token gets `invalid_grant`. It rotates
 * when the request arrives, before it answers, so an answer that never
 * arrives (a client killed while waiting) loses the new token, as with the
 * real servers. Answers can be spoilt after the rotation to test what a
 * client keeps, slowed down, or made to wait for the test.
 */

export interface TokenServer {
  url: string;
  tokenUrl: string;
  issuer: string;
  /** The refresh token the server accepts now (the last one issued). */
  current(): string;
  /** Makes `token` the one accepted (a fresh login). */
  accept(token: string): void;
  /** Refresh requests received, and how many came with a spent token. */
  requests: number;
  reused: number;
  /** Whether the server issued this access token (or it is the login's first). */
  issuedAccess(token: string): boolean;
  close(): Promise<void>;
}

export interface TokenServerOptions {
  clientId: string;
  /** The refresh token the account starts with. */
  initial: string;
  /** Changes the good answer after the rotation (to make it fail a client's checks). */
  spoil?: (answer: Record<string, unknown>) => Record<string, unknown>;
  /** Waits this long before answering. */
  delayMs?: number;
  /** Runs after the rotation, before the answer (the test fills a disk, say). */
  beforeAnswer?: () => Promise<void> | void;
  /** The access tokens' lifetime in seconds (3600 by default). */
  expiresIn?: number;
  /**
   * The first refresh request hangs, without rotating, until its client goes away (a token
   * server that stalls before doing anything); later ones are answered.
   */
  holdFirst?: boolean;
  /** Leave the id_token out of answers. */
  noIdToken?: boolean;
}

const b64 = (value: unknown) =>
  btoa(JSON.stringify(value)).replace(/=+$/, "")
    .replace(/\+/g, "-").replace(/\//g, "_");

/** An id_token as the token endpoint would sign it (the signature is not checked by clients). */
export function idToken(claims: Record<string, unknown>): string {
  return `${b64({ alg: "RS256", typ: "JWT" })}.${b64(claims)}.c2lnbmF0dXJl`;
}

async function formOrJson(request: Request): Promise<Record<string, string>> {
  const text = await request.text();
  if (text.trim().startsWith("{")) return JSON.parse(text);
  return Object.fromEntries(new URLSearchParams(text));
}

export function startTokenServer(options: TokenServerOptions): TokenServer {
  let current = options.initial;
  let issued = 0;
  const state = { requests: 0, reused: 0 };
  const access = new Set<string>(["at-0"]);
  let held = false;
  let issuer = "";
  const server = Deno.serve({ hostname: "127.0.0.1", port: 0, onListen: () => {} }, async (req) => {
    const form = await formOrJson(req);
    if (form.grant_type !== "refresh_token") {
      return Response.json({ error: "unsupported_grant_type" }, { status: 400 });
    }
    state.requests++;
    if (options.holdFirst && !held) {
      held = true;
      await new Promise<void>((resolve) => req.signal.addEventListener("abort", () => resolve()));
      return Response.json({ error: "temporarily_unavailable" }, { status: 503 });
    }
    if (form.refresh_token !== current) {
      state.reused++;
      return Response.json({ error: "invalid_grant" }, { status: 400 });
    }
    issued++;
    current = `rt-${issued}`;
    const now = Math.floor(Date.now() / 1000);
    access.add(`at-${issued}`);
    const good: Record<string, unknown> = {
      access_token: `at-${issued}`,
      refresh_token: current,
      token_type: "Bearer",
      expires_in: options.expiresIn ?? 3600,
      id_token: idToken({
        iss: issuer,
        aud: options.clientId,
        sub: "user-1",
        iat: now,
        exp: now + 3600,
        email: "grace@example.com",
      }),
    };
    if (options.noIdToken) delete good.id_token;
    await options.beforeAnswer?.();
    if (options.delayMs) await new Promise((resolve) => setTimeout(resolve, options.delayMs));
    return Response.json(options.spoil ? options.spoil(good) : good);
  });
  const url = `http://127.0.0.1:${server.addr.port}`;
  issuer = url;
  return {
    url,
    tokenUrl: `${url}/oauth/token`,
    issuer,
    current: () => current,
    accept(token) {
      current = token;
    },
    get requests() {
      return state.requests;
    },
    get reused() {
      return state.reused;
    },
    issuedAccess: (token) => access.has(token),
    close: () => server.shutdown(),
  };
}
