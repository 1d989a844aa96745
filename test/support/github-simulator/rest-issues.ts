import {
  asObject,
  HttpError,
  notFound,
  stringField,
  validationFailed,
} from "./http.ts";
import {
  intParam,
  paginate,
  repositoryAccess,
  route,
  type Route,
  type RouteContext,
} from "./router.ts";
import {
  issueCommentJson,
  issueJson,
  reactionJson,
} from "./serialize-threads.ts";
import {
  timestamp,
  type SimIssue,
  type SimReaction,
  type SimRepository,
  type SimToken,
} from "./state.ts";
import { requirePermission } from "./tokens.ts";

/** GitHub refuses comment bodies longer than this many characters. */
export const MAX_COMMENT_BODY = 65_536;

const REACTIONS = new Set([
  "+1",
  "-1",
  "laugh",
  "confused",
  "heart",
  "hooray",
  "rocket",
  "eyes",
]);

/** The login the App acts as when it uses an installation token. */
export function botLogin(ctx: RouteContext): string {
  return `${ctx.state.app.slug}[bot]`;
}

/** Issue endpoints also serve pull requests, with either permission. */
function requireIssueAccess(
  token: SimToken,
  issue: SimIssue,
  level: "read" | "write",
): void {
  if (issue.pull) requirePermission(token, level, "issues", "pull_requests");
  else requirePermission(token, level, "issues");
}

function findIssue(ctx: RouteContext, repo: SimRepository): SimIssue {
  const issue = ctx.state.findIssue(repo.id, intParam(ctx, "number"));
  if (!issue) throw notFound();
  return issue;
}

export function commentBody(body: Record<string, unknown>, resource: string) {
  const text = stringField(body, "body", resource);
  if (text.length > MAX_COMMENT_BODY) {
    throw validationFailed([
      {
        resource,
        field: "body",
        code: "custom",
        message: `Body is too long (maximum is ${MAX_COMMENT_BODY} characters)`,
      },
    ]);
  }
  return text;
}

/** Adds a reaction, or answers 200 with the same person's existing one. */
export function react(ctx: RouteContext, subject: SimReaction["subject"]) {
  const content = asObject(ctx.body).content;
  if (typeof content !== "string" || !REACTIONS.has(content)) {
    throw validationFailed([
      { resource: "Reaction", field: "content", code: "invalid" },
    ]);
  }
  const user = botLogin(ctx);
  const existing = ctx.state.reactions.find(
    (r) =>
      r.subject.kind === subject.kind &&
      r.subject.id === subject.id &&
      r.user === user &&
      r.content === content,
  );
  if (existing) {
    return { status: 200, body: reactionJson(ctx.state, existing, ctx.urls) };
  }
  const reaction: SimReaction = {
    id: ctx.state.nextId("reaction"),
    subject,
    user,
    content,
    createdAt: timestamp(),
  };
  ctx.state.reactions.push(reaction);
  return { status: 201, body: reactionJson(ctx.state, reaction, ctx.urls) };
}

export const issueRoutes: Route[] = [
  route("GET", "/repos/{owner}/{repo}/issues/{number}", (ctx) => {
    const { repo, token } = repositoryAccess(ctx);
    const issue = findIssue(ctx, repo);
    requireIssueAccess(token, issue, "read");
    return { status: 200, body: issueJson(ctx.state, issue, ctx.urls) };
  }),

  route("GET", "/repos/{owner}/{repo}/issues/{number}/comments", (ctx) => {
    const { repo, token } = repositoryAccess(ctx);
    const issue = findIssue(ctx, repo);
    requireIssueAccess(token, issue, "read");
    const comments = ctx.state.issueComments.filter(
      (c) => c.repositoryId === repo.id && c.issueNumber === issue.number,
    );
    const path = `/repos/${repo.fullName}/issues/${issue.number}/comments`;
    const page = paginate(ctx, path, comments);
    return {
      status: 200,
      headers: page.headers,
      body: page.items.map((c) => issueCommentJson(ctx.state, c, ctx.urls)),
    };
  }),

  route("POST", "/repos/{owner}/{repo}/issues/{number}/comments", (ctx) => {
    const { repo, token } = repositoryAccess(ctx);
    const issue = findIssue(ctx, repo);
    requireIssueAccess(token, issue, "write");
    const body = commentBody(asObject(ctx.body), "IssueComment");
    const now = timestamp();
    const comment = {
      id: ctx.state.nextId("issue_comment"),
      repositoryId: repo.id,
      issueNumber: issue.number,
      user: botLogin(ctx),
      body,
      createdAt: now,
      updatedAt: now,
    };
    ctx.state.issueComments.push(comment);
    return {
      status: 201,
      body: issueCommentJson(ctx.state, comment, ctx.urls),
    };
  }),

  route("GET", "/repos/{owner}/{repo}/issues/comments/{id}", (ctx) => {
    const { comment, issue, token } = findComment(ctx);
    requireIssueAccess(token, issue, "read");
    return {
      status: 200,
      body: issueCommentJson(ctx.state, comment, ctx.urls),
    };
  }),

  route("PATCH", "/repos/{owner}/{repo}/issues/comments/{id}", (ctx) => {
    const { comment, issue, token } = findComment(ctx);
    requireIssueAccess(token, issue, "write");
    // An App may only edit its own comments.
    if (comment.user !== botLogin(ctx)) {
      throw new HttpError(403, "Resource not accessible by integration");
    }
    comment.body = commentBody(asObject(ctx.body), "IssueComment");
    comment.updatedAt = timestamp();
    return {
      status: 200,
      body: issueCommentJson(ctx.state, comment, ctx.urls),
    };
  }),

  route(
    "POST",
    "/repos/{owner}/{repo}/issues/comments/{id}/reactions",
    (ctx) => {
      const { comment, issue, token } = findComment(ctx);
      requireIssueAccess(token, issue, "write");
      return react(ctx, { kind: "issue_comment", id: comment.id });
    },
  ),
];

function findComment(ctx: RouteContext) {
  const { repo, token } = repositoryAccess(ctx);
  const id = intParam(ctx, "id");
  const comment = ctx.state.issueComments.find(
    (c) => c.id === id && c.repositoryId === repo.id,
  );
  if (!comment) throw notFound();
  const issue = ctx.state.findIssue(repo.id, comment.issueNumber);
  if (!issue) throw notFound();
  return { comment, issue, token, repo };
}
