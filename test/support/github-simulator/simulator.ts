/**
 * A local GitHub Enterprise Server for tests: one loopback HTTP server with
 * the REST API under `/api/v3` and git smart HTTP at `/<owner>/<repo>.git`,
 * over bare repositories in a temporary folder.
 *
 *   const sim = await startGitHubSimulator({ appId: 1 });
 *   await sim.addRepository({ name: "widgets", files: { ... } });
 *   sim.addCollaborator("acme/widgets", "alice", "write");
 *   // app: GHE_HOST=sim.host GHE_PROTOCOL=http APP_ID PRIVATE_KEY
 *   const comment = sim.addIssueComment({ ... body: "/agent fix" });
 *   const { event, payload } = await sim.events.issueComment({ comment });
 *   await sendWebhook(appUrl, { event, payload, secret });
 *   // then assert on sim.state: tokens, requests, pushes, checkRuns, ...
 */
import { mkdtemp, rm } from "node:fs/promises";
import type { AddressInfo } from "node:net";
import os from "node:os";
import path from "node:path";

import {
  commitFiles,
  describePath,
  readBlob,
  resolveBranch,
  resolveCommitish,
  resolveRef,
  type CommitRequest,
} from "./git-repos.ts";
import { syncPullRefs } from "./pull-refs.ts";
import type { SimulatorUrls } from "./router.ts";
import { protectBranch, seedRepository, type RepositorySeed } from "./seed.ts";
import {
  addCommentedIssue,
  addIssue,
  addIssueComment,
  addPullRequest,
  addReview,
  addReviewComment,
  type CommentedIssueSeed,
  type IssueCommentSeed,
  type IssueSeed,
  type PullRequestSeed,
  type ReviewCommentSeed,
  type ReviewSeed,
} from "./seed-threads.ts";
import { API_PREFIX, createSimulatorServer } from "./server.ts";
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
import { generateAppKeyPair, publicKeyOf } from "./tokens.ts";
import { createEventBuilders, type EventBuilders } from "./webhook-payloads.ts";

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
  /** Probot's own settings pointing at the simulator. */
  probotEnv: Record<string, string>;
  state: SimulatorState;
  events: EventBuilders;
  cloneUrl(fullName: string): string;
  addRepository(seed: RepositorySeed): Promise<SimRepository>;
  addCollaborator(repository: string, login: string, role: Role): void;
  addIssue(seed: IssueSeed): SimIssue;
  addPullRequest(seed: PullRequestSeed): Promise<SimPull>;
  addIssueComment(seed: IssueCommentSeed): SimIssueComment;
  addCommentedIssue(seed: CommentedIssueSeed): {
    issue: SimIssue;
    comment: SimIssueComment;
  };
  addReviewComment(seed: ReviewCommentSeed): Promise<SimReviewComment>;
  addReview(seed: ReviewSeed): Promise<SimReview>;
  /** Commits one file (null deletes it); returns the new commit. */
  setFile(
    repository: string,
    filePath: string,
    content: string | null,
    options?: { branch?: string; message?: string },
  ): Promise<string>;
  commit(repository: string, request: CommitRequest): Promise<string>;
  branchSha(repository: string, branch: string): Promise<string | null>;
  /** Any ref by its full name, such as `refs/pull/1/head`. */
  refSha(repository: string, ref: string): Promise<string | null>;
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
    probotEnv: {
      APP_ID: String(options.appId),
      PRIVATE_KEY: privateKeyPem,
      GHE_HOST: `127.0.0.1:${port}`,
      GHE_PROTOCOL: "http",
    },
    state,
    events: createEventBuilders(state, urls),

    cloneUrl: (fullName) => `${url}/${repo(fullName).fullName}.git`,

    addRepository: (seed) => seedRepository(state, gitRoot, seed),

    addCollaborator(repository, login, role) {
      state.user(login);
      repo(repository).collaborators.set(login.toLowerCase(), role);
    },

    addIssue: (seed) => addIssue(state, seed),
    addPullRequest: (seed) => addPullRequest(state, seed),
    addIssueComment: (seed) => addIssueComment(state, seed),
    addCommentedIssue: (seed) => addCommentedIssue(state, seed),
    addReviewComment: (seed) => addReviewComment(state, seed),
    addReview: (seed) => addReview(state, seed),

    setFile(repository, filePath, content, fileOptions = {}) {
      return simulator.commit(repository, {
        branch: fileOptions.branch ?? repo(repository).defaultBranch,
        files: { [filePath]: content },
        message: fileOptions.message ?? `Update ${filePath}`,
      });
    },

    async commit(repository, request) {
      const target = repo(repository);
      const sha = await commitFiles(target.gitDir, request);
      await syncPullRefs(state, target);
      return sha;
    },

    refSha: (repository, ref) => resolveRef(repo(repository).gitDir, ref),

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
export type {
  CommentedIssueSeed,
  IssueCommentSeed,
  IssueSeed,
  PullRequestSeed,
  ReviewCommentSeed,
  ReviewSeed,
} from "./seed-threads.ts";
export type * from "./state.ts";
