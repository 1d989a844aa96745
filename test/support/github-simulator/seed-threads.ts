import { commitFiles, resolveBranch } from "./git-repos.ts";
import { syncPullRefs } from "./pull-refs.ts";
import {
  timestamp,
  type SimIssue,
  type SimIssueComment,
  type SimPull,
  type SimReview,
  type SimReviewComment,
  type SimulatorState,
} from "./state.ts";

/**
 * Conversations a test sets up before the app sees them: issues, pull
 * requests, comments and reviews by people, each recorded as GitHub would
 * hold it, so webhook payloads and REST answers agree.
 */

export interface IssueSeed {
  repository: string;
  title: string;
  body?: string;
  user: string;
  labels?: string[];
}

export interface PullRequestSeed {
  repository: string;
  title: string;
  body?: string;
  user: string;
  /** Branch in `headRepository` (default: the repository itself). */
  head: string;
  /** A fork's full name, for pull requests from forks. */
  headRepository?: string;
  base?: string;
  draft?: boolean;
  /** Files committed onto `head` when that branch does not exist yet. */
  files?: Record<string, string>;
}

/** A comment by `user` on issue or pull request `number`. */
export interface IssueCommentSeed {
  repository: string;
  number: number;
  user: string;
  body: string;
}

/** An issue with its author's first comment, as a request usually starts. */
export interface CommentedIssueSeed extends IssueSeed {
  comment: string;
}

export interface ReviewCommentSeed extends IssueCommentSeed {
  path: string;
  line: number;
  diffHunk?: string;
  inReplyToId?: number;
}

export interface ReviewSeed extends IssueCommentSeed {
  state?: SimReview["state"];
}

function pullOf(
  state: SimulatorState,
  fullName: string,
  number: number,
): SimPull {
  const repo = state.repository(fullName);
  const found = state.pulls(repo.id).find((p) => p.number === number);
  if (!found)
    throw new Error(`simulator: no pull request ${fullName}#${number}`);
  return found;
}

/**
 * The pull request a seed speaks on, with its author recorded and the sha
 * its head branch points at now (what GitHub stamps on reviews).
 */
async function onPull(
  state: SimulatorState,
  seed: IssueCommentSeed,
): Promise<{ pull: SimPull; headSha: string }> {
  const pull = pullOf(state, seed.repository, seed.number);
  const headRepo = state.repositoryById(pull.pull.headRepositoryId);
  state.user(seed.user);
  const headSha = await resolveBranch(headRepo.gitDir, pull.pull.headRef);
  return { pull, headSha: headSha ?? "" };
}

export function addIssue(state: SimulatorState, seed: IssueSeed): SimIssue {
  const target = state.repository(seed.repository);
  const now = timestamp();
  state.user(seed.user);
  const issue: SimIssue = {
    repositoryId: target.id,
    number: state.nextIssueNumber(target.id),
    title: seed.title,
    body: seed.body ?? "",
    user: seed.user,
    state: "open",
    labels: seed.labels ?? [],
    createdAt: now,
    updatedAt: now,
    pull: null,
  };
  state.issues.push(issue);
  return issue;
}

export async function addPullRequest(
  state: SimulatorState,
  seed: PullRequestSeed,
): Promise<SimPull> {
  const target = state.repository(seed.repository);
  const headRepo = seed.headRepository
    ? state.repository(seed.headRepository)
    : target;
  const base = seed.base ?? target.defaultBranch;
  if (!(await resolveBranch(headRepo.gitDir, seed.head))) {
    const start = await resolveBranch(headRepo.gitDir, base);
    await commitFiles(headRepo.gitDir, {
      branch: seed.head,
      startPoint: start ?? undefined,
      message: seed.title,
      files: seed.files ?? {
        [`changes/${seed.head}.md`]: `${seed.title}\n`,
      },
    });
  }
  const issue = addIssue(state, seed);
  const pull: SimPull = {
    ...issue,
    pull: {
      headRepositoryId: headRepo.id,
      headRef: seed.head,
      baseRef: base,
      draft: seed.draft ?? false,
      merged: false,
      requestedReviewers: [],
    },
  };
  state.issues[state.issues.indexOf(issue)] = pull;
  await syncPullRefs(state, target);
  return pull;
}

export function addIssueComment(
  state: SimulatorState,
  seed: IssueCommentSeed,
): SimIssueComment {
  const target = state.repository(seed.repository);
  if (!state.findIssue(target.id, seed.number)) {
    throw new Error(`simulator: no issue ${seed.repository}#${seed.number}`);
  }
  state.user(seed.user);
  const now = timestamp();
  const comment: SimIssueComment = {
    id: state.nextId("issue_comment"),
    repositoryId: target.id,
    issueNumber: seed.number,
    user: seed.user,
    body: seed.body,
    createdAt: now,
    updatedAt: now,
  };
  state.issueComments.push(comment);
  return comment;
}

export async function addReviewComment(
  state: SimulatorState,
  seed: ReviewCommentSeed,
): Promise<SimReviewComment> {
  const { pull, headSha } = await onPull(state, seed);
  const now = timestamp();
  const comment: SimReviewComment = {
    id: state.nextId("review_comment"),
    repositoryId: pull.repositoryId,
    pullNumber: pull.number,
    reviewId: null,
    user: seed.user,
    body: seed.body,
    path: seed.path,
    line: seed.line,
    side: "RIGHT",
    diffHunk: seed.diffHunk ?? `@@ -1,1 +1,1 @@\n+${seed.path}`,
    commitId: headSha,
    inReplyToId: seed.inReplyToId ?? null,
    createdAt: now,
    updatedAt: now,
  };
  state.reviewComments.push(comment);
  return comment;
}

export async function addReview(
  state: SimulatorState,
  seed: ReviewSeed,
): Promise<SimReview> {
  const { pull, headSha } = await onPull(state, seed);
  const review: SimReview = {
    id: state.nextId("review"),
    repositoryId: pull.repositoryId,
    pullNumber: pull.number,
    user: seed.user,
    body: seed.body,
    state: seed.state ?? "commented",
    commitId: headSha,
    submittedAt: timestamp(),
  };
  state.reviews.push(review);
  return review;
}

export function addCommentedIssue(
  state: SimulatorState,
  seed: CommentedIssueSeed,
): { issue: SimIssue; comment: SimIssueComment } {
  const issue = addIssue(state, seed);
  const comment = addIssueComment(state, {
    repository: seed.repository,
    number: issue.number,
    user: seed.user,
    body: seed.comment,
  });
  return { issue, comment };
}
