/**
 * @module
 * Content parts of types a decoder does not know (a part type newer than
 * subgate), kept verbatim beside the parts it does know: never a reason to
 * refuse a request, since an upstream of the client's dialect may well take
 * them. Each rides on a known neighbour of the same content list, in that
 * part's `providerData[dialect]`: `before` the next known part, or `after`
 * the last one. The dialect's encoder puts them back in place; other
 * dialects' encoders never look, and the dialect's `leaveDialect` warns that
 * they are left out.
 */
import type { ProviderData } from "../ir/message.ts";

/** A part kept verbatim: a JSON object, as the client sent it. */
export type KeptPart = Record<string, unknown>;

interface Carrier {
  providerData?: ProviderData;
}

interface KeptMemo {
  before?: KeptPart[];
  after?: KeptPart[];
}

function memoOf(part: Carrier, dialect: string): KeptMemo {
  return (part.providerData?.[dialect] ?? {}) as KeptMemo;
}

/** Adds `fields` to what `part` keeps for `dialect`. */
export function remember(part: Carrier, dialect: string, fields: Record<string, unknown>): void {
  const memo = part.providerData?.[dialect] ?? {};
  part.providerData = { ...part.providerData, [dialect]: { ...memo, ...fields } };
}

/**
 * A content list decoded: `decode` gives a part, or undefined for a type it does not know.
 * The unknown entries ride on their known neighbours; `unknown` lists them all, for the
 * caller to keep elsewhere when there is no known part to carry them.
 */
export function decodeKnownParts<T extends Carrier>(
  raw: unknown[],
  dialect: string,
  decode: (entry: unknown, index: number) => T | undefined,
): { parts: T[]; unknown: KeptPart[] } {
  const parts: T[] = [];
  const unknown: KeptPart[] = [];
  let pending: KeptPart[] = [];
  raw.forEach((entry, index) => {
    const part = decode(entry, index);
    if (part === undefined) {
      pending.push(entry as KeptPart);
      unknown.push(entry as KeptPart);
      return;
    }
    if (pending.length > 0) remember(part, dialect, { before: pending });
    pending = [];
    parts.push(part);
  });
  if (pending.length > 0 && parts.length > 0) {
    remember(parts[parts.length - 1], dialect, { after: pending });
  }
  return { parts, unknown };
}

/** `wire` (the encoded `part`) with the parts kept around it back in place. */
export function withKeptParts<W>(part: Carrier, dialect: string, wire: W): Array<W | KeptPart> {
  const memo = memoOf(part, dialect);
  if (!memo.before && !memo.after) return [wire];
  return [...memo.before ?? [], wire, ...memo.after ?? []];
}

/** How many parts ride on `part`. */
export function keptPartCount(part: Carrier, dialect: string): number {
  const memo = memoOf(part, dialect);
  return (memo.before?.length ?? 0) + (memo.after?.length ?? 0);
}
