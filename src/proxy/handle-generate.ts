/**
 * @module
 * The generic pipeline for every generation endpoint: parse and check the
 * client's body once, then try the model's accounts in the pool's order.
 * Each attempt either passes the request through untouched (same dialect both
 * sides) or translates it through the canonical model. A failure rests the
 * account as `classify-failure.ts` says and moves on, or ends the request
 * when the request itself is at fault. Nothing here knows a provider;
 * upstreams and codecs do.
 */
import type { DecodeContext } from "../dialects/codec.ts";
import { CODECS } from "../dialects/registry.ts";
import { canRefresh, freshAccount } from "../auth/refresh/fresh-account.ts";
import { classifyFailure, type FailureAction, type Rest } from "../pool/classify-failure.ts";
import { everyoneResting } from "../pool/pool.ts";
import { affinityKey } from "../pool/session-affinity.ts";
import { refusalOf, withModel } from "../errors/api-error.ts";
import type { Account } from "../store/account.ts";
import {
  type Attempt,
  failureResponse,
  type GenerateInput,
  modelOf,
  parseBody,
  type PipelineContext,
  type Prepared,
} from "./attempt.ts";
import { countAcross, estimated, upstreamCounts } from "./attempt-count.ts";
import { passthrough } from "./attempt-passthrough.ts";
import { translate } from "./attempt-translate.ts";
import { candidatesFor, type Resolved, resolvedFor } from "./resolve-model.ts";
import { type Recorder, startRecord } from "./record-request.ts";
import { applyPins, pinsOf } from "./session-pins.ts";
import { sessionIdOf } from "./request-record.ts";

export { parseBody };
export type { GenerateInput, PipelineContext };

type Failed = Extract<Attempt, { ok: false }>;

export async function handleGenerate(
  input: GenerateInput,
  context: PipelineContext,
): Promise<Response> {
  const started = performance.now();
  const recorder = startRecord(input, context.hooks);
  try {
    return await tryAccounts(input, context, started, recorder);
  } catch (error) {
    recorder?.thrown(error, input.request.signal.aborted);
    // The error handler answers and logs (a refusal, or a client that went away): it learns
    // the request's model from here.
    const noted = withModel(error, () => input.model ?? modelName(input.body));
    if (!recorder?.isRouted && context.hooks?.refused) {
      reportRefusal(input, noted, started, context);
    }
    throw noted;
  }
}

/** A refusal once the model was known (no account tried), for whoever watches requests. */
function reportRefusal(
  input: GenerateInput,
  error: unknown,
  started: number,
  context: PipelineContext,
): void {
  const refusal = refusalOf(error);
  const model = refusal?.fields.model;
  if (!refusal || typeof model !== "string") return;
  context.hooks!.refused!({
    at: Date.now() - Math.round(performance.now() - started),
    clientKey: input.clientKey,
    sessionId: sessionIdOf(input.request.headers),
    action: input.action,
    requestedModel: model,
    clientDialect: input.dialect,
    status: refusal.error.status,
    stream: input.stream ?? false,
    latencyMs: Math.round(performance.now() - started),
    error: refusal.error.message,
  });
}

/** The model a body names, for a log line. */
export function modelName(body: string): string | undefined {
  try {
    const model = (JSON.parse(body) as Record<string, unknown> | null)?.model;
    return typeof model === "string" ? model : undefined;
  } catch {
    return undefined;
  }
}

/** What the loop over accounts has learnt so far. */
interface Loop {
  retriesLeft: number;
  attempts: number;
  rateLimited: boolean;
  /** Accounts left out because their token could not be refreshed. */
  skipped: { account: Account; needsLogin: boolean; reason: string }[];
  /** The failure the client gets if no account answers: always set, so never undefined. */
  last: Failed;
}

