/**
 * Everything the simulator knows besides repository content (which lives in
 * bare repositories): users, repositories, the installation, tokens, issues,
 * pull requests, comments, reactions, check runs, and a record of every
 * request, so tests can assert on what the app did.
 */

/** A collaborator's role, from most to least powerful. */
export type Role = "admin" | "maintain" | "write" | "triage" | "read";
export type AccessLevel = "read" | "write" | "admin";
export type Permissions = Record<string, AccessLevel>;

export interface SimUser {
  id: number;
  login: string;
  type: "User" | "Bot" | "Organization";
}

export interface SimRepository {
  id: number;
  owner: string;
  name: string;
  fullName: string;
  private: boolean;
  defaultBranch: string;
  /** Whether the App's installation covers this repository. */
  installed: boolean;
  /** Full name of the repository this one was forked from. */
  forkOf: string | null;
  gitDir: string;
  /** Lower-cased login to role. */
  collaborators: Map<string, Role>;
  /** Branches no push may change (enforced in the git endpoint). */
  protectedBranches: Set<string>;
  createdAt: string;
}

export interface SimInstallation {
  id: number;
  account: string;
  permissions: Permissions;
  events: string[];
  createdAt: string;
}

export interface SimToken {
  id: number;
  token: string;
  installationId: number;
  /** Null when the token covers every repository of the installation. */
  repositoryIds: number[] | null;
  permissions: Permissions;
  /** The narrowing exactly as the app asked for it. */
  requested: {
    repositories?: string[];
    repository_ids?: number[];
    permissions?: Permissions;
  };
  createdAt: Date;
  expiresAt: Date;
  revokedAt: Date | null;
}

export interface SimIssue {
  repositoryId: number;
  number: number;
  title: string;
  body: string;
  user: string;
  state: "open" | "closed";
  labels: string[];
  createdAt: string;
  updatedAt: string;
  /** Present when the issue is a pull request. */
  pull: SimPullFields | null;
}

export interface SimPullFields {
  headRepositoryId: number;
  headRef: string;
  baseRef: string;
  draft: boolean;
  merged: boolean;
  requestedReviewers: string[];
}

export type SimPull = SimIssue & { pull: SimPullFields };

export interface SimIssueComment {
  id: number;
  repositoryId: number;
  issueNumber: number;
  user: string;
  body: string;
  createdAt: string;
  updatedAt: string;
}

export interface SimReviewComment {
  id: number;
  repositoryId: number;
  pullNumber: number;
  reviewId: number | null;
  user: string;
  body: string;
  path: string;
  line: number;
  side: "LEFT" | "RIGHT";
  diffHunk: string;
  commitId: string;
  inReplyToId: number | null;
  createdAt: string;
  updatedAt: string;
}

export interface SimReview {
  id: number;
  repositoryId: number;
  pullNumber: number;
  user: string;
  body: string;
  state: "approved" | "changes_requested" | "commented";
  commitId: string;
  submittedAt: string;
}

export interface SimReaction {
  id: number;
  subject: { kind: "issue_comment" | "review_comment"; id: number };
  user: string;
  content: string;
  createdAt: string;
}

export interface SimCheckAction {
  label: string;
  description: string;
  identifier: string;
}

export interface SimCheckRun {
  id: number;
  repositoryId: number;
  name: string;
  headSha: string;
  status: "queued" | "in_progress" | "completed";
  conclusion: string | null;
  startedAt: string;
  completedAt: string | null;
  detailsUrl: string | null;
  externalId: string | null;
  output: { title: string; summary: string; text: string | null } | null;
  actions: SimCheckAction[];
  /** Every create and update body, in order. */
  history: unknown[];
}

export type AuthKind = "none" | "app" | "installation" | "invalid";

export interface RecordedRequest {
  seq: number;
  at: Date;
  kind: "rest" | "git";
  method: string;
  /** The path without the `/api/v3` prefix, and without the query. */
  path: string;
  query: string;
  status: number;
  auth: AuthKind;
  tokenId: number | null;
  /** Parsed JSON body of REST requests that sent one. */
  body?: unknown;
}

