import type { Queryable } from "../db/database.ts";
import {
  issueRunCredential,
  judgeCredential,
  type CredentialCheck,
  type CredentialScope,
  type StoredCredential,
} from "../../runner/door/run-credential.ts";

/**
 * Run credentials in Postgres. `issue` returns the token once, for the
 * sandbox's environment; only its hash is stored. `check` is what the door
 * is handed: it looks the run up and compares hashes in constant time.
 */
export interface CredentialStore {
  issue(scope: CredentialScope, expiresAt: Date): Promise<string>;
  /** Keeps a credential issued elsewhere (by the runner, say). */
  store(credential: StoredCredential): Promise<void>;
  check: CredentialCheck;
  /** Ends the run's credential now; idempotent. */
  revoke(runId: string): Promise<void>;
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

interface CredentialRow extends Record<string, unknown> {
  run_id: string;
  hash: string;
  repository: string;
  branch: string;
  expires_at: Date;
  revoked_at: Date | null;
}

export function createCredentialStore(
  db: Queryable,
  now: () => Date = () => new Date(),
): CredentialStore {
  const store = async (stored: StoredCredential): Promise<void> => {
    // A run that is resumed after a crash gets a new sandbox and a new
    // credential; the old one stops working here.
    await db.query(
      `INSERT INTO run_credentials
         (run_id, hash, repository, branch, expires_at, revoked_at)
       VALUES ($1, $2, $3, $4, $5, $6)
       ON CONFLICT (run_id) DO UPDATE SET
         hash = EXCLUDED.hash,
         repository = EXCLUDED.repository,
         branch = EXCLUDED.branch,
         expires_at = EXCLUDED.expires_at,
         revoked_at = EXCLUDED.revoked_at,
         created_at = now()`,
      [
        stored.runId,
        stored.hash,
        stored.repository,
        stored.branch,
        stored.expiresAt,
        stored.revokedAt,
      ],
    );
  };

  return {
    async issue(scope, expiresAt) {
      const { token, stored } = issueRunCredential(scope, expiresAt);
      await store(stored);
      return token;
    },

    store,

    async check(runId, presented) {
      // Not a run id at all: nothing to look up (and no SQL error to leak).
      if (!UUID.test(runId)) return judgeCredential(null, presented, now());
      const { rows } = await db.query<CredentialRow>(
        `SELECT run_id, hash, repository, branch, expires_at, revoked_at
           FROM run_credentials WHERE run_id = $1`,
        [runId],
      );
      const row = rows[0];
      return judgeCredential(row ? fromRow(row) : null, presented, now());
    },

    async revoke(runId) {
      await db.query(
        `UPDATE run_credentials SET revoked_at = now()
          WHERE run_id = $1 AND revoked_at IS NULL`,
        [runId],
      );
    },
  };
}

function fromRow(row: CredentialRow): StoredCredential {
  return {
    runId: row.run_id,
    hash: row.hash,
    repository: row.repository,
    branch: row.branch,
    expiresAt: row.expires_at,
    revokedAt: row.revoked_at,
  };
}