async function tryAccounts(
  input: GenerateInput,
  context: PipelineContext,
  started: number,
  recorder: Recorder | undefined,
): Promise<Response> {
  const body = parseBody(input.body);
  // The session's pins (`subgate run --model …`) choose the model and accounts first.
  const pinned = applyPins(context.accounts(), modelOf(input, body), pinsOf(input.request.headers));
  const model = pinned.model;
  context.admit?.({ clientKey: input.clientKey, model, action: input.action });
  const client = CODECS[input.dialect];
  const decodeContext: DecodeContext = { model: input.model, stream: input.stream };
  const config = context.config();
  const tiers = candidatesFor(pinned.accounts, model, config.providers);
  // Decoding first also checks the request, so a malformed one fails in its own terms.
  const canonical = input.action === "count-tokens"
    ? client.count!.decodeRequest(body, { ...decodeContext, stream: false })
    : client.decodeRequest(body, decodeContext);
  const prepared: Prepared = { input, model, body, canonical, context, recorder };
  const sessionKey = config.routing.sessionAffinity
    ? affinityKey(canonical, input.request.headers)
    : undefined;
  const selection = context.pool.select(tiers, model, config.routing.strategy, sessionKey);
  // From here on the request is the pool's: it is recorded however it ends.
  recorder?.routed(model, canonical.stream === true);
  if (selection.ready.length === 0) throw everyoneResting(model, selection.resting);

  const loop: Loop = {
    retriesLeft: config.requestRetry,
    attempts: 0,
    rateLimited: false,
    skipped: [],
    last: noAccountTried(model, []),
  };
  for (const [index, listed] of selection.ready.entries()) {
    const hasNext = index < selection.ready.length - 1;
    const outcome = await attemptAccount(listed, prepared, loop, hasNext);
    if (outcome.ok) {
      context.log.info("request", {
        dialect: input.dialect,
        model,
        key: input.clientKey,
        provider: outcome.account.provider,
        account: outcome.account.label,
        status: outcome.response.status,
        ms: Math.round(performance.now() - started),
      });
      if (sessionKey) context.pool.bind(sessionKey, outcome.account);
      if (!outcome.attempt.streamed) {
        recorder?.answered(outcome.response.status, outcome.attempt.usage);
      }
      return outcome.response;
    }
    if (outcome.stop) return failedWith(loop.last, input.dialect, recorder);
  }
  // Every ready account failed. One account: its own answer says it best. Several held back by
  // limits: say who is resting until when.
  const after = context.pool.select(tiers, model, config.routing.strategy);
  if (loop.rateLimited && loop.attempts > 1 && (after.ready.length === 0 || after.probe)) {
    throw everyoneResting(model, after.resting);
  }
  return failedWith(loop.last, input.dialect, recorder);
}

/** The failure's answer, recorded. */
function failedWith(failure: Failed, dialect: GenerateInput["dialect"], recorder?: Recorder) {
  const response = failureResponse(failure, dialect);
  // An upstream's error stream handed over as it came has a 200 status; the error has its own.
  const status = response.status >= 400 ? response.status : failure.error.status;
  recorder?.failed(status, failure.error.message);
  return response;
}

/** How long a request whose last account another instance is refreshing waits for it. */
const WAIT_FOR_OTHERS_MS = 15_000;

type AccountOutcome =
  | { ok: true; account: Account; response: Response; attempt: Extract<Attempt, { ok: true }> }
  | { ok: false; stop: boolean };

/** Tries one account: a fresh token, the call, one refresh-and-retry on a refused token. */
async function attemptAccount(
  listed: Account,
  prepared: Prepared,
  loop: Loop,
  hasNext: boolean,
): Promise<AccountOutcome> {
  const { context, model, input } = prepared;
  const config = context.config();
  const fields = {
    dialect: input.dialect,
    model,
    provider: listed.provider,
    account: listed.label,
  };
  const refreshOptions = { authDir: config.authDir, config, storage: context.tokens };
  // An expired token is refreshed first (once, however many requests want it). When another
  // instance is refreshing it, the next account is tried; the last one waits for that refresh.
  const fresh = await freshAccount(listed, {
    ...refreshOptions,
    force: false,
    waitForOthersMs: hasNext ? 0 : WAIT_FOR_OTHERS_MS,
  });
  if (!fresh.ok) {
    const outcome = fresh.outcome;
    const needsLogin = outcome.status === "needs-login";
    const reason = needsLogin
      ? "needs login"
      : "reason" in outcome
      ? outcome.reason
      : "refresh failed";
    context.log.warn("token refresh failed", { ...fields, reason, next: next(hasNext) });
    loop.skipped.push({ account: listed, needsLogin, reason });
    if (loop.attempts === 0) loop.last = noAccountTried(model, loop.skipped);
    if (!needsLogin) {
      context.pool.rest(listed, model, { kind: "transient", reason: "token refresh failed" });
    }
    return { ok: false, stop: false };
  }
  let account = fresh.account;
  let refreshed = fresh.refreshed;
  loop.attempts++;
  let { attempt, resolved } = await run(account, prepared);
  let verdict: FailureAction | undefined;
  while (!attempt.ok) {
    verdict = classifyFailure(attempt.error, { canRefresh: canRefresh(account), refreshed });
    if (verdict.action !== "refresh") break;
    // The token was refused: refresh it and try this account once more.
    refreshed = true;
    const again = await freshAccount(account, { ...refreshOptions, force: true });
    if (!again.ok) continue;
    account = again.account;
    ({ attempt, resolved } = await run(account, prepared));
  }
  context.pool.count(account, attempt.ok);
  if (attempt.ok) {
    context.pool.succeed(account, model);
    return { ok: true, account, response: attempt.response, attempt };
  }
  loop.last = attempt;
  context.hooks?.upstreamFailed?.(account, {
    status: attempt.error.status,
    kind: attempt.error.kind,
    answered: attempt.answer !== undefined,
  });
  const action = verdict ?? { action: "stop" };
  const more = action.action === "next" && hasNext &&
    !(action.countsAsRetry && loop.retriesLeft <= 0);
  context.log.warn("upstream failed", {
    ...fields,
    status: attempt.error.status,
    reason: attempt.error.message.slice(0, 200),
    next: next(more),
  });
  if (action.action !== "next") return { ok: false, stop: true };
  const rest = restFor(action, attempt, resolved);
  if (rest) context.pool.rest(account, model, rest);
  loop.rateLimited ||= rest?.kind === "limit";
  if (action.countsAsRetry && loop.retriesLeft-- <= 0) return { ok: false, stop: true };
  return { ok: false, stop: false };
}

