-- Up Migration
-- Why: a run started from GitHub must remember where it came from and where
-- it reports to (installation, repository, issue or pull request, the person
-- who asked and their permission, the check run and the progress comment),
-- and the webhook intake needs a durable inbox: the request only records the
-- delivery, and the slower work (permission check, policy, the run itself)
-- happens after GitHub has had its answer. One active run per issue or pull
-- request is a unique partial index, so two racing commands cannot both win.

ALTER TABLE webhook_deliveries
  ADD COLUMN installation_id bigint,
  ADD COLUMN payload jsonb,
  ADD COLUMN processed_at timestamptz,
  ADD COLUMN result text;

CREATE INDEX webhook_deliveries_pending_idx
  ON webhook_deliveries (received_at) WHERE processed_at IS NULL;

ALTER TABLE runs
  ADD COLUMN delivery_id text REFERENCES webhook_deliveries (delivery_id),
  ADD COLUMN installation_id bigint,
  ADD COLUMN subject_kind text
    CHECK (subject_kind IN ('issue', 'pull_request')),
  ADD COLUMN subject_number integer,
  ADD COLUMN requester text,
  ADD COLUMN requester_id bigint,
  ADD COLUMN requester_permission text,
  ADD COLUMN command text,
  ADD COLUMN trigger_comment_id bigint,
  ADD COLUMN trigger_comment_kind text,
  ADD COLUMN base_branch text,
  ADD COLUMN target_branch text,
  ADD COLUMN policy jsonb,
  ADD COLUMN check_run_id bigint,
  ADD COLUMN check_run_url text,
  ADD COLUMN progress_comment_id bigint,
  ADD COLUMN pr_number integer,
  ADD COLUMN pr_url text,
  ADD COLUMN cancel_requested boolean NOT NULL DEFAULT false,
  ADD COLUMN cancelled_by text;

CREATE UNIQUE INDEX runs_one_active_per_subject
  ON runs (repository, subject_kind, subject_number)
  WHERE source = 'github' AND state IN ('queued', 'running');

CREATE INDEX runs_installation_running_idx
  ON runs (installation_id) WHERE state = 'running';

CREATE INDEX runs_subject_idx
  ON runs (repository, subject_number, created_at);

-- Down Migration
DROP INDEX runs_subject_idx;
DROP INDEX runs_installation_running_idx;
DROP INDEX runs_one_active_per_subject;
ALTER TABLE runs
  DROP COLUMN delivery_id,
  DROP COLUMN installation_id,
  DROP COLUMN subject_kind,
  DROP COLUMN subject_number,
  DROP COLUMN requester,
  DROP COLUMN requester_id,
  DROP COLUMN requester_permission,
  DROP COLUMN command,
  DROP COLUMN trigger_comment_id,
  DROP COLUMN trigger_comment_kind,
  DROP COLUMN base_branch,
  DROP COLUMN target_branch,
  DROP COLUMN policy,
  DROP COLUMN check_run_id,
  DROP COLUMN check_run_url,
  DROP COLUMN progress_comment_id,
  DROP COLUMN pr_number,
  DROP COLUMN pr_url,
  DROP COLUMN cancel_requested,
  DROP COLUMN cancelled_by;
DROP INDEX webhook_deliveries_pending_idx;
ALTER TABLE webhook_deliveries
  DROP COLUMN installation_id,
  DROP COLUMN payload,
  DROP COLUMN processed_at,
  DROP COLUMN result;
