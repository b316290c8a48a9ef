/**
 * @module
 * The upstream for an account: one line per kind.
 */
import type { Account } from "../store/account.ts";
import { anthropicApiUpstream } from "./anthropic-api.ts";
import { geminiApiUpstream } from "./gemini-api.ts";
import { openaiCompatibleUpstream, openaiResponsesUpstream } from "./openai-api.ts";
import type { Upstream } from "./upstream.ts";

const cache = new WeakMap<Account, Upstream>();

/** The account's upstream, or undefined when subgate cannot reach this kind yet. */
export function upstreamFor(account: Account): Upstream | undefined {
  const known = cache.get(account);
  if (known) return known;
  let upstream: Upstream | undefined;
  switch (account.kind) {
    case "claude-api-key":
      upstream = anthropicApiUpstream(account);
      break;
    case "codex-api-key":
      upstream = openaiResponsesUpstream(account);
      break;
    case "gemini-api-key":
      upstream = geminiApiUpstream(account);
      break;
    case "openai-compatibility":
      upstream = openaiCompatibleUpstream(account);
      break;
    case "oauth":
      // Subscription logins are wired into the pipeline with the account pool.
      upstream = undefined;
  }
  if (upstream) cache.set(account, upstream);
  return upstream;
}
