import { mkdtemp, rm } from "node:fs/promises";
import type { AddressInfo } from "node:net";
import os from "node:os";
import path from "node:path";

import { seedRepository, type RepositorySeed } from "./seed.ts";
import { createSimulatorServer, API_PREFIX } from "./server.ts";
import {
  SimulatorState,
  timestamp,
  type Permissions,
  type Role,
  type SimIssue,
  type SimIssueComment,
  type SimPull,
  type SimRepository,
  type SimReview,
  type SimReviewComment,
} from "./state.ts";
import {
  commitFiles,
  describePath,
  readBlob,
  resolveBranch,
  resolveCommitish,
  type CommitRequest,
} from "./git-repos.ts";
import { generateAppKeyPair, publicKeyOf } from "./tokens.ts";
import { createEventBuilders, type EventBuilders } from "./webhook-payloads.ts";
import type { SimulatorUrls } from "./router.ts";
import { protectBranch } from "./seed.ts";

/** The permissions `app.yml` asks for: the least the app needs. */
export const DEFAULT_INSTALLATION_PERMISSIONS: Permissions = {
  contents: "write",
  pull_requests: "write",
  issues: "write",
  checks: "write",
  metadata: "read",
};

const DEFAULT_EVENTS = [
  "issue_comment",
  "pull_request_review_comment",
  "pull_request_review",
  "check_run",
  "installation",
  "installation_repositories",
];

export interface GitHubSimulatorOptions {
  appId: number;
  /** The App's key (PEM); one is generated when absent. */
  privateKeyPem?: string;
  appSlug?: string;
  /** The organisation the App is installed on. */
  organization?: string;
  installationId?: number;
  permissions?: Permissions;
}

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

export interface GitHubSimulator {
  /** `http://127.0.0.1:<port>` */
  url: string;
  /** `<url>/api/v3`, where Probot and Octokit send REST calls. */
  apiUrl: string;
  /** Base of clone URLs: `<gitUrl>/<owner>/<repo>.git`. */
  gitUrl: string;
  /** `127.0.0.1:<port>`, the value for `GHE_HOST` (with GHE_PROTOCOL=http). */
  host: string;
  appId: number;
  appSlug: string;
  /** The login the App acts as: `<slug>[bot]`. */
  botLogin: string;
  privateKeyPem: string;
  installationId: number;
  organization: string;
  state: SimulatorState;
  events: EventBuilders;
  cloneUrl(fullName: string): string;
  addRepository(seed: RepositorySeed): Promise<SimRepository>;
  addCollaborator(repository: string, login: string, role: Role): void;
  addIssue(seed: IssueSeed): SimIssue;
  addPullRequest(seed: PullRequestSeed): Promise<SimPull>;
  addIssueComment(seed: {
    repository: string;
    number: number;
    user: string;
    body: string;
  }): SimIssueComment;
  addReviewComment(seed: {
    repository: string;
    number: number;
    user: string;
    body: string;
    path: string;
    line: number;
    diffHunk?: string;
    inReplyToId?: number;
  }): Promise<SimReviewComment>;
  addReview(seed: {
    repository: string;
    number: number;
    user: string;
    body: string;
    state?: SimReview["state"];
  }): Promise<SimReview>;
  /** Commits one file (null deletes it); returns the new commit. */
  setFile(
    repository: string,
    filePath: string,
    content: string | null,
    options?: { branch?: string; message?: string },
  ): Promise<string>;
  commit(repository: string, request: CommitRequest): Promise<string>;
  branchSha(repository: string, branch: string): Promise<string | null>;
  readFile(
    repository: string,
    ref: string,
    filePath: string,
  ): Promise<string | null>;
  protectBranch(repository: string, branch: string): Promise<void>;
  close(): Promise<void>;
}

