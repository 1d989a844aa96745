import { randomUUID } from "node:crypto";

import type { Queryable } from "../db/database.ts";
import {
  runFromRow,
  type GitHubRun,
  type RunRow,
  type SubjectKind,
} from "./github-run.ts";

/** What a webhook delivery knows of a run before it is queued. */
export type NewRun = Pick<
  GitHubRun,
  | "installationId"
  | "repository"
  | "subjectKind"
  | "subjectNumber"
  | "requester"
  | "requesterId"
  | "requesterPermission"
  | "command"
  | "triggerComment"
  | "baseBranch"
  | "targetBranch"
  | "branch"
  | "baseSha"
  | "policy"
> & { deliveryId: string };

export interface Subject {
  repository: string;
  subjectKind: SubjectKind;
  subjectNumber: number;
}

/**
 * Inserts a queued run unless the issue or pull request already has an
 * active one; the unique partial index decides, so two racing commands
 * cannot both start a run. Resolves to null on that conflict.
 */
export async function insertRun(
  tx: Queryable,
  run: NewRun,
): Promise<GitHubRun | null> {
  const inserted = await tx.query<RunRow>(
    `INSERT INTO runs (id, source, state, repository, branch, base_sha,
                       delivery_id, installation_id, subject_kind,
                       subject_number, requester, requester_id,
                       requester_permission, command, trigger_comment_id,
                       trigger_comment_kind, base_branch, target_branch, policy)
     VALUES ($1, 'github', 'queued', $2, $3, $4, $5, $6, $7, $8, $9, $10,
             $11, $12, $13, $14, $15, $16, $17)
     ON CONFLICT (repository, subject_kind, subject_number)
       WHERE source = 'github' AND state IN ('queued', 'running')
       DO NOTHING
     RETURNING *`,
    [
      randomUUID(),
      run.repository,
      run.branch,
      run.baseSha,
      run.deliveryId,
      run.installationId,
      run.subjectKind,
      run.subjectNumber,
      run.requester,
      run.requesterId,
      run.requesterPermission,
      run.command,
      run.triggerComment?.id ?? null,
      run.triggerComment?.kind ?? null,
      run.baseBranch,
      run.targetBranch,
      JSON.stringify(run.policy),
    ],
  );
  const row = inserted.rows[0];
  return row ? runFromRow(row) : null;
}

export async function getRun(
  db: Queryable,
  runId: string,
): Promise<GitHubRun | null> {
  const found = await db.query<RunRow>("SELECT * FROM runs WHERE id = $1", [
    runId,
  ]);
  const row = found.rows[0];
  return row ? runFromRow(row) : null;
}

/** The newest run on an issue or pull request, active or not. */
export async function latestRun(
  db: Queryable,
  subject: Subject,
): Promise<GitHubRun | null> {
  const found = await db.query<RunRow>(
    `SELECT * FROM runs
      WHERE source = 'github' AND repository = $1 AND subject_kind = $2
        AND subject_number = $3
      ORDER BY created_at DESC LIMIT 1`,
    [subject.repository, subject.subjectKind, subject.subjectNumber],
  );
  const row = found.rows[0];
  return row ? runFromRow(row) : null;
}

export async function activeRun(
  db: Queryable,
  subject: Subject,
): Promise<GitHubRun | null> {
  const run = await latestRun(db, subject);
  return run && run.state !== "finished" ? run : null;
}

export async function runByCheckRun(
  db: Queryable,
  repository: string,
  checkRunId: number,
): Promise<GitHubRun | null> {
  const found = await db.query<RunRow>(
    "SELECT * FROM runs WHERE repository = $1 AND check_run_id = $2",
    [repository, checkRunId],
  );
  const row = found.rows[0];
  return row ? runFromRow(row) : null;
}

type Column =
  | "check_run_id"
  | "check_run_url"
  | "progress_comment_id"
  | "pr_number"
  | "pr_url";

/** Records where the run reports to; fenced when a lease is given. */
export async function setRunFields(
  db: Queryable,
  runId: string,
  fields: Partial<Record<Column, string | number | null>>,
  leaseToken?: number,
): Promise<boolean> {
  const entries = Object.entries(fields) as [Column, unknown][];
  if (entries.length === 0) return true;
  const sets = entries.map(([column], index) => `${column} = $${index + 2}`);
  const params: unknown[] = [runId, ...entries.map(([, value]) => value)];
  let fence = "";
  if (leaseToken !== undefined) {
    params.push(leaseToken);
    fence = `AND lease_token = $${params.length}`;
  }
  const updated = await db.query(
    `UPDATE runs SET ${sets.join(", ")} WHERE id = $1 ${fence}`,
    params,
  );
  return updated.rowCount === 1;
}

/**
 * Marks a run for cancellation. A queued run is finished on the spot (no
 * worker holds it); a running one is stopped by its worker, which sees the
 * mark at its next heartbeat. Resolves to the run's state before the call.
 */
export async function requestCancel(
  db: Queryable,
  runId: string,
  by: string,
): Promise<"queued" | "running" | "finished"> {
  const finished = await db.query(
    `UPDATE runs
        SET cancel_requested = true, cancelled_by = $2, state = 'finished',
            outcome = 'cancelled', reason = 'cancelled', finished_at = now()
      WHERE id = $1 AND state = 'queued'`,
    [runId, by],
  );
  if (finished.rowCount === 1) return "queued";
  const marked = await db.query(
    `UPDATE runs SET cancel_requested = true, cancelled_by = $2
      WHERE id = $1 AND state = 'running'`,
    [runId, by],
  );
  return marked.rowCount === 1 ? "running" : "finished";
}

/**
 * Finishes a run that has no sandbox result (it failed before or around
 * the sandbox, or was swept), fenced by the lease token.
 */
export async function finishRun(
  db: Queryable,
  runId: string,
  leaseToken: number,
  outcome: "failed" | "cancelled" | "timed_out",
  reason: string,
): Promise<boolean> {
  const updated = await db.query(
    `UPDATE runs
        SET state = 'finished', outcome = $3, reason = $4, finished_at = now(),
            lease_owner = NULL, lease_expires_at = NULL
      WHERE id = $1 AND lease_token = $2 AND state <> 'finished'`,
    [runId, leaseToken, outcome, reason],
  );
  return updated.rowCount === 1;
}

/** The command's own words and, for review comments, where it was made. */
export async function deliveryPayload(
  db: Queryable,
  deliveryId: string | null,
): Promise<{ event: string; payload: unknown } | null> {
  if (!deliveryId) return null;
  const found = await db.query<{ event: string; payload: unknown }>(
    "SELECT event, payload FROM webhook_deliveries WHERE delivery_id = $1",
    [deliveryId],
  );
  return found.rows[0] ?? null;
}