/** One receive-pack through the git endpoint and the branches it moved. */
export interface GitPushRecord {
  at: Date;
  repository: string;
  tokenId: number | null;
  /** Branches whose tip moved, with the tips before and after (null: none). */
  updates: Array<{
    branch: string;
    before: string | null;
    after: string | null;
  }>;
}

export function timestamp(date = new Date()): string {
  return date.toISOString().replace(/\.\d{3}Z$/, "Z");
}

export class SimulatorState {
  readonly users = new Map<string, SimUser>();
  readonly repositories = new Map<number, SimRepository>();
  readonly tokens: SimToken[] = [];
  readonly issues: SimIssue[] = [];
  readonly issueComments: SimIssueComment[] = [];
  readonly reviewComments: SimReviewComment[] = [];
  readonly reviews: SimReview[] = [];
  readonly reactions: SimReaction[] = [];
  readonly checkRuns: SimCheckRun[] = [];
  readonly requests: RecordedRequest[] = [];
  readonly pushes: GitPushRecord[] = [];
  private nextIds = new Map<string, number>();

  constructor(
    readonly installation: SimInstallation,
    readonly app: { id: number; slug: string; name: string },
  ) {}

  nextId(kind: string): number {
    // Different ranges per kind, so an id of one kind is never mistaken for
    // another's in a test.
    const start = 10_000 * (this.nextIds.size + 1);
    const next = (this.nextIds.get(kind) ?? start) + 1;
    this.nextIds.set(kind, next);
    return next;
  }

  /** A user by login, created on first mention, as any GitHub user exists. */
  user(login: string): SimUser {
    const key = login.toLowerCase();
    const existing = this.users.get(key);
    if (existing) return existing;
    const type = login.endsWith("[bot]") ? "Bot" : "User";
    const user = { id: this.nextId("user"), login, type } as SimUser;
    this.users.set(key, user);
    return user;
  }

  findRepository(owner: string, name: string): SimRepository | undefined {
    const fullName = `${owner}/${name}`.toLowerCase();
    for (const repo of this.repositories.values()) {
      if (repo.fullName.toLowerCase() === fullName) return repo;
    }
    return undefined;
  }

  repository(fullName: string): SimRepository {
    const [owner = "", name = ""] = fullName.split("/");
    const repo = this.findRepository(owner, name);
    if (!repo) throw new Error(`simulator: no repository ${fullName}`);
    return repo;
  }

  repositoryById(id: number): SimRepository {
    const repo = this.repositories.get(id);
    if (!repo) throw new Error(`simulator: no repository with id ${id}`);
    return repo;
  }

  findIssue(repositoryId: number, number: number): SimIssue | undefined {
    return this.issues.find(
      (issue) => issue.repositoryId === repositoryId && issue.number === number,
    );
  }

  nextIssueNumber(repositoryId: number): number {
    const numbers = this.issues
      .filter((issue) => issue.repositoryId === repositoryId)
      .map((issue) => issue.number);
    return Math.max(0, ...numbers) + 1;
  }

  pulls(repositoryId: number): SimPull[] {
    return this.issues.filter(
      (issue): issue is SimPull =>
        issue.repositoryId === repositoryId && issue.pull !== null,
    );
  }

  findToken(value: string): SimToken | undefined {
    return this.tokens.find((token) => token.token === value);
  }

  /** Ends a token's life now, as if its hour had passed. */
  expireToken(tokenId: number): void {
    const token = this.tokens.find((candidate) => candidate.id === tokenId);
    if (!token) throw new Error(`simulator: no token with id ${tokenId}`);
    token.expiresAt = new Date(Date.now() - 1000);
  }

  /** Tokens that some git request (fetch or push) presented. */
  tokensUsedForGit(): SimToken[] {
    const ids = new Set(
      this.requests
        .filter((request) => request.kind === "git")
        .map((request) => request.tokenId),
    );
    return this.tokens.filter((token) => ids.has(token.id));
  }

  /** Requests made with a given token, in order. */
  requestsWithToken(tokenId: number): RecordedRequest[] {
    return this.requests.filter((request) => request.tokenId === tokenId);
  }
}
