import type { Database } from "../db/database.ts";
import { AppError } from "../errors/app-error.ts";
import { GENESIS, hashEvent, readEvents } from "./audit-trail.ts";

export type ChainVerdict =
  | { intact: true; events: number; head: string }
  | { intact: false; events: number; firstBadSeq: number; why: string };

/**
 * Recomputes a run's chain from its first event and compares it with what
 * is stored, naming the first event that does not hold.
 */
export async function verifyChain(
  db: Database,
  runId: string,
): Promise<ChainVerdict> {
  const run = await db.query<{ audit_seq: number; audit_head: string }>(
    "SELECT audit_seq, audit_head FROM runs WHERE id = $1",
    [runId],
  );
  const head = run.rows[0];
  if (!head) throw new AppError("RUN_NOT_FOUND", `No run ${runId}.`);

  const events = await readEvents(db, runId);
  let previous = GENESIS;
  for (const [index, event] of events.entries()) {
    const expectedSeq = index + 1;
    const broken = (why: string): ChainVerdict => ({
      intact: false,
      events: events.length,
      firstBadSeq: event.seq,
      why,
    });
    if (event.seq !== expectedSeq) {
      return broken(`event ${expectedSeq} is missing`);
    }
    if (event.prevHash !== previous) {
      return broken("it does not point at the event before it");
    }
    if (hashEvent(event) !== event.hash) {
      return broken("its content does not match its hash");
    }
    previous = event.hash;
  }
  if (head.audit_seq !== events.length || head.audit_head !== previous) {
    return {
      intact: false,
      events: events.length,
      firstBadSeq: Math.min(head.audit_seq, events.length + 1),
      why: "the run's recorded head does not match its last event",
    };
  }
  return { intact: true, events: events.length, head: previous };
}
