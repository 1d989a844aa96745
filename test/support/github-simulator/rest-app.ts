import { asObject, notFound } from "./http.ts";
import { intParam, paginate, route, type Route } from "./router.ts";
import { appJson, installationJson, repoJson } from "./serialize.ts";
import { timestamp } from "./state.ts";
import { mintToken, requireApp, requireInstallation } from "./tokens.ts";

/**
 * The App's own endpoints (authenticated by its JWT) and the installation
 * token's life: minting, narrowing and revocation.
 */
export const appRoutes: Route[] = [
  route("GET", "/app", (ctx) => {
    requireApp(ctx.caller);
    return { status: 200, body: appJson(ctx.state, ctx.urls) };
  }),

  route("GET", "/app/installations", (ctx) => {
    requireApp(ctx.caller);
    return {
      status: 200,
      body: [installationJson(ctx.state, ctx.urls)],
    };
  }),

  route("GET", "/app/installations/{id}", (ctx) => {
    requireApp(ctx.caller);
    if (intParam(ctx, "id") !== ctx.state.installation.id) throw notFound();
    return { status: 200, body: installationJson(ctx.state, ctx.urls) };
  }),

  route("GET", "/repos/{owner}/{repo}/installation", (ctx) => {
    requireApp(ctx.caller);
    const repo = ctx.state.findRepository(
      ctx.params.owner ?? "",
      ctx.params.repo ?? "",
    );
    if (!repo?.installed) throw notFound();
    return { status: 200, body: installationJson(ctx.state, ctx.urls) };
  }),

  route("GET", "/orgs/{org}/installation", (ctx) => {
    requireApp(ctx.caller);
    const account = ctx.state.installation.account.toLowerCase();
    if ((ctx.params.org ?? "").toLowerCase() !== account) throw notFound();
    return { status: 200, body: installationJson(ctx.state, ctx.urls) };
  }),

  route("GET", "/users/{user}/installation", (ctx) => {
    requireApp(ctx.caller);
    const account = ctx.state.installation.account.toLowerCase();
    if ((ctx.params.user ?? "").toLowerCase() !== account) throw notFound();
    return { status: 200, body: installationJson(ctx.state, ctx.urls) };
  }),

  route("POST", "/app/installations/{id}/access_tokens", (ctx) => {
    requireApp(ctx.caller);
    if (intParam(ctx, "id") !== ctx.state.installation.id) throw notFound();
    const token = mintToken(ctx.state, asObject(ctx.body));
    const repositories = [...ctx.state.repositories.values()].filter(
      (repo) =>
        repo.installed &&
        (token.repositoryIds === null || token.repositoryIds.includes(repo.id)),
    );
    return {
      status: 201,
      body: {
        token: token.token,
        expires_at: timestamp(token.expiresAt),
        permissions: token.permissions,
        repository_selection: token.repositoryIds === null ? "all" : "selected",
        ...(token.repositoryIds !== null && {
          repositories: repositories.map((repo) =>
            repoJson(ctx.state, repo, ctx.urls),
          ),
        }),
      },
    };
  }),

  route("GET", "/installation/repositories", (ctx) => {
    const token = requireInstallation(ctx.caller);
    const repositories = [...ctx.state.repositories.values()].filter(
      (repo) =>
        repo.installed &&
        (token.repositoryIds === null || token.repositoryIds.includes(repo.id)),
    );
    const page = paginate(ctx, "/installation/repositories", repositories);
    return {
      status: 200,
      headers: page.headers,
      body: {
        total_count: repositories.length,
        repository_selection: token.repositoryIds === null ? "all" : "selected",
        repositories: page.items.map((repo) =>
          repoJson(ctx.state, repo, ctx.urls),
        ),
      },
    };
  }),

  // A token revokes itself; it answers 401 from then on.
  route("DELETE", "/installation/token", (ctx) => {
    const token = requireInstallation(ctx.caller);
    token.revokedAt = new Date();
    return { status: 204 };
  }),
];
