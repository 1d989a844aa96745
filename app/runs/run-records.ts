import os from "node:os";

import type { RunResult } from "../../runner/types.ts";
import type { Queryable } from "../db/database.ts";

export interface CliRun {
  id: string;
  repository: string;
  branch: string;
  baseSha: string;
  deadlineAt: Date;
  owner: string;
}

/**
 * A command-line run is recorded like any other, already running: there is
 * no queue between the person at the terminal and the sandbox.
 */
export async function insertCliRun(db: Queryable, run: CliRun): Promise<void> {
  await db.query(
    `INSERT INTO runs (id, source, state, repository, branch, base_sha,
                       lease_owner, lease_token, deadline_at, started_at)
     VALUES ($1, 'cli', 'running', $2, $3, $4, $5, 1, $6, now())`,
    [
      run.id,
      run.repository,
      run.branch,
      run.baseSha,
      run.owner,
      run.deadlineAt,
    ],
  );
}

/**
 * Stores a run's result and finishes it. With a lease token the write is
 * fenced: a worker whose lease was taken over changes nothing, and learns so
 * from the `false` it gets back.
 */
export async function recordResult(
  db: Queryable,
  result: RunResult,
  leaseToken?: number,
): Promise<boolean> {
  const fenced = leaseToken === undefined ? "" : "AND lease_token = $8";
  const params: unknown[] = [
    result.runId,
    result.outcome,
    result.reason,
    result.exitCode,
    result.image,
    result.headSha,
    JSON.stringify(result),
  ];
  if (leaseToken !== undefined) params.push(leaseToken);
  const updated = await db.query(
    `UPDATE runs
        SET state = 'finished', outcome = $2, reason = $3, exit_code = $4,
            image = $5, head_sha = $6, result = $7, finished_at = now(),
            lease_owner = NULL, lease_expires_at = NULL
      WHERE id = $1 AND state <> 'finished' ${fenced}`,
    params,
  );
  return updated.rowCount === 1;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** The lease owner of a command-line run: this host and process. */
export function cliOwner(): string {
  return `cli:${os.hostname()}:${process.pid}`;
}

/**
 * Whether a run still counts as active, so its sandbox must be left alone.
 * A queued or running run is active while its lease holds; a command-line
 * run while the process that owns it is alive. Anything else (including a
 * run this database never heard of) is fair game for the sweeper.
 */
export async function isRunActive(
  db: Queryable,
  runId: string,
): Promise<boolean> {
  if (!UUID.test(runId)) return false;
  const found = await db.query<{
    state: string;
    source: string;
    lease_owner: string | null;
    lease_live: boolean;
  }>(
    `SELECT state, source, lease_owner,
            coalesce(lease_expires_at > now(), false) AS lease_live
       FROM runs WHERE id = $1`,
    [runId],
  );
  const run = found.rows[0];
  if (!run || run.state === "finished") return false;
  if (run.state === "queued") return true;
  if (run.source === "cli") return ownerAlive(run.lease_owner);
  return run.lease_live;
}

function ownerAlive(owner: string | null): boolean {
  const [kind, host, pid] = owner?.split(":") ?? [];
  if (kind !== "cli" || host !== os.hostname()) return true;
  try {
    process.kill(Number(pid), 0);
    return true;
  } catch {
    return false;
  }
}
