-- Up Migration
-- Why: a run's door credential must be checkable by whichever process serves
-- the run's door, must die with the run, and must not be recoverable from the
-- database: only its SHA-256 is kept, with the one repository and branch it
-- may push and the moment it stops working. Revocation is a timestamp, not a
-- delete, so the audit of a run can show when its credential ended.

CREATE TABLE run_credentials (
  run_id uuid PRIMARY KEY REFERENCES runs (id),
  hash text NOT NULL CHECK (hash ~ '^[0-9a-f]{64}$'),
  repository text NOT NULL,
  branch text NOT NULL,
  expires_at timestamptz NOT NULL,
  revoked_at timestamptz,
  created_at timestamptz NOT NULL DEFAULT now()
);

-- Down Migration
DROP TABLE run_credentials;
