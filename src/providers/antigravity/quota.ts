/**
 * @module
 * An Antigravity login's quota, per model family, from the `quotaInfo` each
 * model carries in `fetchAvailableModels` (`client.ts`): how much of its
 * allowance is left (`remainingFraction`, 0–1) and when it resets
 * (`resetTime`). Models whose allowance is one counter (the same family, the
 * same fraction and reset: Claude's models, say) become one window named
 * after the family (`claude`, `gemini`, `gpt`); a family with several
 * counters gets one window for each (`gemini`, `gemini-2`, …). Each window
 * limits only its own models.
 *
 * The answer is protobuf JSON, which leaves out a field at its default: a
 * `quotaInfo` with a `resetTime` and no `remainingFraction` is a counter at 0,
 * spent until then. Answers carry no quota headers; a spent counter also
 * shows as a 429 `RESOURCE_EXHAUSTED` / `QUOTA_EXHAUSTED` naming when it
 * resets, which the upstream reads (`upstream.ts`).
 *
 * Not read: `v1internal:retrieveUserQuotaSummary` (five-hour and weekly
 * buckets per family, which newer Antigravity versions show): the public
 * readers of it disagree on its shape (the fraction at the bucket or under
 * `remaining`, the reset as a time or a duration), so there is no shape here
 * to check a reader against.
 */
import type { Json } from "../../ir/json.ts";
import {
  clampPercent,
  numberOf,
  type ProviderQuota,
  quotaJson,
  type QuotaReading,
  resetTimeOf,
} from "../../upstreams/quota.ts";
import { availableModels, availableModelsCall } from "./client.ts";

/** The family a model's allowance is counted in: what the service says, else its name. */
function familyOf(id: string, info: Json): string {
  const provider = String(info.modelProvider ?? info.apiProvider ?? "");
  if (/ANTHROPIC/.test(provider)) return "claude";
  if (/GOOGLE|GEMINI/.test(provider)) return "gemini";
  if (/OPENAI/.test(provider)) return "gpt";
  const name = id.toLowerCase();
  if (name.startsWith("claude")) return "claude";
  if (name.startsWith("gpt")) return "gpt";
  if (name.startsWith("gemini")) return "gemini";
  return name.split(/[-_.]/)[0] || "other";
}

interface Counter {
  family: string;
  left: number;
  resetsAt?: number;
  models: string[];
}

/** The windows of a `fetchAvailableModels` answer, one per family counter. */
export function antigravityQuotaWindows(body: unknown): QuotaReading[] {
  const counters: Counter[] = [];
  for (const [id, info] of availableModels(body)) {
    const quota = info.quotaInfo;
    if (!quota || typeof quota !== "object" || Array.isArray(quota)) continue;
    const { remainingFraction, resetTime } = quota as Json;
    const resetsAt = resetTimeOf(resetTime);
    // Protobuf JSON omits a zero: a counter with a reset and no fraction is spent.
    const left = numberOf(remainingFraction) ?? (resetsAt !== undefined ? 0 : undefined);
    if (left === undefined) continue;
    const family = familyOf(id, info);
    const same = counters.find((c) =>
      c.family === family && c.left === left && c.resetsAt === resetsAt
    );
    if (same) same.models.push(id);
    else counters.push({ family, left, resetsAt, models: [id] });
  }
  const seen = new Map<string, number>();
  return counters.map(({ family, left, resetsAt, models }) => {
    const count = (seen.get(family) ?? 0) + 1;
    seen.set(family, count);
    return {
      name: count === 1 ? family : `${family}-${count}`,
      usedPercent: clampPercent((1 - left) * 100),
      ...(resetsAt !== undefined ? { resetsAt } : {}),
      models: models.sort(),
    };
  });
}

export const antigravityQuota: ProviderQuota = {
  async fetch(account, { baseUrl }, signal) {
    const call = availableModelsCall(account, baseUrl);
    const body = await quotaJson(call.url, {
      method: "POST",
      headers: call.headers,
      body: JSON.stringify(call.body),
      signal,
    });
    return antigravityQuotaWindows(body);
  },
  pollSeconds: 300,
};
