/**
 * @module
 * The loopback listener a browser login returns to. Binds 127.0.0.1 only,
 * checks `state`, answers with a short page, and gives up after a timeout.
 */
import { LoginError } from "../oauth/login-error.ts";

export interface CallbackOptions {
  provider: string;
  port: number;
  path: string;
  expectedState: string;
  timeoutMs: number;
  /**
   * Whether to serve the callback on 127.0.0.1: `required` (the CLI's browser login: a busy port
   * ends the login), `optional` (a login the server runs: a busy port leaves pasting the address),
   * `never` (the address or code is only ever pasted).
   */
  listen?: "required" | "optional" | "never";
  /** What to say when nothing arrives in time; the CLI's advice by default. */
  timedOutMessage?: string;
  /** Runs the code exchange; its error becomes the failure page. */
  onCode(parameters: URLSearchParams): Promise<string>;
}

export interface CallbackListener {
  /** Resolves with what `onCode` returned (the account), or rejects with a LoginError. */
  done: Promise<string>;
  /** Hands in parameters from elsewhere (a pasted callback URL). */
  deliver(parameters: URLSearchParams): Promise<string>;
  /** Whether the callback is served on 127.0.0.1 (or only pasting completes the login). */
  listening: boolean;
  close(): Promise<void>;
}

function page(title: string, message: string, ok: boolean): Response {
  const color = ok ? "#1a7f37" : "#cf222e";
  const escape = (text: string) =>
    text.replace(/[&<>"]/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;" })[c]!);
  const html =
    `<!doctype html><html><head><meta charset="utf-8"><title>subgate: ${
      escape(title)
    }</title></head><body style="font-family:system-ui;max-width:36em;margin:4em auto">` +
    `<h1 style="color:${color}">${escape(title)}</h1><p>${escape(message)}</p></body></html>`;
  return new Response(html, {
    status: ok ? 200 : 400,
    headers: { "content-type": "text/html; charset=utf-8", "cache-control": "no-store" },
  });
}

/** Why the redirect's parameters end the login without a code exchange, if they do. */
function refusal(options: CallbackOptions, parameters: URLSearchParams): LoginError | undefined {
  if (parameters.get("state") !== options.expectedState) {
    return new LoginError(
      options.provider,
      "state",
      "the browser returned a different state than this login sent (a stale tab or a forged " +
        "redirect); nothing was saved. Run the login again.",
    );
  }
  const denied = parameters.get("error");
  if (!denied) return undefined;
  const description = parameters.get("error_description");
  return new LoginError(
    options.provider,
    "consent",
    denied === "access_denied"
      ? "access was denied in the browser; nothing was saved."
      : `the provider answered ${denied}${description ? `: ${description}` : ""}`,
  );
}

/** Serves the callback path on 127.0.0.1, answering the browser with a short page. */
function serveCallback(
  options: CallbackOptions,
  handle: (parameters: URLSearchParams) => Promise<string>,
): Deno.HttpServer {
  try {
    return Deno.serve({
      hostname: "127.0.0.1",
      port: options.port,
      onListen: () => {},
    }, async (request) => {
      const url = new URL(request.url);
      if (url.pathname !== options.path) {
        return page("Not found", "This is subgate's login listener.", false);
      }
      try {
        const account = await handle(url.searchParams);
        return page(
          "Logged in",
          `subgate is logged in to ${options.provider} as ${account}. You can close this tab.`,
          true,
        );
      } catch (error) {
        return page("Login failed", (error as Error).message, false);
      }
    });
  } catch (error) {
    if (error instanceof Deno.errors.AddrInUse) {
      throw new LoginError(
        options.provider,
        "callback",
        `port ${options.port} on 127.0.0.1 is busy (another login still running?). Free it, ` +
          `or pass --callback-port N; the provider must accept that redirect port.`,
      );
    }
    throw error;
  }
}

function timedOut(options: CallbackOptions): LoginError {
  if (options.timedOutMessage) {
    return new LoginError(options.provider, "timeout", options.timedOutMessage);
  }
  return new LoginError(
    options.provider,
    "timeout",
    `no answer from the browser within ${Math.round(options.timeoutMs / 1000)} s. Run the ` +
      `login again; on a machine without a browser use --no-browser (and paste the address ` +
      `your browser ends on) or --device where the provider has it.`,
  );
}

export function listenForCallback(options: CallbackOptions): CallbackListener {
  let settle!: { resolve(account: string): void; reject(error: Error): void };
  const done = new Promise<string>((resolve, reject) => settle = { resolve, reject });
  // The first of a callback, a pasted address or the timeout ends the login.
  let finished = false;

  const handle = async (parameters: URLSearchParams): Promise<string> => {
    if (finished) throw new LoginError(options.provider, "callback", "this login already ended");
    finished = true;
    const refused = refusal(options, parameters);
    if (refused) {
      settle.reject(refused);
      throw refused;
    }
    try {
      const account = await options.onCode(parameters);
      settle.resolve(account);
      return account;
    } catch (error) {
      settle.reject(error as Error);
      throw error;
    }
  };

  let server: Deno.HttpServer | undefined;
  const listen = options.listen ?? "required";
  if (listen !== "never") {
    try {
      server = serveCallback(options, handle);
    } catch (error) {
      if (listen === "required") throw error;
    }
  }
  const timer = setTimeout(() => {
    if (finished) return;
    finished = true;
    settle.reject(timedOut(options));
  }, options.timeoutMs);

  return {
    done,
    deliver: handle,
    listening: server !== undefined,
    async close() {
      clearTimeout(timer);
      await server?.shutdown();
    },
  };
}
