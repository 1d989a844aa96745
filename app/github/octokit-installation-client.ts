import type { ProbotOctokit } from "probot";

import type {
  CheckRunUpdate,
  InstallationClient,
  RepoPermission,
  RepoRef,
  ThreadInfo,
} from "./github-client.ts";

export type Octokit = InstanceType<typeof ProbotOctokit>;

// HTTP statuses GitHub answers with that we treat as outcomes, not faults.
export const NOT_FOUND = 404;

/**
 * The app's REST calls on repositories, each through an Octokit that
 * `forRepo` authenticates for that one repository.
 */
export function installationClient(
  forRepo: (ref: RepoRef) => Promise<Octokit>,
): InstallationClient {
  return {
    async getPermission({ owner, repo }, username) {
      try {
        const octokit = await forRepo({ owner, repo });
        const { data } = await octokit.request(
          "GET /repos/{owner}/{repo}/collaborators/{username}/permission",
          { owner, repo, username },
        );
        // `role_name` knows maintain and triage; `permission` predates them.
        const role = (data as { role_name?: string }).role_name;
        return toPermission(role ?? data.permission);
      } catch (err) {
        if (statusOf(err) === NOT_FOUND) return "none";
        throw err;
      }
    },

    async addReaction({ owner, repo }, target, content) {
      const octokit = await forRepo({ owner, repo });
      const route =
        target.kind === "issue_comment"
          ? "POST /repos/{owner}/{repo}/issues/comments/{comment_id}/reactions"
          : "POST /repos/{owner}/{repo}/pulls/comments/{comment_id}/reactions";
      await octokit.request(route, {
        owner,
        repo,
        comment_id: target.id,
        content,
      });
    },

    async createComment({ owner, repo }, issue, body) {
      const octokit = await forRepo({ owner, repo });
      const { data } = await octokit.request(
        "POST /repos/{owner}/{repo}/issues/{issue_number}/comments",
        { owner, repo, issue_number: issue, body },
      );
      return Number(data.id);
    },

    async updateComment({ owner, repo }, commentId, body) {
      const octokit = await forRepo({ owner, repo });
      await octokit.request(
        "PATCH /repos/{owner}/{repo}/issues/comments/{comment_id}",
        { owner, repo, comment_id: commentId, body },
      );
    },

    async getIssue({ owner, repo }, issue) {
      const octokit = await forRepo({ owner, repo });
      const { data } = await octokit.request(
        "GET /repos/{owner}/{repo}/issues/{issue_number}",
        { owner, repo, issue_number: issue },
      );
      return {
        ...toThread(data),
        isPullRequest: data.pull_request !== undefined,
      };
    },

    async listComments({ owner, repo }, issue) {
      const octokit = await forRepo({ owner, repo });
      const comments = await octokit.paginate(
        "GET /repos/{owner}/{repo}/issues/{issue_number}/comments",
        { owner, repo, issue_number: issue, per_page: 100 },
      );
      return comments.map((comment) => ({
        id: comment.id,
        body: comment.body ?? "",
        user: toUser(comment.user),
        createdAt: comment.created_at,
      }));
    },

    async getPullRequest({ owner, repo }, pull) {
      const octokit = await forRepo({ owner, repo });
      const { data } = await octokit.request(
        "GET /repos/{owner}/{repo}/pulls/{pull_number}",
        { owner, repo, pull_number: pull },
      );
      return {
        ...toThread(data),
        draft: data.draft ?? false,
        head: {
          ref: data.head.ref,
          sha: data.head.sha,
          repoFullName: data.head.repo?.full_name ?? "",
        },
        base: {
          ref: data.base.ref,
          sha: data.base.sha,
          repoFullName: data.base.repo.full_name,
        },
      };
    },

    async findPullRequest({ owner, repo }, head, base) {
      const octokit = await forRepo({ owner, repo });
      const { data } = await octokit.request(
        "GET /repos/{owner}/{repo}/pulls",
        { owner, repo, head, base, state: "open", per_page: 1 },
      );
      const found = data[0];
      return found ? { number: found.number, htmlUrl: found.html_url } : null;
    },

    async createPullRequest({ owner, repo }, pull) {
      const octokit = await forRepo({ owner, repo });
      const { data } = await octokit.request(
        "POST /repos/{owner}/{repo}/pulls",
        { owner, repo, ...pull, draft: true },
      );
      return { number: data.number, htmlUrl: data.html_url };
    },

    async updatePullRequest({ owner, repo }, pull, body) {
      const octokit = await forRepo({ owner, repo });
      await octokit.request("PATCH /repos/{owner}/{repo}/pulls/{pull_number}", {
        owner,
        repo,
        pull_number: pull,
        body,
      });
    },

    async requestReview({ owner, repo }, pull, login) {
      const octokit = await forRepo({ owner, repo });
      await octokit.request(
        "POST /repos/{owner}/{repo}/pulls/{pull_number}/requested_reviewers",
        { owner, repo, pull_number: pull, reviewers: [login] },
      );
    },

    async getRepository({ owner, repo }) {
      const octokit = await forRepo({ owner, repo });
      const { data } = await octokit.request("GET /repos/{owner}/{repo}", {
        owner,
        repo,
      });
      return {
        fullName: data.full_name,
        defaultBranch: data.default_branch,
        private: data.private,
      };
    },

    async getBranchSha({ owner, repo }, branch) {
      try {
        const octokit = await forRepo({ owner, repo });
        const { data } = await octokit.request(
          "GET /repos/{owner}/{repo}/git/ref/{ref}",
          { owner, repo, ref: `heads/${branch}` },
        );
        return data.object.sha;
      } catch (err) {
        if (statusOf(err) === NOT_FOUND) return null;
        throw err;
      }
    },

    async getFile({ owner, repo }, path, at) {
      try {
        const octokit = await forRepo({ owner, repo });
        const { data } = await octokit.request(
          "GET /repos/{owner}/{repo}/contents/{path}",
          { owner, repo, path, ...(at ? { ref: at } : {}) },
        );
        if (Array.isArray(data) || data.type !== "file") return null;
        const file = data as { content?: string; encoding?: string };
        if (file.encoding !== "base64" || file.content === undefined) {
          return null;
        }
        return Buffer.from(file.content, "base64").toString("utf8");
      } catch (err) {
        if (statusOf(err) === NOT_FOUND) return null;
        throw err;
      }
    },

    async createCheckRun({ owner, repo }, check) {
      const octokit = await forRepo({ owner, repo });
      const { data } = await octokit.request(
        "POST /repos/{owner}/{repo}/check-runs",
        {
          owner,
          repo,
          name: check.name,
          head_sha: check.headSha,
          external_id: check.externalId,
          ...checkFields(check),
        },
      );
      return { id: Number(data.id), htmlUrl: data.html_url ?? "" };
    },

    async updateCheckRun({ owner, repo }, id, check) {
      const octokit = await forRepo({ owner, repo });
      await octokit.request(
        "PATCH /repos/{owner}/{repo}/check-runs/{check_run_id}",
        { owner, repo, check_run_id: id, ...checkFields(check) },
      );
    },
  };
}

