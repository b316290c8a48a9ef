/**
 * @module
 * `subgate statusline`: a command for Claude Code's `statusLine` setting. Claude Code runs it
 * whenever the conversation changes (at most every 300 ms) with a JSON object about its session
 * on stdin (`session_id`, `model` {`id`, `display_name`}, `workspace`, `cost`, …) and shows the
 * first line it prints. This prints where the session's last request went and how much of that
 * account's plan is left:
 *
 *     claude ada@example.com · claude-opus-4-8 · 5h 42% (resets 1h12m)
 *
 * read from the running server's management API on loopback: the session's requests
 * (`GET /manage/requests?session=`, recorded from Claude Code's `x-claude-code-session-id`) and
 * the account's plan windows (`GET /manage/quota`). The server is found as `subgate run` finds
 * it (`--url`, the state file's URL, the configured address); the management key, when one is
 * configured, comes from the config or `SUBGATE_MANAGEMENT_KEY`.
 *
 * It runs often, so `main.ts` loads only this module's imports (no server, no pipeline), every
 * call on the network has a short deadline, and it never fails loudly: with no server, no request
 * of the session yet, or any error, it prints a short neutral line and exits 0. A management key
 * the server refuses is not sent again for 15 minutes (noted in the auth dir), so a status line
 * refreshing every few hundred milliseconds cannot lock this machine out of the management API.
 */
import { join } from "node:path";
import type { Config } from "../config/config-types.ts";
import { ConfigError, loadConfig, locateConfig } from "../config/load-config.ts";
import { readRegularFile } from "../fs/read-regular-file.ts";
import { writeFileAtomic } from "../fs/write-file-atomic.ts";
import { printable } from "../log/printable.ts";
import { matchesModel } from "../models/match-model.ts";
import type { RequestView } from "../server/manage/request-log.ts";
import type { AccountQuota, QuotaWindow } from "../server/manage/sources.ts";
import { findServer } from "./find-server.ts";
import { span } from "./format-duration.ts";

/** What `statusline` is told on its command line. */
export interface StatuslineOptions {
  configPath?: string;
  authDir?: string;
  /** The subgate to ask (what `subgate run` passes: the session's server). */
  url?: string;
}

/** The neutral lines: short, and never an error's text. */
export const NEUTRAL = {
  notRunning: "subgate · not running",
  noRequests: "subgate · no requests yet",
  refused: "subgate · management key refused",
  keyNeeded: "subgate · management key needed",
  failed: "subgate",
} as const;

/** How long each step may take: the probe, each management call, reading stdin. */
const PROBE_MS = 300;
const CALL_MS = 600;
const STDIN_MS = 500;
const STDIN_MAX = 1 << 20;
/** How many of the session's last requests are looked through for the main model's. */
const LOOKED_AT = 20;
/** A refused management key is not sent again for this long (the lockout's window). */
const REFUSED_MS = 15 * 60_000;
const REFUSED_FILE = ".statusline-refused";

/** What Claude Code says of its session, as far as the status line needs it. */
export interface SessionInput {
  sessionId?: string;
  /** Its main model (`model.id`, without a `[1m]`-style suffix). */
  model?: string;
}

/** The session and model from Claude Code's JSON; nothing for anything else. */
export function sessionInput(text: string): SessionInput {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    return {};
  }
  if (!parsed || typeof parsed !== "object") return {};
  const { session_id: sessionId, model } = parsed as Record<string, unknown>;
  const id = model && typeof model === "object" ? (model as Record<string, unknown>).id : undefined;
  return {
    sessionId: typeof sessionId === "string" && sessionId !== "" ? sessionId : undefined,
    model: typeof id === "string" ? id.replace(/\[[^\]]*\]$/, "") : undefined,
  };
}

