/**
 * @module
 * `/manage/logins`: logins the server runs for someone elsewhere
 * (`auth/server-login.ts`). `POST` starts one and answers at once with what
 * the person needs (a device code, or an address and what to paste back);
 * `GET /manage/logins/{id}` says how it goes (pending, done with the account,
 * failed with the reason); `POST .../callback` takes the pasted `code#state`
 * or final address; `DELETE` cancels. One login per provider at a time. A
 * login waits 10 minutes at most (less when its device code expires first),
 * and is forgotten 30 minutes after it ends. The account appears in the pool
 * when the auth dir's watcher picks its file up (`live`).
 */
import { type Context, Hono } from "hono";
import { type ServerLogin, startServerLogin } from "../../auth/server-login.ts";
import type { LoginFlow } from "../../auth/login-options.ts";
import { apiError } from "../../errors/api-error.ts";
import { LoginError } from "../../oauth/login-error.ts";
import { resolveEndpoints } from "../../oauth/login-spec.ts";
import { isProviderId, PROVIDER_IDS, PROVIDERS } from "../../providers/registry.ts";
import type { ServerEnv } from "../server-env.ts";
import { logChange } from "./audit.ts";
import type { RouteContext } from "./context.ts";
import { jsonBody, optionalString } from "./json-body.ts";

export const LOGIN_TIMEOUT_MS = 10 * 60_000;
const KEPT_AFTER_END_MS = 30 * 60_000;
const FLOWS: readonly LoginFlow[] = ["device", "browser", "manual"];

interface Entry {
  id: string;
  provider: string;
  startedAt: number;
  endedAt?: number;
  login: ServerLogin;
}

const iso = (time: number) => new Date(time).toISOString().replace(/\.\d{3}Z$/, "Z");

export interface LoginRoutes {
  routes: Hono<ServerEnv>;
  /** Cancels every pending login (the server is stopping). */
  close(): void;
}

