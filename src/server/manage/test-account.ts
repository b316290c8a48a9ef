/**
 * @module
 * `POST /manage/accounts/{id}/test`: one tiny real request to one account,
 * through the pipeline clients use (fresh token, the upstream's own dialect,
 * failure classification): a one-word prompt, at most one token back (16
 * where the API allows no fewer: OpenAI's Responses). The account's rests do
 * not hold the test back, but its outcome counts like any request's: a
 * success lifts a rest, a limit starts one.
 */
import type { DialectId } from "../../dialects/codec.ts";
import { apiError, refusalOf } from "../../errors/api-error.ts";
import { redact } from "../../log/redact.ts";
import { createPool, type Pool } from "../../pool/pool.ts";
import { handleGenerate } from "../../proxy/handle-generate.ts";
import type { PipelineContext } from "../../proxy/attempt.ts";
import { upstreamFor } from "../../providers/upstream-for.ts";
import { isProviderId, PROVIDERS } from "../../providers/registry.ts";
import type { Account } from "../../store/account.ts";

export interface AccountTest {
  ok: boolean;
  status: number;
  model: string;
  dialect: DialectId;
  latencyMs: number;
  /** Why it failed, as the upstream or subgate said it (redacted). */
  error?: string;
}

const PROMPT = "Hi";

/** The smallest request each dialect takes, and where it goes. */
function tinyRequest(dialect: DialectId, model: string): { path: string; body: unknown } {
  switch (dialect) {
    case "anthropic":
      return {
        path: "/v1/messages",
        body: { model, max_tokens: 1, messages: [{ role: "user", content: PROMPT }] },
      };
    case "openai-chat":
      return {
        path: "/v1/chat/completions",
        body: { model, max_tokens: 1, messages: [{ role: "user", content: PROMPT }] },
      };
    case "openai-responses":
      return { path: "/v1/responses", body: { model, max_output_tokens: 16, input: PROMPT } };
    case "gemini":
      return {
        path: `/v1beta/models/${encodeURIComponent(model)}:generateContent`,
        body: {
          contents: [{ role: "user", parts: [{ text: PROMPT }] }],
          generationConfig: { maxOutputTokens: 1 },
        },
      };
  }
}

/** The model to test with: the one asked for, else the account's first, else its provider's. */
function modelFor(account: Account, asked: string | undefined): string {
  if (asked) return asked;
  const seed = isProviderId(account.provider) ? PROVIDERS[account.provider].models : [];
  const model = account.models[0] ?? seed[0];
  if (!model) {
    throw apiError(
      "invalid_request",
      `${account.label} lists no model yet: name one to test with, {"model": "<name>"}.`,
    );
  }
  return model;
}

/** The real pool, but choosing as if nothing rested: the test must reach the account. */
function unrestingPool(pool: Pool): Pool {
  const fresh = createPool();
  return { ...pool, select: fresh.select, bind: () => {} };
}

export async function testAccount(
  account: Account,
  askedModel: string | undefined,
  pipeline: PipelineContext,
): Promise<AccountTest> {
  if (account.disabled) {
    throw apiError(
      "invalid_request",
      `${account.label} is disabled; enable it first (POST .../enable).`,
      { status: 409 },
    );
  }
  const model = modelFor(account, askedModel);
  const upstream = upstreamFor(account, pipeline.config().providers);
  const dialect = upstream?.dialect ?? "openai-chat";
  const { path, body } = tinyRequest(dialect, model);
  const request = new Request(`http://subgate.invalid${path}`, {
    method: "POST",
    headers: { "content-type": "application/json", "anthropic-version": "2023-06-01" },
    body: JSON.stringify(body),
  });
  const started = performance.now();
  const context: PipelineContext = {
    ...pipeline,
    accounts: () => [account],
    pool: unrestingPool(pipeline.pool),
  };
  let status: number;
  let error: string | undefined;
  try {
    // No client key: the management API's own request, not a client's, so no key's limits apply.
    const response = await handleGenerate({
      dialect,
      request,
      body: JSON.stringify(body),
      action: "generate",
      model: dialect === "gemini" ? model : undefined,
      stream: false,
    }, context);
    status = response.status;
    const text = await response.text();
    if (!response.ok) error = errorMessage(text);
  } catch (thrown) {
    const refusal = refusalOf(thrown);
    if (!refusal) throw thrown;
    status = refusal.error.status;
    error = refusal.error.message;
  }
  return {
    ok: status < 400,
    status,
    model,
    dialect,
    latencyMs: Math.round(performance.now() - started),
    error: error === undefined ? undefined : redact(error).slice(0, 1000),
  };
}

/** The message of an error answer in any of the three shapes, else its start. */
function errorMessage(text: string): string {
  try {
    const parsed = JSON.parse(text) as { error?: { message?: unknown } | unknown };
    const inner = parsed.error as { message?: unknown } | undefined;
    if (typeof inner?.message === "string") return inner.message;
  } catch {
    // Not JSON: its text says what it is.
  }
  return text.slice(0, 500);
}