const next = (more: boolean) => more ? "another account" : "none";

async function run(
  account: Account,
  prepared: Prepared,
): Promise<{ attempt: Attempt; resolved: Resolved }> {
  const { input, model, context } = prepared;
  const resolved = resolvedFor(account, model, context.config().providers, input.dialect);
  prepared.recorder?.tried(account, resolved.upstreamModel, resolved.upstream.dialect);
  const sameDialect = resolved.upstream.dialect === input.dialect && !resolved.upstream.unwrap &&
    !CODECS[input.dialect].needsTranslation?.(input.body);
  // An answer already on its way to the client that breaks off still counts against the account.
  const onFault = (reason: string) => {
    context.pool.rest(account, model, { kind: "transient", reason: "stream broke off" });
    context.hooks?.upstreamFailed?.(account, {
      status: 502,
      kind: "api_error",
      answered: true,
      broke: true,
    });
    context.log.warn("upstream stream broke off", {
      dialect: input.dialect,
      model,
      provider: account.provider,
      account: account.label,
      reason: reason.slice(0, 200),
    });
  };
  let attempt: Attempt;
  if (input.action === "count-tokens") {
    // Counted where the account's upstream can count, else estimated here.
    attempt = !upstreamCounts(resolved)
      ? estimated(prepared)
      : sameDialect
      ? await passthrough(prepared, resolved, onFault)
      : await countAcross(prepared, resolved);
  } else {
    attempt = sameDialect
      ? await passthrough(prepared, resolved, onFault)
      : await translate(prepared, resolved, onFault);
  }
  return { attempt, resolved };
}

/** How long the failed account rests: the upstream may know (a spent window), else the verdict. */
function restFor(
  action: Extract<FailureAction, { action: "next" }>,
  attempt: Failed,
  resolved: Resolved,
): Rest | undefined {
  const spentUntil = attempt.answer && resolved.upstream.restUntil?.(attempt.error, attempt.answer);
  if (spentUntil) return { kind: "limit", reason: "quota spent", until: spentUntil };
  return action.rest;
}

/**
 * The answer when no account could even be tried: a login that needs renewing names the
 * command that renews it; a refresh that failed for another reason (the token server down)
 * is a 502 naming the account.
 */
function noAccountTried(model: string, skipped: Loop["skipped"]): Failed {
  // Plain values, not exceptions: this runs for every request (the loop's starting answer).
  const needLogin = skipped.filter((s) => s.needsLogin);
  if (needLogin.length) {
    const each = needLogin.map((s) =>
      `${s.account.provider} account ${s.account.label} needs login ` +
      `(run \`subgate login ${s.account.provider}\`)`
    );
    return {
      ok: false,
      error: {
        kind: "authentication",
        status: 401,
        message: `No account can serve '${model}' now: ${each.join("; ")}.`,
      },
    };
  }
  const message = skipped.length
    ? `Could not refresh the token of ${
      skipped.map((s) => `${s.account.label} (${s.reason})`).join("; ")
    }.`
    : `No account could be tried for '${model}'.`;
  return {
    ok: false,
    error: { kind: "api_error", status: skipped.length ? 502 : 503, message },
  };
}
