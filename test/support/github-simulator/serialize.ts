import { resolveBranch } from "./git-repos.ts";
import type { SimulatorUrls } from "./router.ts";
import type {
  SimCheckRun,
  SimIssue,
  SimIssueComment,
  SimPull,
  SimReaction,
  SimRepository,
  SimReview,
  SimReviewComment,
  SimulatorState,
} from "./state.ts";

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

function issueUrls(repo: SimRepository, number: number, urls: SimulatorUrls) {
  return {
    url: `${urls.api}/repos/${repo.fullName}/issues/${number}`,
    html_url: `${urls.web}/${repo.fullName}/issues/${number}`,
  };
}

export function issueJson(
  state: SimulatorState,
  issue: SimIssue,
  urls: SimulatorUrls,
) {
  const repo = state.repositoryById(issue.repositoryId);
  const json: Record<string, unknown> = {
    id: issue.repositoryId * 100_000 + issue.number,
    node_id: `I_${issue.repositoryId}_${issue.number}`,
    number: issue.number,
    title: issue.title,
    body: issue.body,
    user: userJson(state, issue.user, urls),
    state: issue.state,
    locked: false,
    labels: issue.labels.map((name) => ({ name })),
    comments: state.issueComments.filter(
      (c) => c.repositoryId === repo.id && c.issueNumber === issue.number,
    ).length,
    author_association: association(repo, issue.user),
    created_at: issue.createdAt,
    updated_at: issue.updatedAt,
    ...issueUrls(repo, issue.number, urls),
  };
  if (issue.pull) {
    const pullUrl = `${urls.web}/${repo.fullName}/pull/${issue.number}`;
    json.html_url = pullUrl;
    json.draft = issue.pull.draft;
    json.pull_request = {
      url: `${urls.api}/repos/${repo.fullName}/pulls/${issue.number}`,
      html_url: pullUrl,
      diff_url: `${pullUrl}.diff`,
      patch_url: `${pullUrl}.patch`,
    };
  }
  return json;
}

/** What GitHub's `author_association` would say; apps must not trust it. */
function association(repo: SimRepository, login: string): string {
  if (login.toLowerCase() === repo.owner.toLowerCase()) return "OWNER";
  return repo.collaborators.has(login.toLowerCase()) ? "COLLABORATOR" : "NONE";
}

async function branchJson(
  state: SimulatorState,
  repo: SimRepository,
  ref: string,
  urls: SimulatorUrls,
) {
  const sha = (await resolveBranch(repo.gitDir, ref)) ?? "0".repeat(40);
  return {
    label: `${repo.owner}:${ref}`,
    ref,
    sha,
    user: accountJson(state, repo.owner, urls),
    repo: repoJson(state, repo, urls),
  };
}

export async function pullJson(
  state: SimulatorState,
  pull: SimPull,
  urls: SimulatorUrls,
) {
  const repo = state.repositoryById(pull.repositoryId);
  const headRepo = state.repositoryById(pull.pull.headRepositoryId);
  const htmlUrl = `${urls.web}/${repo.fullName}/pull/${pull.number}`;
  return {
    id: pull.repositoryId * 100_000 + pull.number,
    node_id: `PR_${pull.repositoryId}_${pull.number}`,
    number: pull.number,
    title: pull.title,
    body: pull.body,
    state: pull.state,
    draft: pull.pull.draft,
    merged: pull.pull.merged,
    locked: false,
    user: userJson(state, pull.user, urls),
    author_association: association(repo, pull.user),
    head: await branchJson(state, headRepo, pull.pull.headRef, urls),
    base: await branchJson(state, repo, pull.pull.baseRef, urls),
    requested_reviewers: pull.pull.requestedReviewers.map((login) =>
      userJson(state, login, urls),
    ),
    labels: pull.labels.map((name) => ({ name })),
    created_at: pull.createdAt,
    updated_at: pull.updatedAt,
    url: `${urls.api}/repos/${repo.fullName}/pulls/${pull.number}`,
    html_url: htmlUrl,
    diff_url: `${htmlUrl}.diff`,
    patch_url: `${htmlUrl}.patch`,
    issue_url: `${urls.api}/repos/${repo.fullName}/issues/${pull.number}`,
  };
}

