import type { IncomingHttpHeaders, OutgoingHttpHeaders } from "node:http";

// Headers that describe one connection rather than the message (RFC 9110
// section 7.6.1), plus the proxy's own. A proxy must not pass them on, and
// `Proxy-Authorization` in particular must never reach an upstream.
const HOP_BY_HOP = new Set([
  "connection",
  "keep-alive",
  "proxy-connection",
  "proxy-authorization",
  "proxy-authenticate",
  "te",
  "trailer",
  "transfer-encoding",
  "upgrade",
]);

/**
 * A copy of `headers` without hop-by-hop headers, the ones the `Connection`
 * header names, and any listed in `drop` (lowercase).
 */
export function endToEndHeaders(
  headers: IncomingHttpHeaders,
  drop: readonly string[] = [],
): OutgoingHttpHeaders {
  const named = String(headers.connection ?? "")
    .split(",")
    .map((token) => token.trim().toLowerCase())
    .filter((token) => token.length > 0);
  const skip = new Set([...HOP_BY_HOP, ...named, ...drop]);

  const kept: OutgoingHttpHeaders = {};
  for (const [name, value] of Object.entries(headers)) {
    if (value === undefined || skip.has(name)) continue;
    kept[name] = value;
  }
  return kept;
}