export function loginRoutes(context: RouteContext): LoginRoutes {
  const logins = new Map<string, Entry>();
  const forget = () => {
    const now = Date.now();
    for (const [id, entry] of logins) {
      if (entry.endedAt !== undefined && now - entry.endedAt > KEPT_AFTER_END_MS) logins.delete(id);
    }
  };

  const view = (entry: Entry) => {
    const { login } = entry;
    const state = login.state();
    const accountId = state.status === "done" ? `file:${state.result.file}` : undefined;
    return {
      id: entry.id,
      provider: entry.provider,
      flow: login.flow,
      status: state.status,
      startedAt: iso(entry.startedAt),
      expiresAt: iso(login.expiresAt),
      endedAt: entry.endedAt === undefined ? undefined : iso(entry.endedAt),
      device: login.device,
      authorize: login.authorize,
      account: state.status === "done" ? state.result.account : undefined,
      accountId,
      file: state.status === "done" ? state.result.file : undefined,
      /** The pool serves the account now. */
      live: accountId ? context.accounts().some((a) => a.id === accountId) : undefined,
      error: state.status === "failed" ? { step: state.step, reason: state.reason } : undefined,
      notes: login.notes(),
    };
  };

  const named = (c: Context<ServerEnv>): Entry => {
    forget();
    const entry = logins.get(c.req.param("id") ?? "");
    if (!entry) {
      throw apiError(
        "not_found",
        `No login '${c.req.param("id")}' (logins are forgotten 30 min after they end).`,
      );
    }
    return entry;
  };

  const start = async (c: Context<ServerEnv>) => {
    const body = await jsonBody(c);
    const name = optionalString(body, "provider")?.toLowerCase();
    if (!name || !isProviderId(name)) {
      throw apiError(
        "invalid_request",
        `provider: required, one of ${PROVIDER_IDS.join(", ")}.`,
      );
    }
    const provider = PROVIDERS[name];
    const spec = provider.login;
    const asked = optionalString(body, "flow");
    if (asked !== undefined && !FLOWS.includes(asked as LoginFlow)) {
      throw apiError("invalid_request", `flow: one of ${FLOWS.join(", ")}.`);
    }
    const flow = (asked ?? spec.defaultFlow) as LoginFlow;
    const callbackPort = body.callbackPort;
    if (
      callbackPort !== undefined &&
      (typeof callbackPort !== "number" || !Number.isInteger(callbackPort) ||
        callbackPort < 1 || callbackPort > 65535)
    ) {
      throw apiError("invalid_request", "callbackPort: a port number from 1 to 65535.");
    }
    forget();
    const running = [...logins.values()].find((entry) =>
      entry.provider === name && entry.login.state().status === "pending"
    );
    if (running) {
      throw apiError(
        "invalid_request",
        `A ${provider.title} login is already in progress (${running.id}, started ${
          iso(running.startedAt)
        }): finish it, or cancel it with DELETE /manage/logins/${running.id}.`,
        { status: 409 },
      );
    }
    const config = context.config();
    let login: ServerLogin;
    try {
      login = await startServerLogin({
        provider: provider.id,
        title: provider.title,
        spec,
        endpoints: resolveEndpoints(
          spec,
          { baseUrl: provider.baseUrl, apiUrl: provider.apiUrl },
          config.providers[provider.id],
        ),
        authDir: config.authDir,
        backend: context.backend,
        flow,
        timeoutMs: LOGIN_TIMEOUT_MS,
        callbackPort: callbackPort as number | undefined,
      });
    } catch (error) {
      if (!(error instanceof LoginError)) throw error;
      const unsupported = error.step === "device" && !spec.device ||
        error.step === "callback" && !spec.callback;
      throw apiError(
        unsupported ? "invalid_request" : "api_error",
        `Cannot start the ${provider.title} login: ${error.message}`,
        { status: unsupported ? 400 : 502 },
      );
    }
    const entry: Entry = {
      id: `login-${crypto.randomUUID().slice(0, 8)}`,
      provider: name,
      startedAt: Date.now(),
      login,
    };
    logins.set(entry.id, entry);
    logChange(c, context.log, "login started", { provider: name, flow, login: entry.id });
    login.finished.then((state) => {
      entry.endedAt = Date.now();
      context.log.info(
        state.status === "done" ? "login finished" : "login failed",
        {
          provider: name,
          login: entry.id,
          account: state.status === "done" ? state.result.account : undefined,
          reason: state.status === "failed" ? state.reason : undefined,
        },
      );
    });
    return c.json({ login: view(entry), terms: spec.termsNote }, 201);
  };

  const routes = new Hono<ServerEnv>()
    .get("/manage/logins", (c) => {
      forget();
      return c.json({ logins: [...logins.values()].map(view) });
    })
    .post("/manage/logins", start)
    .get("/manage/logins/:id", (c) => c.json({ login: view(named(c)) }))
    .post("/manage/logins/:id/callback", async (c) => {
      const entry = named(c);
      if (entry.login.state().status !== "pending") {
        throw apiError("invalid_request", `Login ${entry.id} has already ended.`, { status: 409 });
      }
      if (!entry.login.authorize) {
        throw apiError(
          "invalid_request",
          `Login ${entry.id} is a device login: it ends when the code is approved.`,
          { status: 409 },
        );
      }
      const body = await jsonBody(c);
      const pasted = optionalString(body, "url") ?? optionalString(body, "code");
      if (!pasted) {
        throw apiError(
          "invalid_request",
          `Send {"url": "<the address the browser ended on>"} or {"code": "<code#state>"}.`,
        );
      }
      try {
        await entry.login.deliver(pasted);
      } catch (error) {
        if (error instanceof LoginError) throw apiError("invalid_request", error.message);
        throw error;
      }
      logChange(c, context.log, "login callback pasted", {
        provider: entry.provider,
        login: entry.id,
      });
      return c.json({ login: view(entry) });
    })
    .delete("/manage/logins/:id", async (c) => {
      const entry = named(c);
      if (entry.login.state().status === "pending") {
        entry.login.cancel("cancelled through the management API");
        await entry.login.finished;
        logChange(c, context.log, "login cancelled", { provider: entry.provider, login: entry.id });
      }
      return c.json({ login: view(entry) });
    });

  return {
    routes,
    close() {
      for (const entry of logins.values()) entry.login.cancel("the server is stopping");
    },
  };
}
