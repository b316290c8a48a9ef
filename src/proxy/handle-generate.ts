/**
 * @module
 * The generic pipeline for every generation endpoint: parse and check the
 * client's body once, then try the model's accounts in the pool's order.
 * Each attempt either passes the request through untouched (same dialect both
 * sides) or translates it through the canonical model. A failure rests the
 * account and moves on, or ends the request when the request itself is at
 * fault. Nothing here knows a provider; upstreams and codecs do.
 */
import type { DecodeContext } from "../dialects/codec.ts";
import { CODECS } from "../dialects/registry.ts";
import { canRefresh, freshAccount } from "../auth/refresh/fresh-account.ts";
import { classifyFailure } from "../pool/classify-failure.ts";
import { allResting } from "../pool/pool.ts";
import { affinityKey } from "../pool/session-affinity.ts";
import { withModel } from "../server/api-error.ts";
import type { Account } from "../store/account.ts";
import {
  type Attempt,
  type GenerateInput,
  modelOf,
  parseBody,
  type PipelineContext,
  type Prepared,
} from "./attempt.ts";
import { passthrough } from "./attempt-passthrough.ts";
import { translate } from "./attempt-translate.ts";
import { candidatesFor, resolvedFor } from "./resolve-model.ts";

export { parseBody };
export type { GenerateInput, PipelineContext };

export async function handleGenerate(
  input: GenerateInput,
  context: PipelineContext,
): Promise<Response> {
  const started = performance.now();
  try {
    return await tryAccounts(input, context, started);
  } catch (error) {
    if (!input.request.signal.aborted) {
      throw withModel(error, () => input.model ?? modelName(input.body));
    }
    // The client went away while its upstream call was under way; that call was cancelled
    // with it. Nobody is left to read an answer, and nothing failed on subgate's side.
    context.log.info("client went away", {
      dialect: input.dialect,
      model: input.model ?? modelName(input.body),
      ms: Math.round(performance.now() - started),
    });
    return new Response(null, { status: 499 });
  }
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

async function tryAccounts(
  input: GenerateInput,
  context: PipelineContext,
  started: number,
): Promise<Response> {
  const body = parseBody(input.body);
  const model = modelOf(input, body);
  const client = CODECS[input.dialect];
  const decodeContext: DecodeContext = { model: input.model, stream: input.stream };
  const config = context.config();
  const candidates = candidatesFor(context.accounts(), model, config.providers);
  // Decoding first also checks the request, so a malformed one fails in its own terms.
  const canonical = client.decodeRequest(body, decodeContext);
  const prepared: Prepared = { input, model, body, canonical, context };
  const sessionKey = config.routing.sessionAffinity
    ? affinityKey(canonical, input.request.headers)
    : undefined;
  const selection = context.pool.select(candidates, model, config.routing.strategy, sessionKey);
  if (selection.ready.length === 0) throw allResting(model, selection.resting);

  let retries = config.requestRetry;
  let last: Extract<Attempt, { ok: false }> | undefined;
  let rateLimited = false;
  let attempts = 0;
  const run = (account: Account) => {
    const resolved = resolvedFor(account, model, config.providers, input.dialect);
    const sameDialect = resolved.upstream.dialect === input.dialect &&
      !resolved.upstream.unwrap && !client.needsTranslation?.(input.body);
    return sameDialect ? passthrough(prepared, resolved) : translate(prepared, resolved);
  };
  for (const listed of selection.ready) {
    attempts++;
    const fields = {
      dialect: input.dialect,
      model,
      provider: listed.provider,
      account: listed.label,
    };
    // An expired token is refreshed first (once, however many requests want it).
    const fresh = await freshAccount(listed, { authDir: config.authDir, config, force: false });
    if (!fresh.ok) {
      context.log.warn("token refresh failed; trying another account", {
        ...fields,
        reason: fresh.outcome.status === "needs-login" ? "needs login" : "refresh failed",
      });
      context.pool.rest(listed, model, "token refresh failed");
      continue;
    }
    let account = fresh.account;
    let attempt = await run(account);
    if (!attempt.ok && attempt.error.status === 401 && canRefresh(account)) {
      // The token was refused: refresh it and try this account once more.
      const again = await freshAccount(account, { authDir: config.authDir, config, force: true });
      if (again.ok) {
        account = again.account;
        attempt = await run(account);
      }
    }
    context.pool.count(account, attempt.ok);
    if (attempt.ok) {
      context.pool.succeed(account, model);
      if (sessionKey) context.pool.bind(sessionKey, account);
      context.log.info("request", {
        ...fields,
        status: attempt.response.status,
        ms: Math.round(performance.now() - started),
      });
      return attempt.response;
    }
    last = attempt;
    const verdict = classifyFailure(attempt.error, { canRefresh: false, refreshed: false });
    context.log.warn("upstream failed", {
      ...fields,
      status: attempt.error.status,
      next: verdict.action === "next" ? "another account" : "none",
    });
    if (verdict.action !== "next") return attempt.respond();
    // The upstream may know better how long this account is spent (a subscription window).
    const spentUntil = attempt.answer &&
      resolvedFor(account, model, config.providers, input.dialect).upstream.restUntil?.(
        attempt.error,
        attempt.answer,
      );
    context.pool.rest(
      account,
      model,
      spentUntil ? "quota spent" : verdict.reason,
      spentUntil ?? verdict.restUntil,
    );
    rateLimited ||= verdict.reason === "rate limited" || spentUntil !== undefined;
    if (verdict.countsAsRetry && retries-- <= 0) return attempt.respond();
  }
  // Every ready account failed. One account: its own answer says it best. Several held back by
  // limits: say who is resting until when.
  const after = context.pool.select(candidates, model, config.routing.strategy);
  if (rateLimited && attempts > 1 && after.ready.length === 0) {
    throw allResting(model, after.resting);
  }
  return last!.respond();
}
