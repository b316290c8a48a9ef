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
import { type PipelineHooks, type RequestRecord, sessionIdOf } from "./request-record.ts";
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

/** What a record starts from: the request (its session header) and what the route knew. */
export interface RecordInput {
  dialect: DialectId;
  action: RequestRecord["action"];
  clientKey?: string;
  request: Request;
}

/** Work waiting for a later turn; one timer runs all of it (a timer per request showed). */
let waiting: (() => void)[] = [];

/** Calls `work` on a later turn, after what is queued now (the answer) has gone out. */
function later(work: () => void): void {
  if (waiting.length === 0) setTimeout(runWaiting, 0);
  waiting.push(work);
}

function runWaiting(): void {
  const batch = waiting;
  waiting = [];
  for (const work of batch) work();
}

/**
 * One request's recorder: the record and what it needs, methods on the prototype (one object per
 * request, no closures). Created only when someone listens for ended requests.
 */
export class Recorder {
  readonly #ended: (record: RequestRecord) => void;
  readonly #started = performance.now();
  readonly #record: RequestRecord;
  #routed = false;
  #done = false;

  constructor(input: RecordInput, ended: (record: RequestRecord) => void) {
    this.#ended = ended;
    this.#record = {
      at: Date.now(),
      clientKey: input.clientKey,
      sessionId: sessionIdOf(input.request.headers),
      action: input.action,
      requestedModel: "",
      clientDialect: input.dialect,
      status: 0,
      stream: false,
      latencyMs: 0,
    };
  }

  /** Whether routing is done (the request is recorded however it ends). */
  get isRouted(): boolean {
    return this.#routed;
  }

  /** Routing is done: from here on the request is recorded. */
  routed(model: string, stream: boolean): void {
    this.#record.requestedModel = model;
    this.#record.stream = stream;
    this.#routed = true;
  }

  /** An attempt on this account, asking the upstream for `servedModel` in `dialect`. */
  tried(account: Account, servedModel: string, dialect: DialectId): void {
    const record = this.#record;
    record.account = {
      id: account.id,
      label: account.label,
      provider: account.provider,
      kind: account.kind,
    };
    record.servedModel = servedModel;
    record.upstreamDialect = dialect;
  }

  /** A plain answer (or one without a body to watch) is ready: the record ends. */
  answered(status: number, usage?: AnswerUsage): void {
    if (typeof usage !== "function") {
      this.#record.usage = usage;
      return this.#finish(status, performance.now());
    }
    this.#finish(status, performance.now(), () => this.#record.usage = usage());
  }

  /** The request fails with this answer. */
  failed(status: number, reason: string): void {
    this.#record.error = reason;
    this.#finish(status, performance.now());
  }

  /** The request ends with this exception (the error handler answers it). */
  thrown(error: unknown, clientLeft: boolean): void {
    if (clientLeft) {
      this.#record.error = "the client went away";
      return this.#finish(499, undefined);
    }
    const refusal = refusalOf(error);
    this.#record.error = refusal?.error.message ??
      (error instanceof Error ? error.message : String(error));
    this.#finish(refusal?.error.status ?? 500, performance.now());
  }

  /** For the stream stages: told once how the client's stream ended. */
  streamEnded(end: StreamEnd): void {
    const record = this.#record;
    if (end.reason) record.error = end.reason;
    else if (end.status === 499) record.error = "the client went away";
    const report = end.report;
    if (!report) return this.#finish(end.status, end.firstByteAt);
    this.#finish(end.status, end.firstByteAt, () => {
      const said = report();
      record.usage = said.usage;
      if (said.error && end.status === 200) {
        // The stream ended properly, but with the upstream's error event.
        record.status = said.error.status;
        record.error = said.error.message;
      }
    });
  }

  /** `streamEnded` as a callback for a stream stage. */
  get onStreamEnd(): OnStreamEnd {
    return (end) => this.streamEnded(end);
  }

  /** Ends the record now; `read` (when given) fills it in on a later turn, then it is handed on. */
  #finish(status: number, firstByteAt: number | undefined, read?: () => void): void {
    if (!this.#routed || this.#done) return;
    this.#done = true;
    const record = this.#record;
    record.status = status;
    record.latencyMs = Math.round(performance.now() - this.#started);
    record.firstByteMs = firstByteAt === undefined
      ? undefined
      : Math.round(firstByteAt - this.#started);
    if (!read) return this.#emit();
    later(() => {
      try {
        read();
      } catch {
        // What was known stands.
      }
      this.#emit();
    });
  }

  #emit(): void {
    try {
      this.#ended(this.#record);
    } catch {
      // A listener's fault must never reach the request.
    }
  }
}

/** A recorder for one request, or undefined when nobody listens for ended requests. */
export function startRecord(
  input: RecordInput,
  hooks: PipelineHooks | undefined,
): Recorder | undefined {
  const ended = hooks?.ended;
  return ended ? new Recorder(input, ended) : undefined;
}
