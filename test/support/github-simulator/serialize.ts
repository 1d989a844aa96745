import type { SimulatorUrls } from "./router.ts";
import type { SimCheckRun, SimRepository, SimulatorState } from "./state.ts";

/**
 * The JSON shapes GitHub answers with, trimmed to the fields apps read but
 * keeping their names and nesting exact.
 */

export function userJson(
  state: SimulatorState,
  login: string,
  urls: SimulatorUrls,
) {
  const user = state.user(login);
  return {
    login: user.login,
    id: user.id,
    node_id: `U_${user.id}`,
    type: user.type,
    site_admin: false,
    html_url: `${urls.web}/${user.login}`,
    url: `${urls.api}/users/${encodeURIComponent(user.login)}`,
  };
}

export function accountJson(
  state: SimulatorState,
  login: string,
  urls: SimulatorUrls,
) {
  const base = userJson(state, login, urls);
  const isOrg =
    login.toLowerCase() === state.installation.account.toLowerCase();
  return { ...base, type: isOrg ? "Organization" : base.type };
}

export function repoJson(
  state: SimulatorState,
  repo: SimRepository,
  urls: SimulatorUrls,
): Record<string, unknown> {
  const base = {
    id: repo.id,
    node_id: `R_${repo.id}`,
    name: repo.name,
    full_name: repo.fullName,
    owner: accountJson(state, repo.owner, urls),
    private: repo.private,
    visibility: repo.private ? "private" : "public",
    fork: repo.forkOf !== null,
    default_branch: repo.defaultBranch,
    html_url: `${urls.web}/${repo.fullName}`,
    url: `${urls.api}/repos/${repo.fullName}`,
    clone_url: `${urls.web}/${repo.fullName}.git`,
    archived: false,
    disabled: false,
    created_at: repo.createdAt,
  };
  if (!repo.forkOf) return base;
  const parent = state.repository(repo.forkOf);
  const parentJson = repoJson(state, parent, urls);
  return { ...base, parent: parentJson, source: parentJson };
}

export function appJson(state: SimulatorState, urls: SimulatorUrls) {
  return {
    id: state.app.id,
    slug: state.app.slug,
    node_id: `A_${state.app.id}`,
    name: state.app.name,
    owner: accountJson(state, state.installation.account, urls),
    html_url: `${urls.web}/apps/${state.app.slug}`,
    permissions: state.installation.permissions,
    events: state.installation.events,
    installations_count: 1,
  };
}

export function installationJson(state: SimulatorState, urls: SimulatorUrls) {
  const installation = state.installation;
  return {
    id: installation.id,
    account: accountJson(state, installation.account, urls),
    app_id: state.app.id,
    app_slug: state.app.slug,
    target_type: "Organization",
    repository_selection: "all",
    permissions: installation.permissions,
    events: installation.events,
    access_tokens_url: `${urls.api}/app/installations/${installation.id}/access_tokens`,
    repositories_url: `${urls.api}/installation/repositories`,
    html_url: `${urls.web}/organizations/${installation.account}/settings/installations/${installation.id}`,
    created_at: installation.createdAt,
    updated_at: installation.createdAt,
    suspended_at: null,
  };
}

export function checkRunJson(
  state: SimulatorState,
  run: SimCheckRun,
  urls: SimulatorUrls,
) {
  const repo = state.repositoryById(run.repositoryId);
  return {
    id: run.id,
    node_id: `CR_${run.id}`,
    name: run.name,
    head_sha: run.headSha,
    status: run.status,
    conclusion: run.conclusion,
    started_at: run.startedAt,
    completed_at: run.completedAt,
    details_url: run.detailsUrl,
    external_id: run.externalId,
    output: {
      title: run.output?.title ?? null,
      summary: run.output?.summary ?? null,
      text: run.output?.text ?? null,
      annotations_count: 0,
    },
    actions: run.actions,
    app: appJson(state, urls),
    pull_requests: [],
    url: `${urls.api}/repos/${repo.fullName}/check-runs/${run.id}`,
    html_url: `${urls.web}/${repo.fullName}/runs/${run.id}`,
  };
}
