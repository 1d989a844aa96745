import type {
  InstallationClient,
  IssueComment,
  IssueInfo,
  PullRequestInfo,
  RepoPermission,
} from "../../app/github/github-client.ts";

/**
 * An in-memory InstallationClient: our own interface, faked for unit tests
 * of the logic above it. Only what a test sets up exists; anything else
 * throws, so a test cannot pass by accident on a call it did not expect.
 */
export function fakeInstallation(seed: {
  permissions?: Record<string, RepoPermission>;
  issue?: IssueInfo;
  comments?: IssueComment[];
  pull?: PullRequestInfo;
  branches?: Record<string, string>;
}): InstallationClient & { permissionLookups: string[] } {
  const permissionLookups: string[] = [];
  const unexpected = (name: string) => () => {
    throw new Error(`unexpected call: ${name}`);
  };
  return {
    permissionLookups,
    async getPermission(_ref, login) {
      permissionLookups.push(login);
      return seed.permissions?.[login] ?? "none";
    },
    async getIssue() {
      if (!seed.issue) throw new Error("no issue");
      return seed.issue;
    },
    async listComments() {
      return seed.comments ?? [];
    },
    async getPullRequest() {
      if (!seed.pull) throw new Error("no pull request");
      return seed.pull;
    },
    async getBranchSha(_ref, branch) {
      return seed.branches?.[branch] ?? null;
    },
    addReaction: unexpected("addReaction"),
    createComment: unexpected("createComment"),
    updateComment: unexpected("updateComment"),
    findPullRequest: unexpected("findPullRequest"),
    createPullRequest: unexpected("createPullRequest"),
    updatePullRequest: unexpected("updatePullRequest"),
    requestReview: unexpected("requestReview"),
    getRepository: unexpected("getRepository"),
    getFile: unexpected("getFile"),
    createCheckRun: unexpected("createCheckRun"),
    updateCheckRun: unexpected("updateCheckRun"),
  };
}

export function user(login: string, type = "User") {
  return { login, id: login.length, type };
}
