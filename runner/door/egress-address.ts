import { isIPv6 } from "node:net";

// IP addresses as bytes, strict parsing, CIDR ranges, and the ranges that lie
// inside a network rather than on the public internet. The door refuses
// those ranges unless policy names them, so this file decides what "inside"
// means for every egress decision.

export interface IpAddress {
  version: 4 | 6;
  bytes: Uint8Array;
}

export interface Cidr {
  base: IpAddress;
  prefix: number;
}

const IPV4_PART = /^(0|[1-9][0-9]{0,2})$/;

/**
 * Only the canonical dotted-decimal form is an IPv4 address here: four
 * numbers from 0 to 255 without leading zeros. Shorter, octal, hex and
 * single-number forms are left to the caller to refuse, because resolvers
 * and URL parsers disagree on what they mean.
 */
export function parseIpv4(text: string): IpAddress | undefined {
  const parts = text.split(".");
  if (parts.length !== 4) return undefined;
  const bytes = new Uint8Array(4);
  for (const [index, part] of parts.entries()) {
    if (!IPV4_PART.test(part)) return undefined;
    const value = Number(part);
    if (value > 255) return undefined;
    bytes[index] = value;
  }
  return { version: 4, bytes };
}

/** IPv6 in any RFC 4291 text form, without a zone id (`%eth0`). */
export function parseIpv6(text: string): IpAddress | undefined {
  if (text.includes("%") || !isIPv6(text)) return undefined;
  const halves = text.split("::");
  const head = halves[0] ? halves[0].split(":") : [];
  const tail = halves[1] ? halves[1].split(":") : [];
  const groups: number[] = [];
  const expand = (parts: string[]): boolean => {
    for (const part of parts) {
      if (part.includes(".")) {
        const v4 = parseIpv4(part);
        if (!v4) return false;
        groups.push((v4.bytes[0]! << 8) | v4.bytes[1]!);
        groups.push((v4.bytes[2]! << 8) | v4.bytes[3]!);
      } else {
        groups.push(parseInt(part, 16));
      }
    }
    return true;
  };
  if (!expand(head)) return undefined;
  const headCount = groups.length;
  if (!expand(tail)) return undefined;
  const missing = 8 - groups.length;
  if (halves.length === 1 ? missing !== 0 : missing < 1) return undefined;
  groups.splice(headCount, 0, ...new Array<number>(missing).fill(0));

  const bytes = new Uint8Array(16);
  for (const [index, group] of groups.entries()) {
    bytes[index * 2] = group >> 8;
    bytes[index * 2 + 1] = group & 0xff;
  }
  return { version: 6, bytes };
}

export function parseIp(text: string): IpAddress | undefined {
  return parseIpv4(text) ?? parseIpv6(text);
}

export function formatIp(address: IpAddress): string {
  const { bytes } = address;
  if (address.version === 4) return Array.from(bytes).join(".");
  const groups: number[] = [];
  for (let i = 0; i < 16; i += 2) groups.push((bytes[i]! << 8) | bytes[i + 1]!);

  // Collapse the longest run of two or more zero groups (RFC 5952).
  let bestStart = -1;
  let bestLength = 1;
  for (let start = 0; start < 8;) {
    let end = start;
    while (end < 8 && groups[end] === 0) end++;
    if (end - start > bestLength) {
      bestStart = start;
      bestLength = end - start;
    }
    start = end === start ? start + 1 : end;
  }
  const hex = groups.map((group) => group.toString(16));
  if (bestStart < 0) return hex.join(":");
  const left = hex.slice(0, bestStart).join(":");
  const right = hex.slice(bestStart + bestLength).join(":");
  return `${left}::${right}`;
}

/**
 * `a.b.c.d/n` or `v6/n`. A bare address is its own /32 or /128. Host bits
 * below the prefix must be zero, so a typo such as `10.1.2.3/8` is refused
 * instead of silently widened.
 */
export function parseCidr(text: string): Cidr | undefined {
  const slash = text.indexOf("/");
  const base = parseIp(slash < 0 ? text : text.slice(0, slash));
  if (!base) return undefined;
  const max = base.version === 4 ? 32 : 128;
  if (slash < 0) return { base, prefix: max };
  const prefixText = text.slice(slash + 1);
  if (!/^(0|[1-9][0-9]{0,2})$/.test(prefixText)) return undefined;
  const prefix = Number(prefixText);
  if (prefix > max) return undefined;
  const cidr = { base, prefix };
  return cidrContains(cidr, base, true) ? cidr : undefined;
}

export function formatCidr(cidr: Cidr): string {
  const max = cidr.base.version === 4 ? 32 : 128;
  const text = formatIp(cidr.base);
  return cidr.prefix === max ? text : `${text}/${cidr.prefix}`;
}

/**
 * Whether `address` lies in `cidr`. With `exactBase`, also checks that the
 * base has no bits set below the prefix (used when parsing).
 */
export function cidrContains(
  cidr: Cidr,
  address: IpAddress,
  exactBase = false,
): boolean {
  if (cidr.base.version !== address.version) return false;
  const { prefix } = cidr;
  const length = address.bytes.length;
  for (let i = 0; i < length; i++) {
    const bitsHere = Math.max(0, Math.min(8, prefix - i * 8));
    const mask = bitsHere === 0 ? 0 : (0xff << (8 - bitsHere)) & 0xff;
    const baseByte = cidr.base.bytes[i]!;
    if (exactBase && (baseByte & ~mask & 0xff) !== 0) return false;
    if ((baseByte & mask) !== (address.bytes[i]! & mask)) return false;
  }
  return true;
}

/**
 * The IPv4 address an IPv4-mapped (`::ffff:a.b.c.d`) or IPv4-compatible
 * (`::a.b.c.d`) IPv6 address reaches; other addresses are returned as they
 * are. A dual-stack socket connecting to `::ffff:127.0.0.1` reaches
 * 127.0.0.1, so both forms must be judged as the same destination.
 */
export function effectiveAddress(address: IpAddress): IpAddress {
  if (address.version === 4) return address;
  const { bytes } = address;
  const zeroPrefix = bytes.subarray(0, 10).every((byte) => byte === 0);
  const mapped = zeroPrefix && bytes[10] === 0xff && bytes[11] === 0xff;
  const compatible =
    zeroPrefix &&
    bytes[10] === 0 &&
    bytes[11] === 0 &&
    bytes.subarray(12, 14).some((byte) => byte !== 0);
  if (!mapped && !compatible) return address;
  return { version: 4, bytes: bytes.slice(12, 16) };
}