/** stdin, up to 1 MiB and half a second; nothing from a terminal (a person trying it out). */
async function readStdin(): Promise<string> {
  if (Deno.stdin.isTerminal()) return "";
  const reader = Deno.stdin.readable.getReader();
  const timer = setTimeout(() => reader.cancel().catch(() => {}), STDIN_MS);
  const chunks: Uint8Array[] = [];
  let size = 0;
  try {
    while (size < STDIN_MAX) {
      const { value, done } = await reader.read();
      if (done) break;
      chunks.push(value);
      size += value.length;
    }
  } catch {
    // What arrived is all there is.
  } finally {
    clearTimeout(timer);
  }
  const bytes = new Uint8Array(size);
  let at = 0;
  for (const chunk of chunks) {
    bytes.set(chunk, at);
    at += chunk.length;
  }
  return new TextDecoder().decode(bytes);
}

/**
 * The request the status line is about: the newest of the session's that reached an account and
 * asked for its main model (Claude Code's side requests use a smaller one), else its newest.
 */
export function pickRequest(
  requests: readonly RequestView[],
  model: string | undefined,
): RequestView | undefined {
  const routed = requests.filter((request) => request.account);
  return routed.find((request) => model !== undefined && request.requestedModel === model) ??
    routed[0] ?? requests[0];
}

/**
 * The window nearest its limit among those that limit `model` and have not reset yet: enforced
 * ones before advisory ones, the most used first, the sooner reset on a tie.
 */
export function tightestWindow(
  windows: readonly QuotaWindow[],
  model: string,
  now: number,
): QuotaWindow | undefined {
  const current = windows.filter((window) =>
    (!window.resetsAt || Date.parse(window.resetsAt) > now) &&
    (!window.models || window.models.some((pattern) => matchesModel(pattern, model)))
  );
  const enforced = current.filter((window) => !window.advisory);
  const reset = (window: QuotaWindow) =>
    window.resetsAt ? Date.parse(window.resetsAt) : Number.POSITIVE_INFINITY;
  return (enforced.length ? enforced : current).sort((a, b) =>
    b.usedPercent - a.usedPercent || reset(a) - reset(b)
  )[0];
}

/** `1h12m`, `3d4h`, `<1m`. */
const compactSpan = (ms: number) => span(ms).replace(" ", "");

/** The line for a request and its account's windows. */
export function statusText(
  request: RequestView,
  windows: readonly QuotaWindow[] | undefined,
  now = Date.now(),
): string {
  const model = request.servedModel ?? request.requestedModel;
  const parts = [
    request.account ? `${request.account.provider} ${request.account.label}` : "subgate",
    model,
  ];
  if (request.status >= 400 && request.status !== 499) parts.push(`failed ${request.status}`);
  const window = windows && tightestWindow(windows, model, now);
  if (window) {
    const resets = window.resetsAt
      ? ` (resets ${compactSpan(Date.parse(window.resetsAt) - now)})`
      : "";
    parts.push(`${window.name} ${Math.round(window.usedPercent)}%${resets}`);
  }
  return printable(parts.join(" · "));
}

/** A short fingerprint of the key, so the note of a refusal holds no key. */
async function fingerprint(key: string): Promise<string> {
  const digest = await crypto.subtle.digest("SHA-256", new TextEncoder().encode(key));
  return [...new Uint8Array(digest).slice(0, 8)].map((b) => b.toString(16).padStart(2, "0"))
    .join("");
}

async function refusedBefore(authDir: string, key: string): Promise<boolean> {
  try {
    const read = await readRegularFile(join(authDir, REFUSED_FILE), {
      inside: { dir: authDir, label: "the auth dir" },
    });
    if (!read.ok) return false;
    const note = JSON.parse(read.text);
    return note?.key === await fingerprint(key) && typeof note.until === "number" &&
      note.until > Date.now();
  } catch {
    return false;
  }
}

async function noteRefused(authDir: string, key: string): Promise<void> {
  const note = { key: await fingerprint(key), until: Date.now() + REFUSED_MS };
  await writeFileAtomic(join(authDir, REFUSED_FILE), JSON.stringify(note)).catch(() => {});
}

