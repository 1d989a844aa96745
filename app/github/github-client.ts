// Everything the app asks of GitHub, as an interface of ours. The one
// implementation over Octokit lives in `octokit-github.ts`; unit tests fake
// this interface, never the inside of Octokit.

export type RepoPermission =
  "admin" | "maintain" | "write" | "triage" | "read" | "none";

export interface RepoRef {
  owner: string;
  repo: string;
}

export interface GitHubUser {
  login: string;
  id: number;
  type: string;
}

/** What issues and pull requests both have. */
export interface ThreadInfo {
  number: number;
  title: string;
  body: string;
  user: GitHubUser;
  htmlUrl: string;
}

export interface IssueInfo extends ThreadInfo {
  isPullRequest: boolean;
}

export interface IssueComment {
  id: number;
  body: string;
  user: GitHubUser;
  createdAt: string;
}

export interface PullRequestInfo extends ThreadInfo {
  draft: boolean;
  head: { ref: string; sha: string; repoFullName: string };
  base: { ref: string; sha: string; repoFullName: string };
}

export interface RepositoryInfo {
  fullName: string;
  defaultBranch: string;
  private: boolean;
}

export type CheckStatus = "queued" | "in_progress" | "completed";
export type CheckConclusion =
  | "success"
  | "failure"
  | "timed_out"
  | "cancelled"
  | "action_required"
  | "neutral";

export interface CheckRunOutput {
  title: string;
  summary: string;
  text?: string;
}

export interface CheckRunAction {
  label: string;
  description: string;
  identifier: string;
}

export interface CheckRunUpdate {
  status?: CheckStatus;
  conclusion?: CheckConclusion;
  output?: CheckRunOutput;
  actions?: CheckRunAction[];
  detailsUrl?: string;
  startedAt?: string;
  completedAt?: string;
}

export interface CheckRunCreate extends CheckRunUpdate {
  name: string;
  headSha: string;
  externalId: string;
}

export interface InstallationToken {
  token: string;
  expiresAt: string;
}

export type TokenPermissions = Partial<
  Record<
    "contents" | "metadata" | "pull_requests" | "issues" | "checks",
    "read" | "write"
  >
>;

/** Calls made with one installation's token. */
export interface InstallationClient {
  getPermission(ref: RepoRef, username: string): Promise<RepoPermission>;
  addReaction(
    ref: RepoRef,
    target: { kind: "issue_comment" | "review_comment"; id: number },
    content: "eyes" | "rocket" | "confused",
  ): Promise<void>;
  createComment(ref: RepoRef, issue: number, body: string): Promise<number>;
  updateComment(ref: RepoRef, commentId: number, body: string): Promise<void>;
  getIssue(ref: RepoRef, issue: number): Promise<IssueInfo>;
  listComments(ref: RepoRef, issue: number): Promise<IssueComment[]>;
  getPullRequest(ref: RepoRef, pull: number): Promise<PullRequestInfo>;
  findPullRequest(
    ref: RepoRef,
    head: string,
    base: string,
  ): Promise<{ number: number; htmlUrl: string } | null>;
  createPullRequest(
    ref: RepoRef,
    pull: { title: string; body: string; head: string; base: string },
  ): Promise<{ number: number; htmlUrl: string }>;
  updatePullRequest(ref: RepoRef, pull: number, body: string): Promise<void>;
  requestReview(ref: RepoRef, pull: number, login: string): Promise<void>;
  getRepository(ref: RepoRef): Promise<RepositoryInfo>;
  getBranchSha(ref: RepoRef, branch: string): Promise<string | null>;
  /** A file's text at a ref, or null when the file (or repository) is absent. */
  getFile(ref: RepoRef, path: string, at?: string): Promise<string | null>;
  createCheckRun(
    ref: RepoRef,
    check: CheckRunCreate,
  ): Promise<{ id: number; htmlUrl: string }>;
  updateCheckRun(
    ref: RepoRef,
    id: number,
    check: CheckRunUpdate,
  ): Promise<void>;
}

/** Calls made as the App itself, and the per-installation clients. */
export interface GitHubApp {
  installation(installationId: number): InstallationClient;
  /** Mints a token narrowed to the given repositories and permissions. */
  mintToken(
    installationId: number,
    repositories: string[],
    permissions: TokenPermissions,
  ): Promise<InstallationToken>;
  revokeToken(token: string): Promise<void>;
  /** The login the App comments as (`<slug>[bot]`). */
  botLogin(): Promise<string>;
  /** The git smart-HTTP URL of a repository on this GitHub host. */
  gitUrl(fullName: string): string;
  /** Revokes every token the client still holds. */
  close(): Promise<void>;
}
