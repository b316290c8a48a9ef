/**
 * @module
 * One request's record, filled in as the pipeline goes (the account tried,
 * the upstream's model and dialect, the answer) and handed to the `ended`
 * listener exactly once: when a plain answer is ready, when a failure is
 * answered, or, for a stream, when the stream stage reports its end (its
 * last byte handed on, the client gone, the upstream broken off). Usage that
 * still has to be read (a passthrough body decoded, a stream's kept events
 * parsed) is read on a later turn of the event loop, after the answer left.
 * Only requests that reached the account pool are recorded.
 */
import type { DialectId } from "../dialects/codec.ts";
import { refusalOf } from "../errors/api-error.ts";
import type { Usage } from "../ir/response.ts";
import type { Account } from "../store/account.ts";
import type { PipelineHooks, RequestRecord } from "./request-record.ts";
import type { StreamReport } from "./stream-usage.ts";

/** How a streamed answer ended, as the stage streaming it saw. */
export interface StreamEnd {
  /** 200: its last byte was handed on; 499: the client left; 502: the upstream broke off. */
  status: number;
  /** `performance.now()` when its first byte was handed on. */
  firstByteAt?: number;
  /** Why it broke off, for a 502. */
  reason?: string;
  /** What the stream said of itself (usage, an error event), read after it ended. */
  report?: () => StreamReport;
}

export type OnStreamEnd = (end: StreamEnd) => void;

/** A plain answer's usage: known, or to be read off the request's path. */
export type AnswerUsage = Usage | (() => Usage | undefined);

export interface Recorder {
  /** Routing is done: from here on the request is recorded. */
  routed(model: string, stream: boolean): void;
  /** An attempt on this account, asking the upstream for `servedModel` in `dialect`. */
  tried(account: Account, servedModel: string, dialect: DialectId): void;
  /** A plain answer (or one without a body to watch) is ready: the record ends. */
  answered(status: number, usage?: AnswerUsage): void;
  /** The request fails with this answer, or this exception. */
  failed(status: number, reason: string): void;
  thrown(error: unknown, clientLeft: boolean): void;
  /** For the stream stages: the client's stream ended. */
  streamEnded: OnStreamEnd;
}

/** Calls `work` on a later turn, after what is queued now (the answer) has gone out. */
function later(work: () => void): void {
  setTimeout(work, 0);
}

/** A recorder for one request, or undefined when nobody listens for ended requests. */
export function startRecord(
  input: { dialect: DialectId; action: RequestRecord["action"]; clientKey?: string },
  hooks: PipelineHooks | undefined,
): Recorder | undefined {
  const ended = hooks?.ended;
  if (!ended) return undefined;
  const started = performance.now();
  const record: RequestRecord = {
    at: Date.now(),
    clientKey: input.clientKey,
    action: input.action,
    requestedModel: "",
    clientDialect: input.dialect,
    status: 0,
    stream: false,
    latencyMs: 0,
  };
  let routed = false;
  let done = false;

  const emit = () => {
    try {
      ended(record);
    } catch {
      // A listener's fault must never reach the request.
    }
  };
  /** Ends the record now; `read` (when given) fills it in on a later turn, then it is emitted. */
  const finish = (status: number, firstByteAt: number | undefined, read?: () => void) => {
    if (!routed || done) return;
    done = true;
    const now = performance.now();
    record.status = status;
    record.latencyMs = Math.round(now - started);
    record.firstByteMs = firstByteAt === undefined ? undefined : Math.round(firstByteAt - started);
    if (!read) return emit();
    later(() => {
      try {
        read();
      } catch {
        // What was known stands.
      }
      emit();
    });
  };

  return {
    routed(model, stream) {
      record.requestedModel = model;
      record.stream = stream;
      routed = true;
    },
    tried(account, servedModel, dialect) {
      record.account = {
        id: account.id,
        label: account.label,
        provider: account.provider,
        kind: account.kind,
      };
      record.servedModel = servedModel;
      record.upstreamDialect = dialect;
    },
    answered(status, usage) {
      if (typeof usage !== "function") {
        record.usage = usage;
        return finish(status, performance.now());
      }
      finish(status, performance.now(), () => record.usage = usage());
    },
    failed(status, reason) {
      record.error = reason;
      finish(status, performance.now());
    },
    thrown(error, clientLeft) {
      const refusal = refusalOf(error);
      if (clientLeft) {
        record.error = "the client went away";
        return finish(499, undefined);
      }
      record.error = refusal?.error.message ??
        (error instanceof Error ? error.message : String(error));
      finish(refusal?.error.status ?? 500, performance.now());
    },
    streamEnded(end) {
      if (end.reason) record.error = end.reason;
      else if (end.status === 499) record.error = "the client went away";
      const report = end.report;
      if (!report) return finish(end.status, end.firstByteAt);
      finish(end.status, end.firstByteAt, () => {
        const said = report();
        record.usage = said.usage;
        if (said.error && end.status === 200) {
          // The stream ended properly, but with the upstream's error event.
          record.status = said.error.status;
          record.error = said.error.message;
        }
      });
    },
  };
}
