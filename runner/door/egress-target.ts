import {
  quote,
  splitHostPort,
  type Parsed,
  type ParsedHost,
} from "./egress-host.ts";

// Where a proxied request wants to go, read from the raw request target the
// sandbox sent. We parse it ourselves instead of with `new URL`, because the
// URL parser quietly rewrites hosts (`http://2130706433/` becomes
// `http://127.0.0.1/`) and drops userinfo, and we want to refuse both.

export interface EgressTarget {
  host: ParsedHost;
  port: number;
  /** Origin-form path and query to send upstream (plain HTTP only). */
  path: string;
}

// Longer targets are no real client's; a cap keeps hostile input out of
// every later step, logs included.
export const MAX_TARGET_LENGTH = 8192;
const HTTP_PORT = 80;
const SCHEME = /^([a-zA-Z][a-zA-Z0-9+.-]*):\/\//;
const PRINTABLE = /^[\x21-\x7e]*$/;

function fail<T>(error: string): Parsed<T> {
  return { ok: false, error };
}

function checkLength(raw: string): string | undefined {
  if (raw.length > MAX_TARGET_LENGTH) {
    return `the request target is ${raw.length} characters long; at most ${MAX_TARGET_LENGTH} are allowed`;
  }
  if (!PRINTABLE.test(raw)) {
    return "the request target holds spaces or control characters";
  }
  return undefined;
}

function checkAuthority(authority: string): string | undefined {
  if (authority.includes("@")) {
    return "credentials in the URL (user@host) are refused; the door does not forward them";
  }
  if (authority.includes("\\") || authority.includes("%")) {
    return `${quote(authority)} holds characters that are not allowed in a host`;
  }
  return undefined;
}

/** An absolute-form target, `http://host[:port]/path?query`. */
export function parseProxyTarget(raw: string): Parsed<EgressTarget> {
  const bad = checkLength(raw);
  if (bad) return fail(bad);
  const scheme = SCHEME.exec(raw);
  if (!scheme) {
    return fail(
      `${quote(raw)} is not an absolute http:// URL; send proxied requests as GET http://host/path`,
    );
  }
  const name = scheme[1]!.toLowerCase();
  if (name === "https") {
    return fail(
      "https:// URLs are tunnelled, not proxied; the client should use CONNECT (HTTPS_PROXY does this)",
    );
  }
  if (name !== "http") {
    return fail(`the ${quote(name)} scheme cannot be proxied; only http://`);
  }

  const rest = raw.slice(scheme[0].length);
  const end = rest.search(/[/?#]/);
  const authority = end < 0 ? rest : rest.slice(0, end);
  const badAuthority = checkAuthority(authority);
  if (badAuthority) return fail(badAuthority);
  const hostPort = splitHostPort(authority, HTTP_PORT);
  if (!hostPort.ok) return hostPort;

  let path = end < 0 ? "/" : rest.slice(end);
  const hash = path.indexOf("#");
  if (hash >= 0) path = path.slice(0, hash);
  if (!path.startsWith("/")) path = `/${path}`;
  return { ok: true, value: { ...hostPort.value, path } };
}

/** A CONNECT target, `host:port` with the port required. */
export function parseConnectTarget(raw: string): Parsed<EgressTarget> {
  const bad = checkLength(raw);
  if (bad) return fail(bad);
  const badAuthority = checkAuthority(raw);
  if (badAuthority) return fail(badAuthority);
  if (/[/?#]/.test(raw)) {
    return fail(`${quote(raw)} is not a CONNECT target; write host:port`);
  }
  const hostPort = splitHostPort(raw);
  if (!hostPort.ok) return hostPort;
  return { ok: true, value: { ...hostPort.value, path: "" } };
}
