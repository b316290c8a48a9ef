/**
 * @module
 * Requests, errors and tokens per minute over the last hour, for
 * `GET /manage/activity` (the console's overview): 60 counters, one per
 * minute, fed with the same records as the recent requests (those that
 * reached the pool, and those refused once their model was known). Adding a
 * record is a few additions; nothing is kept beyond the hour.
 */
import type { RequestRecord } from "../../proxy/request-record.ts";

const MINUTES = 60;
const MINUTE_MS = 60_000;

export interface ActivityMinute {
  /** The minute's start (RFC 3339). */
  at: string;
  requests: number;
  /** Requests that ended with status 400 or more, but 499 (a client that left). */
  errors: number;
  inputTokens: number;
  outputTokens: number;
}

export interface Activity {
  add(record: RequestRecord): void;
  /** The last 60 minutes, oldest first, the current one last (empty minutes included). */
  minutes(now?: number): ActivityMinute[];
}

interface Slot {
  minute: number;
  requests: number;
  errors: number;
  inputTokens: number;
  outputTokens: number;
}

const empty = (minute: number): Slot => ({
  minute,
  requests: 0,
  errors: 0,
  inputTokens: 0,
  outputTokens: 0,
});

export function createActivity(): Activity {
  const slots: Slot[] = Array.from({ length: MINUTES }, () => empty(-1));
  return {
    add(record) {
      const minute = Math.floor(record.at / MINUTE_MS);
      const index = minute % MINUTES;
      if (slots[index].minute !== minute) {
        // An older record than the slot holds belongs to a minute already dropped.
        if (slots[index].minute > minute) return;
        slots[index] = empty(minute);
      }
      const slot = slots[index];
      slot.requests++;
      if (record.status >= 400 && record.status !== 499) slot.errors++;
      slot.inputTokens += record.usage?.inputTokens ?? 0;
      slot.outputTokens += record.usage?.outputTokens ?? 0;
    },
    minutes(now = Date.now()) {
      const current = Math.floor(now / MINUTE_MS);
      const out: ActivityMinute[] = [];
      for (let minute = current - MINUTES + 1; minute <= current; minute++) {
        const slot = slots[minute % MINUTES];
        const { requests, errors, inputTokens, outputTokens } = slot.minute === minute
          ? slot
          : empty(minute);
        out.push({
          at: new Date(minute * MINUTE_MS).toISOString(),
          requests,
          errors,
          inputTokens,
          outputTokens,
        });
      }
      return out;
    },
  };
}
