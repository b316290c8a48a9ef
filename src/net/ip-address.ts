/**
 * @module
 * IP addresses and ranges as the management API's access rules read them:
 * a socket peer's address, the `trusted-proxies` list (addresses and CIDR
 * ranges, IPv4 and IPv6), and `X-Forwarded-For` entries. Addresses are
 * compared as numbers, so `::ffff:127.0.0.1` is `127.0.0.1` and `::0:1` is
 * `::1`.
 */

/** An address as bits: 32 for IPv4, 128 for IPv6 (IPv4-mapped IPv6 reads as IPv4). */
export interface IpAddress {
  version: 4 | 6;
  value: bigint;
}

export interface IpRange {
  address: IpAddress;
  /** Leading bits that must match. */
  prefix: number;
}

function parseIpv4(text: string): bigint | undefined {
  const parts = text.split(".");
  if (parts.length !== 4) return undefined;
  let value = 0n;
  for (const part of parts) {
    if (!/^\d{1,3}$/.test(part) || Number(part) > 255) return undefined;
    value = (value << 8n) | BigInt(Number(part));
  }
  return value;
}

function parseIpv6(text: string): bigint | undefined {
  let body = text;
  // A trailing dotted quad (::ffff:1.2.3.4) counts as two groups.
  let tail: bigint[] = [];
  const lastColon = body.lastIndexOf(":");
  if (body.includes(".") && lastColon !== -1) {
    const v4 = parseIpv4(body.slice(lastColon + 1));
    if (v4 === undefined) return undefined;
    tail = [v4 >> 16n, v4 & 0xffffn];
    body = body.slice(0, lastColon + 1) + "0:0";
  }
  const halves = body.split("::");
  if (halves.length > 2) return undefined;
  const groups = (half: string) => half === "" ? [] : half.split(":");
  const head = groups(halves[0]);
  const rest = halves.length === 2 ? groups(halves[1]) : [];
  const missing = 8 - head.length - rest.length;
  if (halves.length === 1 ? missing !== 0 : missing < 1) return undefined;
  const all = [...head, ...Array(halves.length === 2 ? missing : 0).fill("0"), ...rest];
  let value = 0n;
  for (const group of all) {
    if (!/^[0-9a-f]{1,4}$/i.test(group)) return undefined;
    value = (value << 16n) | BigInt(parseInt(group, 16));
  }
  if (tail.length) value = (value >> 32n << 32n) | (tail[0] << 16n) | tail[1];
  return value;
}

const MAPPED_PREFIX = 0xffffn << 32n;

/** Parses `127.0.0.1`, `::1`, `[::1]`, `fe80::1%eth0`; undefined when it is no address. */
export function parseIp(text: string): IpAddress | undefined {
  const bare = text.trim().replace(/^\[(.*)\]$/, "$1").replace(/%.*$/, "");
  const v4 = parseIpv4(bare);
  if (v4 !== undefined) return { version: 4, value: v4 };
  if (!bare.includes(":")) return undefined;
  const v6 = parseIpv6(bare);
  if (v6 === undefined) return undefined;
  // An IPv4 client seen through a dual-stack socket is that IPv4 client.
  if (v6 >> 32n === MAPPED_PREFIX >> 32n) return { version: 4, value: v6 & 0xffffffffn };
  return { version: 6, value: v6 };
}

/** Parses an address or `address/prefix`; why not, when it is neither. */
export function parseIpRange(text: string): IpRange | { problem: string } {
  const [host, bits, extra] = text.trim().split("/");
  if (extra !== undefined) return { problem: "must be an address or address/prefix" };
  const address = parseIp(host);
  if (!address) return { problem: `"${host}" is not an IPv4 or IPv6 address` };
  const width = address.version === 4 ? 32 : 128;
  if (bits === undefined) return { address, prefix: width };
  if (!/^\d{1,3}$/.test(bits) || Number(bits) > width) {
    return { problem: `the prefix length must be 0 to ${width}` };
  }
  return { address: masked(address, Number(bits)), prefix: Number(bits) };
}

function masked(address: IpAddress, prefix: number): IpAddress {
  const width = address.version === 4 ? 32n : 128n;
  const keep = BigInt(prefix);
  const mask = keep === 0n ? 0n : ((1n << keep) - 1n) << (width - keep);
  return { version: address.version, value: address.value & mask };
}

export function inRange(address: IpAddress, range: IpRange): boolean {
  return address.version === range.address.version &&
    masked(address, range.prefix).value === range.address.value;
}

export function isLoopbackIp(address: IpAddress): boolean {
  return address.version === 4 ? address.value >> 24n === 127n : address.value === 1n;
}

/** The address as text; an IPv6 address grouped to its /64, which one host usually holds whole. */
export function formatIp(address: IpAddress, options: { network64?: boolean } = {}): string {
  if (address.version === 4) {
    return [24n, 16n, 8n, 0n].map((shift) => String((address.value >> shift) & 255n)).join(".");
  }
  const value = options.network64 ? masked(address, 64).value : address.value;
  const groups = Array.from(
    { length: 8 },
    (_, index) => ((value >> BigInt(112 - index * 16)) & 0xffffn).toString(16),
  );
  const text = groups.join(":").replace(/(^|:)0(:0)+(:|$)/, "::");
  return options.network64 ? `${text}/64` : text;
}