function checkFields(check: CheckRunUpdate) {
  return {
    ...(check.status && { status: check.status }),
    ...(check.conclusion && { conclusion: check.conclusion }),
    ...(check.output && { output: check.output }),
    ...(check.actions && { actions: check.actions }),
    ...(check.detailsUrl && { details_url: check.detailsUrl }),
    ...(check.startedAt && { started_at: check.startedAt }),
    ...(check.completedAt && { completed_at: check.completedAt }),
  };
}

function toThread(data: {
  number: number;
  title: string;
  body?: string | null;
  user: Parameters<typeof toUser>[0];
  html_url: string;
}): ThreadInfo {
  return {
    number: data.number,
    title: data.title,
    body: data.body ?? "",
    user: toUser(data.user),
    htmlUrl: data.html_url,
  };
}

function toUser(
  user: { login: string; id: number | bigint; type: string } | null | undefined,
) {
  return user
    ? { login: user.login, id: Number(user.id), type: user.type }
    : { login: "ghost", id: 0, type: "User" };
}

const KNOWN: RepoPermission[] = [
  "admin",
  "maintain",
  "write",
  "triage",
  "read",
  "none",
];

function toPermission(value: string | undefined): RepoPermission {
  return KNOWN.includes(value as RepoPermission)
    ? (value as RepoPermission)
    : "none";
}

export function statusOf(err: unknown): number | undefined {
  const status = (err as { status?: unknown } | null)?.status;
  return typeof status === "number" ? status : undefined;
}
