import type { AuditSink } from "../../runner/types.ts";
import type { Database } from "../db/database.ts";
import { appendEvent } from "./audit-trail.ts";

/** The runner's audit events, appended to the run's hash chain. */
export function databaseAuditSink(db: Database, runId: string): AuditSink {
  return {
    async record(kind, data) {
      await appendEvent(db, runId, kind, data);
    },
  };
}
