import { hasCommitsAhead, resolveBranch } from "./git-repos.ts";
import {
  asObject,
  notFound,
  optionalString,
  stringField,
  validationFailed,
} from "./http.ts";
import { syncPullRefs } from "./pull-refs.ts";
import { botLogin, react } from "./rest-issues.ts";
import {
  intParam,
  paginate,
  repositoryAccess,
  route,
  type Route,
  type RouteContext,
} from "./router.ts";
import { pullJson, reviewCommentJson } from "./serialize-threads.ts";
import {
  timestamp,
  type SimPull,
  type SimRepository,
  type SimulatorState,
} from "./state.ts";
import { requirePermission } from "./tokens.ts";

function findPull(ctx: RouteContext, repo: SimRepository): SimPull {
  const number = intParam(ctx, "number");
  const pull = ctx.state.pulls(repo.id).find((p) => p.number === number);
  if (!pull) throw notFound();
  return pull;
}

/**
 * Where `head` ("branch" or "owner:branch") lives: this repository, or a
 * fork of it owned by `owner`.
 */
function headRepository(
  state: SimulatorState,
  repo: SimRepository,
  head: string,
): { headRepo: SimRepository | undefined; ref: string } {
  const colon = head.indexOf(":");
  if (colon < 0) return { headRepo: repo, ref: head };
  const owner = head.slice(0, colon).toLowerCase();
  const ref = head.slice(colon + 1);
  if (owner === repo.owner.toLowerCase()) return { headRepo: repo, ref };
  const fork = [...state.repositories.values()].find(
    (candidate) =>
      candidate.owner.toLowerCase() === owner &&
      candidate.forkOf === repo.fullName,
  );
  return { headRepo: fork, ref };
}

function headLabel(state: SimulatorState, pull: SimPull): string {
  const headRepo = state.repositoryById(pull.pull.headRepositoryId);
  return `${headRepo.owner}:${pull.pull.headRef}`.toLowerCase();
}

async function createPull(ctx: RouteContext) {
  const { repo, token } = repositoryAccess(ctx);
  requirePermission(token, "write", "pull_requests");
  const body = asObject(ctx.body);
  const title = stringField(body, "title", "PullRequest");
  const head = stringField(body, "head", "PullRequest");
  const base = stringField(body, "base", "PullRequest");
  const text = optionalString(body, "body", "PullRequest") ?? "";

  const { headRepo, ref } = headRepository(ctx.state, repo, head);
  const headSha = headRepo ? await resolveBranch(headRepo.gitDir, ref) : null;
  if (!headRepo || !headSha) {
    throw validationFailed([
      { resource: "PullRequest", field: "head", code: "invalid" },
    ]);
  }
  const baseSha = await resolveBranch(repo.gitDir, base);
  if (!baseSha) {
    throw validationFailed([
      { resource: "PullRequest", field: "base", code: "invalid" },
    ]);
  }

  const label = `${headRepo.owner}:${ref}`;
  const duplicate = ctx.state
    .pulls(repo.id)
    .find(
      (p) =>
        p.state === "open" &&
        p.pull.baseRef === base &&
        headLabel(ctx.state, p) === label.toLowerCase(),
    );
  if (duplicate) {
    throw validationFailed([
      {
        resource: "PullRequest",
        code: "custom",
        message: `A pull request already exists for ${label}.`,
      },
    ]);
  }
  // Across repositories the objects are not shared; only same-repository
  // pull requests are checked for an empty range.
  if (headRepo.id === repo.id) {
    if (!(await hasCommitsAhead(repo.gitDir, baseSha, headSha))) {
      throw validationFailed([
        {
          resource: "PullRequest",
          code: "custom",
          message: `No commits between ${base} and ${ref}`,
        },
      ]);
    }
  }

  const now = timestamp();
  const pull: SimPull = {
    repositoryId: repo.id,
    number: ctx.state.nextIssueNumber(repo.id),
    title,
    body: text,
    user: botLogin(ctx),
    state: "open",
    labels: [],
    createdAt: now,
    updatedAt: now,
    pull: {
      headRepositoryId: headRepo.id,
      headRef: ref,
      baseRef: base,
      draft: body.draft === true,
      merged: false,
      requestedReviewers: [],
    },
  };
  ctx.state.issues.push(pull);
  await syncPullRefs(ctx.state, repo);
  return { status: 201, body: await pullJson(ctx.state, pull, ctx.urls) };
}

async function updatePull(ctx: RouteContext) {
  const { repo, token } = repositoryAccess(ctx);
  requirePermission(token, "write", "pull_requests");
  const pull = findPull(ctx, repo);
  const body = asObject(ctx.body);
  const title = optionalString(body, "title", "PullRequest");
  const text = optionalString(body, "body", "PullRequest");
  const state = optionalString(body, "state", "PullRequest");
  const base = optionalString(body, "base", "PullRequest");
  if (state !== undefined && state !== "open" && state !== "closed") {
    throw validationFailed([
      { resource: "PullRequest", field: "state", code: "invalid" },
    ]);
  }
  if (base !== undefined && !(await resolveBranch(repo.gitDir, base))) {
    throw validationFailed([
      { resource: "PullRequest", field: "base", code: "invalid" },
    ]);
  }
  if (title !== undefined) pull.title = title;
  if (text !== undefined) pull.body = text;
  if (state !== undefined) pull.state = state;
  if (base !== undefined) pull.pull.baseRef = base;
  pull.updatedAt = timestamp();
  return { status: 200, body: await pullJson(ctx.state, pull, ctx.urls) };
}

