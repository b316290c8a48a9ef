/**
 * @module
 * What the pipeline reports about each request to whoever listens (the usage
 * ledger, quota readers, key limits, metrics): every upstream answer as it
 * arrives (its status and headers: quota signals ride on them), and every
 * request once it has ended, its stream included. Listeners are called off
 * the request's path and must never throw into it or make it wait.
 */
import type { DialectId } from "../dialects/codec.ts";
import type { Usage } from "../ir/response.ts";
import type { ApiError } from "../errors/api-error.ts";
import type { Account } from "../store/account.ts";

export interface RequestRecord {
  /** When the request arrived (epoch ms). */
  at: number;
  /** The client key's name (never the key), when keys are named. */
  clientKey?: string;
  /**
   * The client's session, when it names one (Claude Code's `x-claude-code-session-id`, the
   * `session_id` its status line is given): for the recent requests, not the usage ledger.
   */
  sessionId?: string;
  action: "generate" | "count-tokens";
  /** The account that answered last; absent when none was tried. */
  account?: Pick<Account, "id" | "label" | "provider" | "kind">;
  requestedModel: string;
  /** The name the upstream was asked for. */
  servedModel?: string;
  clientDialect: DialectId;
  upstreamDialect?: DialectId;
  /**
   * The status the client got; for a stream, how it ended: 499 when the client went away, 502
   * when the upstream broke off, the error's status when the stream carried the upstream's error.
   */
  status: number;
  stream: boolean;
  /** From arrival to the answer's end (the stream's last byte). */
  latencyMs: number;
  /** From arrival to the answer's first byte (a plain answer's: when it was ready). */
  firstByteMs?: number;
  /**
   * The upstream's own token counts, when it reported them (a cut stream: what it had reported
   * so far); none for token counts.
   */
  usage?: Usage;
  /** Why it failed, in words (no secret), for failed requests. */
  error?: string;
}

/** The header Claude Code names its session in (a UUID, the same on every request of it). */
export const SESSION_HEADER = "x-claude-code-session-id";

/** A session id as a client sends it: up to 128 letters, digits and `-_.:`; else none. */
const SESSION_ID = /^[A-Za-z0-9][A-Za-z0-9._:-]{0,127}$/;

/** The session a request belongs to, by the client's own header (ignored when malformed). */
export function sessionIdOf(headers: Headers): string | undefined {
  const value = headers.get(SESSION_HEADER)?.trim();
  return value && SESSION_ID.test(value) ? value : undefined;
}

export interface PipelineHooks {
  /** An upstream answered (any status), before its body is read. */
  answered?(account: Account, status: number, headers: Headers): void;
  /**
   * A request ended: answered in full, failed, refused after routing, or left by its client.
   * Called exactly once per request that reached the pool's selection (`record-request.ts`);
   * requests refused before (a wrong key, a malformed body, an unknown model) are not reported.
   * Its presence makes the pipeline read usage (a passthrough answer's, after it left).
   */
  ended?(record: RequestRecord): void;
  /**
   * An attempt on an account failed (the request moved on, or ended with this failure): the
   * upstream's error, or subgate's words for a call that got no answer (`answered` false: a
   * refused connection, a timeout) or a stream that broke off.
   */
  /**
   * A request subgate refused once its model was known, before any account was tried (an unknown
   * model, a key's allowlist or limit): not a routed request, so the ledger does not count it,
   * but a person watching the recent requests wants to see it.
   */
  refused?(record: RequestRecord): void;
  upstreamFailed?(account: Account, failure: UpstreamFailure): void;
}

export interface UpstreamFailure {
  status: number;
  kind: ApiError["kind"];
  /** Whether the upstream answered at all (false: no connection, a timeout, a broken stream). */
  answered: boolean;
  /** The answer was already streaming to the client when it broke off. */
  broke?: boolean;
}

/** Several listeners as one: each is called in turn, and one that throws does not stop the rest. */
export function combineHooks(...all: (PipelineHooks | undefined)[]): PipelineHooks {
  const hooks = all.filter((hook): hook is PipelineHooks => hook !== undefined);
  const each = <K extends keyof PipelineHooks>(name: K, call: (hook: PipelineHooks) => void) => {
    for (const hook of hooks) {
      if (!hook[name]) continue;
      try {
        call(hook);
      } catch {
        // A listener's fault must never reach the request it listens to.
      }
    }
  };
  return {
    answered: (account, status, headers) =>
      each("answered", (hook) => hook.answered!(account, status, headers)),
    ended: (record) => each("ended", (hook) => hook.ended!(record)),
    upstreamFailed: (account, failure) =>
      each("upstreamFailed", (hook) => hook.upstreamFailed!(account, failure)),
    refused: (record) => each("refused", (hook) => hook.refused!(record)),
  };
}
