/**
 * @module
 * Who is calling, as the access rules see it: the socket's peer, or, when
 * that peer is one of `trusted-proxies`, the client its `X-Forwarded-For`
 * names (the rightmost address that is not itself a trusted proxy). A header
 * never makes a caller local: from an untrusted peer it is ignored, and a
 * loopback peer that is not trusted but relays for someone (it sends a
 * forwarding header) is not counted as local either, since a reverse proxy
 * on this machine would otherwise make every remote client look local.
 */
import {
  formatIp,
  inRange,
  type IpAddress,
  type IpRange,
  isLoopbackIp,
  parseIp,
  parseIpRange,
} from "../../net/ip-address.ts";

export interface Caller {
  /** The caller's address as text (`unknown` when it cannot be told). */
  address: string;
  /** Whether the caller is this machine: a loopback address, and no proxy relaying for another. */
  local: boolean;
  /** Why a loopback caller is not counted as local, for the refusal's message. */
  relayed?: string;
  /** Counts wrong keys per caller: the address, an IPv6 one grouped to its /64. */
  lockoutKey: string;
  /** The peer is a trusted proxy (which may have named the caller). */
  viaProxy: boolean;
}

const FORWARDING_HEADERS = ["x-forwarded-for", "forwarded", "x-real-ip"];

let cachedFor: readonly string[] | undefined;
let cachedRanges: IpRange[] = [];

/** The parsed `trusted-proxies` (validated by the config), cached while the list is the same. */
function rangesOf(list: readonly string[]): IpRange[] {
  if (list !== cachedFor) {
    cachedFor = list;
    cachedRanges = list.map(parseIpRange).filter((range): range is IpRange => "address" in range);
  }
  return cachedRanges;
}

const trusted = (address: IpAddress, ranges: IpRange[]) => ranges.some((r) => inRange(address, r));

/** The client a trusted proxy's `X-Forwarded-For` names; undefined when an entry is not an IP. */
function forwardedClient(header: string, ranges: IpRange[]): IpAddress | undefined | "none" {
  const hops = header.split(",").map((hop) => hop.trim()).filter(Boolean);
  if (hops.length === 0) return "none";
  for (let index = hops.length - 1; index >= 0; index--) {
    // `1.2.3.4:5678` carries a port; IPv6 hops come bare or in brackets.
    const hop = /^\d+\.\d+\.\d+\.\d+:\d+$/.test(hops[index])
      ? hops[index].replace(/:\d+$/, "")
      : hops[index].replace(/^\[([^\]]+)\](:\d+)?$/, "$1");
    const address = parseIp(hop);
    if (!address) return undefined;
    if (!trusted(address, ranges) || index === 0) return address;
  }
  return undefined;
}

function callerAt(address: IpAddress | undefined, relayed?: string, viaProxy = false): Caller {
  if (!address) return { address: "unknown", local: false, lockoutKey: "unknown", viaProxy };
  return {
    address: formatIp(address),
    local: isLoopbackIp(address) && relayed === undefined,
    relayed,
    lockoutKey: formatIp(address, { network64: address.version === 6 }),
    viaProxy,
  };
}

export function callerOf(
  peer: string | undefined,
  headers: Headers,
  trustedProxies: readonly string[],
): Caller {
  const ranges = rangesOf(trustedProxies);
  const peerAddress = peer === undefined ? undefined : parseIp(peer);
  if (!peerAddress) return callerAt(undefined);
  if (trusted(peerAddress, ranges)) {
    const forwarded = headers.get("x-forwarded-for");
    if (forwarded === null) return callerAt(peerAddress, undefined, true);
    const client = forwardedClient(forwarded, ranges);
    return callerAt(client === "none" ? peerAddress : client, undefined, true);
  }
  const relay = FORWARDING_HEADERS.find((name) => headers.has(name));
  return callerAt(peerAddress, relay);
}
