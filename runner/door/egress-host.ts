import { parseIpv4, parseIpv6, type IpAddress } from "./egress-address.ts";

// Host names and ports as they arrive from the sandbox (hostile) or from
// policy. Anything a resolver or URL parser could read in more than one way
// is refused rather than normalised: `2130706433`, `0x7f.1` and `127.1` all
// mean 127.0.0.1 to some parsers and a name to others.

export type ParsedHost =
  { kind: "ip"; address: IpAddress } | { kind: "name"; name: string };

export type Parsed<T> = { ok: true; value: T } | { ok: false; error: string };

const MAX_NAME_LENGTH = 253;
const LABEL = /^[a-z0-9_](?:[a-z0-9_-]{0,61}[a-z0-9_])?$/;
const NUMERIC_LABEL = /^(?:[0-9]+|0x[0-9a-f]*)$/;
const PORT = /^[0-9]{1,5}$/;
const MAX_PORT = 65535;

/** Keeps hostile text short and printable before it goes into a message. */
export function quote(text: string): string {
  const shown = text.length > 80 ? `${text.slice(0, 80)}...` : text;
  return JSON.stringify(shown);
}

function fail<T>(error: string): Parsed<T> {
  return { ok: false, error };
}

/**
 * A host as written in a URL authority or a CONNECT target: a name, a
 * dotted-decimal IPv4 address, or an IPv6 address in brackets. With
 * `bareIpv6`, an unbracketed IPv6 address is accepted too (policy entries).
 */
export function parseHost(text: string, bareIpv6 = false): Parsed<ParsedHost> {
  if (text.startsWith("[")) {
    const inner = text.endsWith("]") ? text.slice(1, -1) : "";
    const address = parseIpv6(inner);
    if (!address) {
      return fail(`${quote(text)} is not a valid bracketed IPv6 address`);
    }
    return { ok: true, value: { kind: "ip", address } };
  }
  if (text.includes(":")) {
    const address = bareIpv6 ? parseIpv6(text) : undefined;
    if (address) return { ok: true, value: { kind: "ip", address } };
    return fail(
      `${quote(text)} is not a valid host; write IPv6 addresses in brackets, such as [2001:db8::1]`,
    );
  }

  const lower = text.toLowerCase();
  const v4 = parseIpv4(lower);
  if (v4) return { ok: true, value: { kind: "ip", address: v4 } };

  const name = lower.endsWith(".") ? lower.slice(0, -1) : lower;
  if (name.length === 0) return fail("the host is empty");
  if (name.length > MAX_NAME_LENGTH) {
    return fail(
      `the host name is ${name.length} characters long; at most ${MAX_NAME_LENGTH} are allowed`,
    );
  }
  const labels = name.split(".");
  if (NUMERIC_LABEL.test(labels[labels.length - 1]!)) {
    return fail(
      `${quote(text)} looks like an IP address in a short, decimal, octal or hex form; write an IPv4 address as four decimal numbers such as 192.0.2.10`,
    );
  }
  if (!labels.every((label) => LABEL.test(label))) {
    return fail(
      `${quote(text)} is not a valid host name: use letters, digits, hyphens and dots only (internationalised names in their xn-- form)`,
    );
  }
  return { ok: true, value: { kind: "name", name } };
}

export function parsePort(text: string): Parsed<number> {
  if (!PORT.test(text)) {
    return fail(`port ${quote(text)} is not a number from 1 to ${MAX_PORT}`);
  }
  const port = Number(text);
  if (port < 1 || port > MAX_PORT) {
    return fail(`port ${port} is out of range; use 1 to ${MAX_PORT}`);
  }
  return { ok: true, value: port };
}

/**
 * Splits `host:port`, `[v6]:port` or (when `defaultPort` is given) a host
 * alone. A bare IPv6 address without brackets is ambiguous and refused.
 */
export function splitHostPort(
  text: string,
  defaultPort?: number,
): Parsed<{ host: ParsedHost; port: number }> {
  let hostText = text;
  let portText: string | undefined;
  if (text.startsWith("[")) {
    const close = text.indexOf("]");
    if (close > 0 && close + 1 < text.length) {
      if (text[close + 1] !== ":") {
        return fail(`${quote(text)} has text after the IPv6 address`);
      }
      hostText = text.slice(0, close + 1);
      portText = text.slice(close + 2);
    }
  } else {
    const colon = text.lastIndexOf(":");
    if (colon >= 0 && text.indexOf(":") === colon) {
      hostText = text.slice(0, colon);
      portText = text.slice(colon + 1);
    }
  }

  const host = parseHost(hostText);
  if (!host.ok) return host;
  if (portText === undefined) {
    if (defaultPort === undefined) {
      return fail(`${quote(text)} has no port; write host:port`);
    }
    return { ok: true, value: { host: host.value, port: defaultPort } };
  }
  const port = parsePort(portText);
  if (!port.ok) return port;
  return { ok: true, value: { host: host.value, port: port.value } };
}
