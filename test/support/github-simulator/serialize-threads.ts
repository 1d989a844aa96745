import { resolveBranch } from "./git-repos.ts";
import type { SimulatorUrls } from "./router.ts";
import { accountJson, repoJson, userJson } from "./serialize.ts";
import type {
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
 * GitHub's JSON for conversations: issues, pull requests, comments,
 * reviews and reactions.
 */

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
