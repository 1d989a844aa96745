// Where a model call from the sandbox goes: `/model/<provider>/<path>` maps
// to `<the provider's base URL>/<path>`. The path is hostile input, so any
// segment that could climb out of the base URL's path, in plain or encoded
// form, is refused rather than normalised.

export type ProviderName = "anthropic" | "openai";

export const PROVIDER_NAMES: readonly ProviderName[] = ["anthropic", "openai"];

export type RouteResult =
  | { ok: true; provider: ProviderName; path: string; query: string }
  | { ok: false; status: number; error: string };

// Longer paths are no real client's.
const MAX_PATH_LENGTH = 8192;
const PREFIX = /^\/model\/([^/?#]*)(\/[^?#]*)?(\?[^#]*)?$/;
// Dot segments, encoded slashes, backslashes and encoded dots could change
// which upstream path a server ends up serving.
const UNSAFE_SEGMENT = /^\.{1,2}$|%2e|%2f|%5c|\\/i;
const PRINTABLE = /^[\x21-\x7e]*$/;

function isProvider(name: string): name is ProviderName {
  return (PROVIDER_NAMES as readonly string[]).includes(name);
}

export function routeModelRequest(url: string): RouteResult {
  if (url.length > MAX_PATH_LENGTH || !PRINTABLE.test(url)) {
    return { ok: false, status: 400, error: "the request path is not valid" };
  }
  const match = PREFIX.exec(url);
  if (!match) {
    return {
      ok: false,
      status: 404,
      error: "model calls go to /model/anthropic/... or /model/openai/...",
    };
  }
  const provider = match[1]!;
  if (!isProvider(provider)) {
    return {
      ok: false,
      status: 404,
      error: `no model provider is called ${JSON.stringify(provider.slice(0, 40))}; use anthropic or openai`,
    };
  }
  const path = match[2] ?? "/";
  const segments = path.split("/").slice(1);
  const empty = segments.slice(0, -1).some((segment) => segment === "");
  if (empty || segments.some((segment) => UNSAFE_SEGMENT.test(segment))) {
    return {
      ok: false,
      status: 400,
      error: "the path holds empty or dot segments, or encoded separators",
    };
  }
  return { ok: true, provider, path, query: match[3] ?? "" };
}

/** The base URL's path joined with the sandbox's path, query kept. */
export function upstreamUrl(base: URL, path: string, query: string): URL {
  const url = new URL(base.href);
  url.pathname = `${base.pathname.replace(/\/+$/, "")}${path}`;
  url.search = query;
  return url;
}
