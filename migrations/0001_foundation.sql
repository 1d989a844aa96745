-- Up Migration
-- Why: the ground every run stands on. A webhook delivery is recorded once so
-- that a redelivery is a no-op; a run is both the queue entry and the record
-- of what happened; run events are the append-only audit trail, each holding
-- the hash of the one before so the last hash commits to the whole history.

CREATE TABLE webhook_deliveries (
  delivery_id text PRIMARY KEY,
  event text NOT NULL,
  received_at timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE runs (
  id uuid PRIMARY KEY,
  source text NOT NULL CHECK (source IN ('github', 'cli')),
  state text NOT NULL DEFAULT 'queued'
    CHECK (state IN ('queued', 'running', 'finished')),
  repository text NOT NULL,
  branch text NOT NULL,
  base_sha text,
  head_sha text,
  -- The lease: who works on the run, until when, and a fencing token that
  -- grows with every claim so a worker whose lease was taken over cannot
  -- act on stale authority.
  lease_owner text,
  lease_expires_at timestamptz,
  lease_token bigint NOT NULL DEFAULT 0,
  deadline_at timestamptz,
  outcome text
    CHECK (outcome IN ('success', 'failed', 'timed_out', 'cancelled')),
  reason text,
  exit_code integer,
  image text,
  result jsonb,
  audit_seq integer NOT NULL DEFAULT 0,
  audit_head text NOT NULL DEFAULT '',
  created_at timestamptz NOT NULL DEFAULT now(),
  started_at timestamptz,
  finished_at timestamptz,
  CHECK ((state = 'finished') = (outcome IS NOT NULL))
);

CREATE INDEX runs_queued_idx ON runs (created_at) WHERE state = 'queued';
CREATE INDEX runs_running_idx ON runs (lease_expires_at)
  WHERE state = 'running';

CREATE TABLE run_events (
  run_id uuid NOT NULL REFERENCES runs (id),
  seq integer NOT NULL,
  kind text NOT NULL,
  data jsonb NOT NULL,
  at timestamptz NOT NULL,
  prev_hash text NOT NULL,
  hash text NOT NULL,
  PRIMARY KEY (run_id, seq)
);

CREATE FUNCTION run_events_append_only() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION 'run_events is append-only';
END;
$$;

CREATE TRIGGER run_events_append_only
  BEFORE UPDATE OR DELETE ON run_events
  FOR EACH ROW EXECUTE FUNCTION run_events_append_only();

-- Down Migration
DROP TABLE run_events;
DROP FUNCTION run_events_append_only();
DROP TABLE runs;
DROP TABLE webhook_deliveries;