/** The management API would not answer (its status: 401, 403 or 429). */
class Refused extends Error {
  constructor(readonly status: number) {
    super(`refused with ${status}`);
  }
}

/** One management call's JSON; `Refused` when access is refused, an error for anything else. */
async function manage(url: string, path: string, key: string | undefined): Promise<unknown> {
  const response = await fetch(`${url}${path}`, {
    headers: key ? { authorization: `Bearer ${key}` } : {},
    signal: AbortSignal.timeout(CALL_MS),
  });
  if (response.status === 401 || response.status === 403 || response.status === 429) {
    await response.body?.cancel();
    throw new Refused(response.status);
  }
  if (!response.ok) {
    await response.body?.cancel();
    throw new Error(`status ${response.status}`);
  }
  return await response.json();
}

/** The status line for a session, from the server `config` and `url` describe. */
async function lineFor(input: SessionInput, config: Config, flagUrl?: string): Promise<string> {
  const found = await findServer(config, flagUrl, PROBE_MS);
  if (!found.found) return NEUTRAL.notRunning;
  if (!input.sessionId) return NEUTRAL.noRequests;
  const key = config.managementKey;
  if (key && await refusedBefore(config.authDir, key)) return NEUTRAL.refused;
  try {
    const session = encodeURIComponent(input.sessionId);
    const answer = await manage(
      found.url,
      `/manage/requests?session=${session}&limit=${LOOKED_AT}`,
      key,
    ) as { requests?: RequestView[] };
    const request = pickRequest(answer.requests ?? [], input.model);
    if (!request) return NEUTRAL.noRequests;
    let windows: QuotaWindow[] | undefined;
    if (request.account) {
      // A server without quota tracking answers 501: the line goes without a window.
      const quota = await manage(found.url, "/manage/quota", key).catch((error) => {
        if (error instanceof Refused) throw error;
        return undefined;
      }) as { accounts?: AccountQuota[] } | undefined;
      windows = quota?.accounts?.find((entry) => entry.accountId === request.account!.id)
        ?.windows;
    }
    return statusText(request, windows);
  } catch (error) {
    if (!(error instanceof Refused)) return NEUTRAL.failed;
    if (!key) return NEUTRAL.keyNeeded;
    // Only a wrong key counts towards the lockout; a lockout (429) is already the server's.
    if (error.status === 401) await noteRefused(config.authDir, key);
    return NEUTRAL.refused;
  }
}

/** Runs the status line: prints one line, and always exits 0. */
export async function statuslineCommand(options: StatuslineOptions): Promise<number> {
  let line: string;
  try {
    const input = sessionInput(await readStdin());
    const location = locateConfig(options.configPath, options.authDir);
    const overrides = options.authDir === undefined ? {} : { authDir: options.authDir };
    const { config } = await loadConfig(location, overrides);
    line = await lineFor(input, config, options.url);
  } catch (error) {
    line = error instanceof ConfigError ? "subgate · config error" : NEUTRAL.failed;
  }
  console.log(line);
  return 0;
}

const FLAGS: Record<string, keyof StatuslineOptions> = {
  "--config": "configPath",
  "--auth-dir": "authDir",
  "--url": "url",
};

/**
 * The options after `statusline` (`--url U`, `--url=U`, `--config`, `--auth-dir`), or undefined
 * for anything else: the full command line parser then says what is wrong.
 */
export function statuslineOptions(args: readonly string[]): StatuslineOptions | undefined {
  const options: StatuslineOptions = {};
  for (let i = 0; i < args.length; i++) {
    const [flag, inline] = args[i].startsWith("--") && args[i].includes("=")
      ? [args[i].slice(0, args[i].indexOf("=")), args[i].slice(args[i].indexOf("=") + 1)]
      : [args[i], undefined];
    const name = FLAGS[flag];
    const value = inline ?? args[++i];
    if (!name || value === undefined || value.trim() === "") return undefined;
    options[name] = value;
  }
  return options;
}
