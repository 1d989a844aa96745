import {
  cidrContains,
  effectiveAddress,
  formatIp,
  parseCidr,
  type Cidr,
  type IpAddress,
} from "./egress-address.ts";

// Address ranges that lead into a network, a host or a cloud control plane
// rather than to the public internet. The door refuses them unless policy
// names the address or its range explicitly. Order matters: the first match
// names the range in the refusal, so narrower entries come first.

interface InternalRange {
  cidr: Cidr;
  label: string;
}

const RANGES: Array<[string, string]> = [
  // Cloud instance metadata services hand out credentials.
  ["169.254.169.254", "cloud metadata"],
  ["fd00:ec2::254", "cloud metadata"],

  ["0.0.0.0/8", "unspecified"],
  ["10.0.0.0/8", "private (RFC 1918)"],
  ["100.64.0.0/10", "shared address space (CGNAT)"],
  ["127.0.0.0/8", "loopback"],
  ["169.254.0.0/16", "link-local"],
  ["172.16.0.0/12", "private (RFC 1918)"],
  ["192.0.0.0/24", "reserved (IETF protocol assignments)"],
  ["192.168.0.0/16", "private (RFC 1918)"],
  ["198.18.0.0/15", "reserved (benchmarking)"],
  ["224.0.0.0/4", "multicast"],
  ["240.0.0.0/4", "reserved (including broadcast)"],

  ["::/128", "unspecified"],
  ["::1/128", "loopback"],
  // Remaining IPv4-compatible forms that did not map to a usable address.
  ["::/96", "reserved (IPv4-compatible)"],
  ["100::/64", "reserved (discard)"],
  // Teredo and local-use NAT64 tunnel to addresses we cannot see.
  ["2001::/32", "reserved (Teredo tunnel)"],
  ["64:ff9b:1::/48", "reserved (local-use NAT64)"],
  ["fc00::/7", "unique local (ULA)"],
  ["fe80::/10", "link-local"],
  ["fec0::/10", "site-local"],
  ["ff00::/8", "multicast"],
];

const INTERNAL: InternalRange[] = RANGES.map(([text, label]) => {
  const cidr = parseCidr(text);
  if (!cidr) throw new Error(`internal range table holds bad entry ${text}`);
  return { cidr, label };
});

// Translation prefixes that carry an IPv4 address inside an IPv6 one: NAT64
// (64:ff9b::/96, address in the last 32 bits) and 6to4 (2002::/16, address
// in bits 16 to 48). A gateway turns them into the embedded IPv4 address.
const NAT64 = parseCidr("64:ff9b::/96")!;
const SIX_TO_FOUR = parseCidr("2002::/16")!;

function embeddedIpv4(address: IpAddress): IpAddress | undefined {
  if (cidrContains(NAT64, address)) {
    return { version: 4, bytes: address.bytes.slice(12, 16) };
  }
  if (cidrContains(SIX_TO_FOUR, address)) {
    return { version: 4, bytes: address.bytes.slice(2, 6) };
  }
  return undefined;
}

/**
 * The name of the internal range `address` falls in, or undefined for a
 * public address. IPv4-mapped, IPv4-compatible, NAT64 and 6to4 forms are
 * judged by the IPv4 address they reach.
 */
export function internalRange(address: IpAddress): string | undefined {
  const effective = effectiveAddress(address);
  const direct = INTERNAL.find((range) => cidrContains(range.cidr, effective));
  if (direct) return direct.label;

  const embedded = embeddedIpv4(effective);
  if (!embedded) return undefined;
  const inner = INTERNAL.find((range) => cidrContains(range.cidr, embedded));
  if (!inner) return undefined;
  return `${inner.label}, embedded as ${formatIp(embedded)}`;
}
