import { randomUUID } from "node:crypto";

import { describe, expect, it } from "vitest";

import { appendEvent, readEvents } from "../../app/audit/audit-trail.ts";
import { verifyChain } from "../../app/audit/verify-chain.ts";
import { createTestDatabase } from "../support/test-database.ts";

const { db } = await createTestDatabase();

async function newRun(): Promise<string> {
  const id = randomUUID();
  await db.query(
    `INSERT INTO runs (id, source, repository, branch)
     VALUES ($1, 'cli', 'local/repo', 'agent/test')`,
    [id],
  );
  return id;
}

/** Edits the stored trail as someone with database access could. */
async function tamper(sql: string, params: unknown[]): Promise<void> {
  await db.transaction(async (tx) => {
    await tx.query(
      "ALTER TABLE run_events DISABLE TRIGGER run_events_append_only",
    );
    await tx.query(sql, params);
    await tx.query(
      "ALTER TABLE run_events ENABLE TRIGGER run_events_append_only",
    );
  });
}

describe("audit trail", () => {
  it("chains each event to the one before and keeps the head on the run", async () => {
    const runId = await newRun();

    const first = await appendEvent(db, runId, "requested", { by: "cli" });
    const second = await appendEvent(db, runId, "prepared", { sha: "abc" });

    expect(first.prevHash).toBe("");
    expect(second.prevHash).toBe(first.hash);
    const verdict = await verifyChain(db, runId);
    expect(verdict).toEqual({ intact: true, events: 2, head: second.hash });
  });

  it("keeps a line when many events are appended at once", async () => {
    const runId = await newRun();

    await Promise.all(
      Array.from({ length: 20 }, (_, i) =>
        appendEvent(db, runId, "tick", { i }),
      ),
    );

    const events = await readEvents(db, runId);
    expect(events.map((e) => e.seq)).toEqual(
      Array.from({ length: 20 }, (_, i) => i + 1),
    );
    expect((await verifyChain(db, runId)).intact).toBe(true);
  });

  it("refuses updates and deletes of stored events", async () => {
    const runId = await newRun();
    await appendEvent(db, runId, "requested", {});

    await expect(
      db.query("UPDATE run_events SET kind = 'x' WHERE run_id = $1", [runId]),
    ).rejects.toThrow(/append-only/);
    await expect(
      db.query("DELETE FROM run_events WHERE run_id = $1", [runId]),
    ).rejects.toThrow(/append-only/);
  });

  it("names the first event whose content was changed", async () => {
    const runId = await newRun();
    for (const kind of ["requested", "prepared", "finished"]) {
      await appendEvent(db, runId, kind, { kind });
    }

    await tamper(
      `UPDATE run_events SET data = '{"kind":"forged"}' WHERE run_id = $1 AND seq = 2`,
      [runId],
    );

    expect(await verifyChain(db, runId)).toMatchObject({
      intact: false,
      firstBadSeq: 2,
      why: "its content does not match its hash",
    });
  });

  it("notices an event removed from the middle or the end", async () => {
    const middle = await newRun();
    const end = await newRun();
    for (const runId of [middle, end]) {
      for (let i = 0; i < 3; i += 1) await appendEvent(db, runId, "e", { i });
    }

    await tamper("DELETE FROM run_events WHERE run_id = $1 AND seq = 2", [
      middle,
    ]);
    await tamper("DELETE FROM run_events WHERE run_id = $1 AND seq = 3", [end]);

    expect(await verifyChain(db, middle)).toMatchObject({
      intact: false,
      firstBadSeq: 3,
    });
    expect(await verifyChain(db, end)).toMatchObject({
      intact: false,
      why: "the run's recorded head does not match its last event",
    });
  });
});
