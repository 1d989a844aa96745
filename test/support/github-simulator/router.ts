import type { IncomingHttpHeaders } from "node:http";

import { notFound, type JsonReply } from "./http.ts";
import type { SimRepository, SimToken, SimulatorState } from "./state.ts";
import {
  requireInstallation,
  requireRepositoryAccess,
  type Caller,
} from "./tokens.ts";

export interface SimulatorUrls {
  /** `http://127.0.0.1:<port>`: web pages and git. */
  web: string;
  /** `<web>/api/v3`: the REST API, as on GitHub Enterprise Server. */
  api: string;
}

export interface RouteContext {
  state: SimulatorState;
  urls: SimulatorUrls;
  caller: Caller;
  params: Record<string, string>;
  query: URLSearchParams;
  body: unknown;
  headers: IncomingHttpHeaders;
}

export type Handler = (ctx: RouteContext) => Promise<JsonReply> | JsonReply;

export interface Route {
  method: string;
  pattern: RegExp;
  keys: string[];
  handler: Handler;
}

/**
 * A route from a template like GitHub's documentation writes them:
 * `{name}` is one path segment, `{name+}` the rest of the path (branch names
 * and file paths hold slashes).
 */
export function route(
  method: string,
  template: string,
  handler: Handler,
): Route {
  const keys: string[] = [];
  const source = template.replace(/\{(\w+)(\+?)\}/g, (_, key, rest) => {
    keys.push(key as string);
    return rest ? "(.+)" : "([^/]+)";
  });
  return { method, pattern: new RegExp(`^${source}$`), keys, handler };
}

export function matchRoute(
  routes: Route[],
  method: string,
  path: string,
): { route: Route; params: Record<string, string> } | null {
  for (const candidate of routes) {
    if (candidate.method !== method) continue;
    const match = candidate.pattern.exec(path);
    if (!match) continue;
    const params: Record<string, string> = {};
    candidate.keys.forEach((key, index) => {
      params[key] = decodeURIComponent(match[index + 1] ?? "");
    });
    return { route: candidate, params };
  }
  return null;
}

/**
 * The repository named by `{owner}/{repo}`, reached with an installation
 * token allowed to see it; anything else is GitHub's 404 or 401.
 */
export function repositoryAccess(ctx: RouteContext): {
  repo: SimRepository;
  token: SimToken;
} {
  const token = requireInstallation(ctx.caller);
  const repo = ctx.state.findRepository(
    ctx.params.owner ?? "",
    ctx.params.repo ?? "",
  );
  if (!repo) throw notFound();
  requireRepositoryAccess(token, repo, ctx.state);
  return { repo, token };
}

/** An integer path parameter, or 404 as GitHub answers for `/issues/abc`. */
export function intParam(ctx: RouteContext, key: string): number {
  const value = Number(ctx.params[key]);
  if (!Number.isSafeInteger(value) || value <= 0) throw notFound();
  return value;
}

/**
 * One page of a list, with the `Link` header Octokit's paginate follows.
 */
export function paginate<T>(
  ctx: RouteContext,
  path: string,
  items: T[],
): { items: T[]; headers: Record<string, string> } {
  const perPage = Math.min(
    100,
    Math.max(1, Number(ctx.query.get("per_page") ?? 30) || 30),
  );
  const page = Math.max(1, Number(ctx.query.get("page") ?? 1) || 1);
  const slice = items.slice((page - 1) * perPage, page * perPage);
  const last = Math.max(1, Math.ceil(items.length / perPage));
  const headers: Record<string, string> = {};
  if (page < last) {
    const link = (n: number) => {
      const query = new URLSearchParams(ctx.query);
      query.set("page", String(n));
      query.set("per_page", String(perPage));
      return `<${ctx.urls.api}${path}?${query.toString()}>`;
    };
    headers.link = `${link(page + 1)}; rel="next", ${link(last)}; rel="last"`;
  }
  return { items: slice, headers };
}
