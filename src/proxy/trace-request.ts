/**
 * @module
 * A request's record for the pipeline's listeners (`PipelineHooks.ended`),
 * gathered as the request goes: which account answered last and on which
 * upstream, then the status, the time to the answer's first byte, and, once
 * the server says the answer has been sent (`GenerateInput.completed`), the
 * whole latency. Nothing is gathered when nobody listens.
 */
import { refusalOf } from "../errors/api-error.ts";
import type { Account } from "../store/account.ts";
import type { DialectId } from "../dialects/codec.ts";
import type { PipelineHooks, RequestRecord } from "./request-record.ts";
import type { Resolved } from "./resolve-model.ts";

export interface RequestTrace {
  /** The account being tried, and how it is reached; the last one tried stays. */
  attempt(account: Account, resolved: Resolved): void;
  /** The request's model, once known. */
  model(name: string): void;
  /** The answer is on its way (with why it failed, if it did): the record goes out once sent. */
  finish(response: Response, error?: string): Response;
  /** The request ended in an error (a refusal, or the client leaving). */
  fail(error: unknown): void;
}

function accountOf(account: Account): RequestRecord["account"] {
  return { id: account.id, label: account.label, provider: account.provider, kind: account.kind };
}

/** What the trace reads of the pipeline's input (`GenerateInput` has it). */
export interface TracedInput {
  dialect: DialectId;
  request: Request;
  action: string;
  model?: string;
  stream?: boolean;
  clientKey?: string;
  completed?: Promise<void>;
}

export function traceRequest(
  input: TracedInput,
  hooks: PipelineHooks | undefined,
): RequestTrace | undefined {
  const ended = hooks?.ended;
  if (!ended) return undefined;
  const at = Date.now();
  const started = performance.now();
  const record: RequestRecord = {
    at,
    clientKey: input.clientKey,
    action: input.action === "count-tokens" ? "count-tokens" : "generate",
    requestedModel: input.model ?? "",
    clientDialect: input.dialect,
    status: 0,
    stream: input.stream ?? false,
    latencyMs: 0,
  };
  const elapsed = () => Math.round(performance.now() - started);
  const emit = () => {
    try {
      ended(record);
    } catch {
      // A listener's fault never reaches the request.
    }
  };
  return {
    attempt(account, resolved) {
      record.account = accountOf(account);
      record.servedModel = resolved.upstreamModel;
      record.upstreamDialect = resolved.upstream.dialect;
    },
    model(name) {
      record.requestedModel = name;
    },
    finish(response, error) {
      record.status = response.status;
      record.error = error;
      record.firstByteMs = elapsed();
      record.stream ||= (response.headers.get("content-type") ?? "").includes("event-stream");
      const sent = () => {
        record.latencyMs = elapsed();
        // A client that left before the answer's end.
        if (input.request.signal.aborted) record.status = 499;
        emit();
      };
      if (input.completed) input.completed.then(sent, sent);
      else sent();
      return response;
    },
    fail(error) {
      const refusal = refusalOf(error);
      record.status = refusal?.error.status ?? (input.request.signal.aborted ? 499 : 500);
      record.error = refusal?.error.message ?? (error instanceof Error ? error.message : undefined);
      record.latencyMs = elapsed();
      emit();
    },
  };
}
