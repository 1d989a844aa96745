import type { EffectivePolicy } from "../policy/merge-policy.ts";

export type SubjectKind = "issue" | "pull_request";

/** The comment or review that asked for the run. */
export interface TriggerComment {
  kind: "issue_comment" | "review_comment" | "review";
  id: number;
}

/** A run started from GitHub, as the worker and the reporters see it. */
export interface GitHubRun {
  id: string;
  state: "queued" | "running" | "finished";
  deliveryId: string | null;
  installationId: number;
  repository: string;
  owner: string;
  repo: string;
  subjectKind: SubjectKind;
  subjectNumber: number;
  requester: string;
  requesterId: number;
  requesterPermission: string;
  command: string;
  triggerComment: TriggerComment | null;
  /** The branch the run starts from, and the one its pull request targets. */
  baseBranch: string;
  targetBranch: string;
  /** The one branch the agent may push. */
  branch: string;
  baseSha: string;
  policy: EffectivePolicy;
  checkRunId: number | null;
  checkRunUrl: string | null;
  progressCommentId: number | null;
  prNumber: number | null;
  prUrl: string | null;
  cancelRequested: boolean;
  cancelledBy: string | null;
  leaseToken: number;
  outcome: string | null;
  reason: string | null;
  createdAt: Date;
}

export type RunRow = Record<string, unknown>;

export function runFromRow(row: RunRow): GitHubRun {
  const repository = String(row.repository);
  const [owner = "", repo = ""] = repository.split("/");
  const commentId = row.trigger_comment_id;
  return {
    id: String(row.id),
    state: row.state as GitHubRun["state"],
    deliveryId: (row.delivery_id as string | null) ?? null,
    installationId: Number(row.installation_id),
    repository,
    owner,
    repo,
    subjectKind: row.subject_kind as SubjectKind,
    subjectNumber: Number(row.subject_number),
    requester: String(row.requester ?? ""),
    requesterId: Number(row.requester_id ?? 0),
    requesterPermission: String(row.requester_permission ?? ""),
    command: String(row.command ?? ""),
    triggerComment:
      commentId === null || commentId === undefined
        ? null
        : {
            kind: row.trigger_comment_kind as TriggerComment["kind"],
            id: Number(commentId),
          },
    baseBranch: String(row.base_branch ?? ""),
    targetBranch: String(row.target_branch ?? ""),
    branch: String(row.branch),
    baseSha: String(row.base_sha ?? ""),
    policy: row.policy as EffectivePolicy,
    checkRunId: nullableNumber(row.check_run_id),
    checkRunUrl: (row.check_run_url as string | null) ?? null,
    progressCommentId: nullableNumber(row.progress_comment_id),
    prNumber: nullableNumber(row.pr_number),
    prUrl: (row.pr_url as string | null) ?? null,
    cancelRequested: Boolean(row.cancel_requested),
    cancelledBy: (row.cancelled_by as string | null) ?? null,
    leaseToken: Number(row.lease_token),
    outcome: (row.outcome as string | null) ?? null,
    reason: (row.reason as string | null) ?? null,
    createdAt: new Date(row.created_at as string),
  };
}

function nullableNumber(value: unknown): number | null {
  return value === null || value === undefined ? null : Number(value);
}
