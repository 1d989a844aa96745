import { createHash } from "node:crypto";

import type { Database, Queryable } from "../db/database.ts";
import { AppError } from "../errors/app-error.ts";
import { canonicalJson } from "./canonical-json.ts";

/** The hash a run's chain starts from, before any event. */
export const GENESIS = "";

export interface AuditEvent {
  runId: string;
  seq: number;
  kind: string;
  data: Record<string, unknown>;
  at: Date;
  prevHash: string;
  hash: string;
}

/**
 * Each event's hash covers the run, its position, its kind, its data, its
 * time and the previous hash, so the last hash commits to the whole history:
 * changing, removing or reordering any event breaks every hash after it.
 */
export function hashEvent(event: Omit<AuditEvent, "hash">): string {
  return createHash("sha256")
    .update(
      canonicalJson({
        runId: event.runId,
        seq: event.seq,
        kind: event.kind,
        data: event.data,
        at: event.at.toISOString(),
        prevHash: event.prevHash,
      }),
    )
    .digest("hex");
}

/**
 * Appends one event to a run's chain. The run's row is locked for the
 * append, so concurrent writers of one run take turns and the chain stays a
 * line; `runs.audit_head` always names the newest hash.
 */
export async function appendEvent(
  db: Database,
  runId: string,
  kind: string,
  data: Record<string, unknown>,
): Promise<AuditEvent> {
  return db.transaction(async (tx) => {
    const head = await tx.query<{ audit_seq: number; audit_head: string }>(
      "SELECT audit_seq, audit_head FROM runs WHERE id = $1 FOR UPDATE",
      [runId],
    );
    const row = head.rows[0];
    if (!row) throw new AppError("RUN_NOT_FOUND", `No run ${runId}.`);

    // Round-trip the data through JSON so what we hash is what jsonb stores.
    const stored = JSON.parse(canonicalJson(data)) as Record<string, unknown>;
    const unhashed = {
      runId,
      seq: row.audit_seq + 1,
      kind,
      data: stored,
      at: new Date(),
      prevHash: row.audit_head,
    };
    const event = { ...unhashed, hash: hashEvent(unhashed) };
    await insertEvent(tx, event);
    return event;
  });
}

async function insertEvent(tx: Queryable, event: AuditEvent): Promise<void> {
  await tx.query(
    `INSERT INTO run_events (run_id, seq, kind, data, at, prev_hash, hash)
     VALUES ($1, $2, $3, $4, $5, $6, $7)`,
    [
      event.runId,
      event.seq,
      event.kind,
      JSON.stringify(event.data),
      event.at,
      event.prevHash,
      event.hash,
    ],
  );
  await tx.query(
    "UPDATE runs SET audit_seq = $2, audit_head = $3 WHERE id = $1",
    [event.runId, event.seq, event.hash],
  );
}

export async function readEvents(
  db: Queryable,
  runId: string,
): Promise<AuditEvent[]> {
  const result = await db.query<{
    seq: number;
    kind: string;
    data: Record<string, unknown>;
    at: Date;
    prev_hash: string;
    hash: string;
  }>(
    `SELECT seq, kind, data, at, prev_hash, hash FROM run_events
     WHERE run_id = $1 ORDER BY seq`,
    [runId],
  );
  return result.rows.map((row) => ({
    runId,
    seq: row.seq,
    kind: row.kind,
    data: row.data,
    at: row.at,
    prevHash: row.prev_hash,
    hash: row.hash,
  }));
}