export async function startGitHubSimulator(
  options: GitHubSimulatorOptions,
): Promise<GitHubSimulator> {
  const privateKeyPem =
    options.privateKeyPem ?? generateAppKeyPair().privateKeyPem;
  const appKey = publicKeyOf(privateKeyPem);
  const slug = options.appSlug ?? "agent-sandbox";
  const organization = options.organization ?? "acme";
  const state = new SimulatorState(
    {
      id: options.installationId ?? 4242,
      account: organization,
      permissions: options.permissions ?? DEFAULT_INSTALLATION_PERMISSIONS,
      events: DEFAULT_EVENTS,
      createdAt: timestamp(),
    },
    { id: options.appId, slug, name: "Agent Sandbox" },
  );
  state.user(organization).type = "Organization";

  const gitRoot = await mkdtemp(path.join(os.tmpdir(), "github-simulator-"));
  let urls: SimulatorUrls = { web: "", api: "" };
  const server = createSimulatorServer({
    state,
    appKey,
    gitRoot,
    urls: () => urls,
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(0, "127.0.0.1", resolve);
  });
  const { port } = server.address() as AddressInfo;
  const url = `http://127.0.0.1:${port}`;
  urls = { web: url, api: `${url}${API_PREFIX}` };

  const repo = (fullName: string) => state.repository(fullName);
  const pullOf = (fullName: string, number: number): SimPull => {
    const found = state
      .pulls(repo(fullName).id)
      .find((p) => p.number === number);
    if (!found)
      throw new Error(`simulator: no pull request ${fullName}#${number}`);
    return found;
  };

  const simulator: GitHubSimulator = {
    url,
    apiUrl: urls.api,
    gitUrl: url,
    host: `127.0.0.1:${port}`,
    appId: options.appId,
    appSlug: slug,
    botLogin: `${slug}[bot]`,
    privateKeyPem,
    installationId: state.installation.id,
    organization,
    state,
    events: createEventBuilders(state, urls),

    cloneUrl: (fullName) => `${url}/${repo(fullName).fullName}.git`,

    addRepository: (seed) => seedRepository(state, gitRoot, seed),

    addCollaborator(repository, login, role) {
      state.user(login);
      repo(repository).collaborators.set(login.toLowerCase(), role);
    },

    addIssue(seed) {
      const target = repo(seed.repository);
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
    },

    async addPullRequest(seed) {
      const target = repo(seed.repository);
      const headRepo = seed.headRepository ? repo(seed.headRepository) : target;
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
      const issue = simulator.addIssue(seed);
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
      return pull;
    },

    addIssueComment(seed) {
      const target = repo(seed.repository);
      if (!state.findIssue(target.id, seed.number)) {
        throw new Error(
          `simulator: no issue ${seed.repository}#${seed.number}`,
        );
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
    },

    async addReviewComment(seed) {
      const pull = pullOf(seed.repository, seed.number);
      const headRepo = state.repositoryById(pull.pull.headRepositoryId);
      state.user(seed.user);
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
        commitId:
          (await resolveBranch(headRepo.gitDir, pull.pull.headRef)) ?? "",
        inReplyToId: seed.inReplyToId ?? null,
        createdAt: now,
        updatedAt: now,
      };
      state.reviewComments.push(comment);
      return comment;
    },

    async addReview(seed) {
      const pull = pullOf(seed.repository, seed.number);
      const headRepo = state.repositoryById(pull.pull.headRepositoryId);
      state.user(seed.user);
      const review: SimReview = {
        id: state.nextId("review"),
        repositoryId: pull.repositoryId,
        pullNumber: pull.number,
        user: seed.user,
        body: seed.body,
        state: seed.state ?? "commented",
        commitId:
          (await resolveBranch(headRepo.gitDir, pull.pull.headRef)) ?? "",
        submittedAt: timestamp(),
      };
      state.reviews.push(review);
      return review;
    },

    setFile(repository, filePath, content, fileOptions = {}) {
      const target = repo(repository);
      return commitFiles(target.gitDir, {
        branch: fileOptions.branch ?? target.defaultBranch,
        files: { [filePath]: content },
        message: fileOptions.message ?? `Update ${filePath}`,
      });
    },

    commit: (repository, request) =>
      commitFiles(repo(repository).gitDir, request),

    branchSha: (repository, branch) =>
      resolveBranch(repo(repository).gitDir, branch),

    async readFile(repository, ref, filePath) {
      const target = repo(repository);
      const commit = await resolveCommitish(target.gitDir, ref);
      if (!commit) return null;
      const entry = await describePath(target.gitDir, commit, filePath);
      if (entry?.type !== "blob") return null;
      return (await readBlob(target.gitDir, entry.sha)).toString("utf8");
    },

    protectBranch: (repository, branch) =>
      protectBranch(repo(repository), branch),

    async close() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      await rm(gitRoot, { recursive: true, force: true });
    },
  };
  return simulator;
}

export { generateAppKeyPair } from "./tokens.ts";
export { sendWebhook, signWebhookBody } from "./webhooks.ts";
export type { WebhookDelivery, WebhookResponse } from "./webhooks.ts";
export type { WebhookEvent, EventBuilders } from "./webhook-payloads.ts";
export type { RepositorySeed } from "./seed.ts";
export type * from "./state.ts";