async function requestReviewers(ctx: RouteContext) {
  const { repo, token } = repositoryAccess(ctx);
  requirePermission(token, "write", "pull_requests");
  const pull = findPull(ctx, repo);
  const reviewers = asObject(ctx.body).reviewers ?? [];
  if (
    !Array.isArray(reviewers) ||
    reviewers.some((r) => typeof r !== "string")
  ) {
    throw validationFailed([
      { resource: "PullRequest", field: "reviewers", code: "invalid" },
    ]);
  }
  for (const login of reviewers as string[]) {
    if (login.toLowerCase() === pull.user.toLowerCase()) {
      throw validationFailed(
        [],
        "Review cannot be requested from pull request author.",
      );
    }
    const isCollaborator =
      repo.collaborators.has(login.toLowerCase()) ||
      login.toLowerCase() === repo.owner.toLowerCase();
    if (!isCollaborator) {
      throw validationFailed(
        [],
        `Reviews may only be requested from collaborators. One or more of the users or teams you specified is not a collaborator of the ${repo.fullName} repository.`,
      );
    }
    if (!pull.pull.requestedReviewers.includes(login)) {
      pull.pull.requestedReviewers.push(login);
    }
  }
  return { status: 201, body: await pullJson(ctx.state, pull, ctx.urls) };
}

async function listPulls(ctx: RouteContext) {
  const { repo, token } = repositoryAccess(ctx);
  requirePermission(token, "read", "pull_requests");
  const state = ctx.query.get("state") ?? "open";
  const base = ctx.query.get("base");
  // GitHub only honours `head` in the `owner:branch` form and silently
  // ignores a bare branch name; so does the simulator.
  const head = ctx.query.get("head");
  const headFilter = head?.includes(":") ? head.toLowerCase() : null;
  const pulls = ctx.state
    .pulls(repo.id)
    .filter((p) => state === "all" || p.state === state)
    .filter((p) => !base || p.pull.baseRef === base)
    .filter((p) => !headFilter || headLabel(ctx.state, p) === headFilter)
    .sort((a, b) => b.number - a.number);
  const page = paginate(ctx, `/repos/${repo.fullName}/pulls`, pulls);
  return {
    status: 200,
    headers: page.headers,
    body: await Promise.all(
      page.items.map((p) => pullJson(ctx.state, p, ctx.urls)),
    ),
  };
}

function findReviewComment(ctx: RouteContext) {
  const { repo, token } = repositoryAccess(ctx);
  const id = intParam(ctx, "id");
  const comment = ctx.state.reviewComments.find(
    (c) => c.id === id && c.repositoryId === repo.id,
  );
  if (!comment) throw notFound();
  return { comment, token };
}

export const pullRoutes: Route[] = [
  route("GET", "/repos/{owner}/{repo}/pulls", listPulls),
  route("POST", "/repos/{owner}/{repo}/pulls", createPull),

  route("GET", "/repos/{owner}/{repo}/pulls/comments/{id}", (ctx) => {
    const { comment, token } = findReviewComment(ctx);
    requirePermission(token, "read", "pull_requests");
    return {
      status: 200,
      body: reviewCommentJson(ctx.state, comment, ctx.urls),
    };
  }),

  route(
    "POST",
    "/repos/{owner}/{repo}/pulls/comments/{id}/reactions",
    (ctx) => {
      const { comment, token } = findReviewComment(ctx);
      requirePermission(token, "write", "pull_requests");
      return react(ctx, { kind: "review_comment", id: comment.id });
    },
  ),

  route("GET", "/repos/{owner}/{repo}/pulls/{number}", async (ctx) => {
    const { repo, token } = repositoryAccess(ctx);
    requirePermission(token, "read", "pull_requests");
    const pull = findPull(ctx, repo);
    return { status: 200, body: await pullJson(ctx.state, pull, ctx.urls) };
  }),

  route("PATCH", "/repos/{owner}/{repo}/pulls/{number}", updatePull),

  route("GET", "/repos/{owner}/{repo}/pulls/{number}/comments", (ctx) => {
    const { repo, token } = repositoryAccess(ctx);
    requirePermission(token, "read", "pull_requests");
    const pull = findPull(ctx, repo);
    const comments = ctx.state.reviewComments.filter(
      (c) => c.repositoryId === repo.id && c.pullNumber === pull.number,
    );
    const path = `/repos/${repo.fullName}/pulls/${pull.number}/comments`;
    const page = paginate(ctx, path, comments);
    return {
      status: 200,
      headers: page.headers,
      body: page.items.map((c) => reviewCommentJson(ctx.state, c, ctx.urls)),
    };
  }),

  route(
    "POST",
    "/repos/{owner}/{repo}/pulls/{number}/requested_reviewers",
    requestReviewers,
  ),
];