export function issueCommentJson(
  state: SimulatorState,
  comment: SimIssueComment,
  urls: SimulatorUrls,
) {
  const repo = state.repositoryById(comment.repositoryId);
  const issue = state.findIssue(repo.id, comment.issueNumber);
  const kind = issue?.pull ? "pull" : "issues";
  return {
    id: comment.id,
    node_id: `IC_${comment.id}`,
    body: comment.body,
    user: userJson(state, comment.user, urls),
    author_association: association(repo, comment.user),
    created_at: comment.createdAt,
    updated_at: comment.updatedAt,
    url: `${urls.api}/repos/${repo.fullName}/issues/comments/${comment.id}`,
    html_url: `${urls.web}/${repo.fullName}/${kind}/${comment.issueNumber}#issuecomment-${comment.id}`,
    issue_url: `${urls.api}/repos/${repo.fullName}/issues/${comment.issueNumber}`,
    reactions: reactionSummary(state, "issue_comment", comment.id),
  };
}

export function reviewCommentJson(
  state: SimulatorState,
  comment: SimReviewComment,
  urls: SimulatorUrls,
) {
  const repo = state.repositoryById(comment.repositoryId);
  return {
    id: comment.id,
    node_id: `PRRC_${comment.id}`,
    pull_request_review_id: comment.reviewId,
    in_reply_to_id: comment.inReplyToId ?? undefined,
    body: comment.body,
    path: comment.path,
    line: comment.line,
    original_line: comment.line,
    side: comment.side,
    diff_hunk: comment.diffHunk,
    commit_id: comment.commitId,
    original_commit_id: comment.commitId,
    user: userJson(state, comment.user, urls),
    author_association: association(repo, comment.user),
    created_at: comment.createdAt,
    updated_at: comment.updatedAt,
    url: `${urls.api}/repos/${repo.fullName}/pulls/comments/${comment.id}`,
    html_url: `${urls.web}/${repo.fullName}/pull/${comment.pullNumber}#discussion_r${comment.id}`,
    pull_request_url: `${urls.api}/repos/${repo.fullName}/pulls/${comment.pullNumber}`,
    reactions: reactionSummary(state, "review_comment", comment.id),
  };
}

export function reviewJson(
  state: SimulatorState,
  review: SimReview,
  urls: SimulatorUrls,
) {
  const repo = state.repositoryById(review.repositoryId);
  return {
    id: review.id,
    node_id: `PRR_${review.id}`,
    user: userJson(state, review.user, urls),
    body: review.body,
    state: review.state,
    commit_id: review.commitId,
    submitted_at: review.submittedAt,
    author_association: association(repo, review.user),
    html_url: `${urls.web}/${repo.fullName}/pull/${review.pullNumber}#pullrequestreview-${review.id}`,
    pull_request_url: `${urls.api}/repos/${repo.fullName}/pulls/${review.pullNumber}`,
  };
}

function reactionSummary(
  state: SimulatorState,
  kind: SimReaction["subject"]["kind"],
  id: number,
) {
  const reactions = state.reactions.filter(
    (r) => r.subject.kind === kind && r.subject.id === id,
  );
  const summary: Record<string, number> = { total_count: reactions.length };
  for (const reaction of reactions) {
    summary[reaction.content] = (summary[reaction.content] ?? 0) + 1;
  }
  return summary;
}

export function reactionJson(
  state: SimulatorState,
  reaction: SimReaction,
  urls: SimulatorUrls,
) {
  return {
    id: reaction.id,
    node_id: `REA_${reaction.id}`,
    content: reaction.content,
    user: userJson(state, reaction.user, urls),
    created_at: reaction.createdAt,
  };
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
