import type { Database } from "../db/database.ts";
import { runFromRow, type GitHubRun, type RunRow } from "./github-run.ts";

// Held for the claim transaction only: claims take turns, so the count of
// an installation's running runs that the claim reads is exact even when
// many workers claim at once. Claims are short, so the turn is brief.
const CLAIM_LOCK = 7_240_417_003;

export interface Lease {
  runId: string;
  token: number;
}

export interface RenewResult {
  held: boolean;
  cancelRequested: boolean;
}

export interface RunQueue {
  /** Takes the oldest queued run whose installation has room, or null. */
  claim(): Promise<GitHubRun | null>;
  /** Extends the lease; `held` is false once another worker has taken it. */
  renew(lease: Lease): Promise<RenewResult>;
  /** Whether the lease is still ours, checked before every side effect. */
  held(lease: Lease): Promise<boolean>;
  /** Takes over runs whose lease ran out, bumping their fencing token. */
  takeExpired(): Promise<GitHubRun[]>;
}

export interface RunQueueOptions {
  owner: string;
  leaseMs: number;
  perInstallation: number;
}

/**
 * The queue is the `runs` table itself. A claim moves one queued run to
 * running under a lease: an owner, an expiry the owner keeps pushing forward
 * with heartbeats, and a token that grows with every claim. Every write the
 * owner makes is conditioned on the token, so a worker that stalled past its
 * lease and was swept cannot act on what is no longer its run.
 */
export function createRunQueue(
  db: Database,
  options: RunQueueOptions,
): RunQueue {
  const leaseMs = String(options.leaseMs);

  return {
    claim: () =>
      db.transaction(async (tx) => {
        await tx.query("SELECT pg_advisory_xact_lock($1)", [CLAIM_LOCK]);
        const claimed = await tx.query<RunRow>(
          `WITH candidate AS (
             SELECT r.id
               FROM runs r
              WHERE r.source = 'github' AND r.state = 'queued'
                AND (SELECT count(*) FROM runs a
                      WHERE a.state = 'running' AND a.source = 'github'
                        AND a.installation_id = r.installation_id) < $3
              ORDER BY r.created_at, r.id
              LIMIT 1
              FOR UPDATE OF r SKIP LOCKED)
           UPDATE runs
              SET state = 'running',
                  lease_owner = $1,
                  lease_expires_at = now() + $2 * interval '1 millisecond',
                  lease_token = runs.lease_token + 1,
                  started_at = coalesce(runs.started_at, now()),
                  deadline_at = now() + make_interval(secs =>
                    coalesce((runs.policy #>> '{limits,timeoutSeconds}')::int,
                             1800) + 300)
             FROM candidate
            WHERE runs.id = candidate.id
        RETURNING runs.*`,
          [options.owner, leaseMs, options.perInstallation],
        );
        const row = claimed.rows[0];
        return row ? runFromRow(row) : null;
      }),

    async renew(lease) {
      const renewed = await db.query<{ cancel_requested: boolean }>(
        `UPDATE runs
            SET lease_expires_at = now() + $3 * interval '1 millisecond'
          WHERE id = $1 AND lease_token = $2 AND state = 'running'
      RETURNING cancel_requested`,
        [lease.runId, lease.token, leaseMs],
      );
      const row = renewed.rows[0];
      return {
        held: row !== undefined,
        cancelRequested: !!row?.cancel_requested,
      };
    },

    async held(lease) {
      const found = await db.query(
        `SELECT 1 FROM runs
          WHERE id = $1 AND lease_token = $2 AND state = 'running'
            AND lease_expires_at > now()`,
        [lease.runId, lease.token],
      );
      return found.rowCount === 1;
    },

    async takeExpired() {
      const taken = await db.query<RunRow>(
        `UPDATE runs
            SET lease_owner = $1,
                lease_expires_at = now() + $2 * interval '1 millisecond',
                lease_token = lease_token + 1
          WHERE id IN (SELECT id FROM runs
                        WHERE source = 'github' AND state = 'running'
                          AND lease_expires_at < now()
                        FOR UPDATE SKIP LOCKED)
      RETURNING *`,
        [options.owner, leaseMs],
      );
      return taken.rows.map(runFromRow);
    },
  };
}
