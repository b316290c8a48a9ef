/**
 * @module
 * "7h 12m", "3d 4h", "expired 2h ago": expiry as a person reads it.
 */

export function span(ms: number): string {
  const minutes = Math.floor(ms / 60_000);
  const days = Math.floor(minutes / 1440);
  const hours = Math.floor((minutes % 1440) / 60);
  if (days > 0) return hours ? `${days}d ${hours}h` : `${days}d`;
  if (hours > 0) return `${hours}h ${minutes % 60}m`;
  return minutes > 0 ? `${minutes}m` : "<1m";
}

export function formatExpiresIn(expiresAt: Date | undefined, now = Date.now()): string {
  if (!expiresAt) return "-";
  const left = expiresAt.getTime() - now;
  return left > 0 ? span(left) : `expired ${span(-left)} ago`;
}

export function formatAgo(when: Date, now = Date.now()): string {
  const ago = now - when.getTime();
  return ago >= 0 ? `${span(ago)} ago` : "just now";
}
