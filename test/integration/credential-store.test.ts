import { randomUUID } from "node:crypto";

import { beforeAll, describe, expect, it } from "vitest";

import type { Database } from "../../app/db/database.ts";
import { createCredentialStore } from "../../app/runs/credential-store.ts";
import { hashCredential } from "../../runner/door/run-credential.ts";
import { createTestDatabase } from "../support/test-database.ts";

let db: Database;

beforeAll(async () => {
  ({ db } = await createTestDatabase());
});

async function newRun(): Promise<string> {
  const id = randomUUID();
  await db.query(
    `INSERT INTO runs (id, source, repository, branch)
     VALUES ($1, 'cli', 'acme/widgets', 'agent/x')`,
    [id],
  );
  return id;
}

const scope = (runId: string) => ({
  runId,
  repository: "acme/widgets",
  branch: "agent/x",
});
const inAnHour = () => new Date(Date.now() + 3_600_000);

describe("the run credential store", () => {
  it("keeps only the hash, and accepts the token for its run alone", async () => {
    const store = createCredentialStore(db);
    const runId = await newRun();
    const other = await newRun();
    const token = await store.issue(scope(runId), inAnHour());

    const { rows } = await db.query(
      "SELECT * FROM run_credentials WHERE run_id = $1",
      [runId],
    );
    expect(rows[0]?.hash).toBe(hashCredential(token));
    expect(JSON.stringify(rows)).not.toContain(token);

    expect(await store.check(runId, token)).toEqual({
      ok: true,
      scope: scope(runId),
    });
    expect(await store.check(other, token)).toEqual({
      ok: false,
      reason: "unknown",
    });
    expect(await store.check("not-a-uuid", token)).toEqual({
      ok: false,
      reason: "unknown",
    });
  });

  it("refuses a revoked credential, and a reissue replaces the old token", async () => {
    const store = createCredentialStore(db);
    const runId = await newRun();
    const first = await store.issue(scope(runId), inAnHour());
    await store.revoke(runId);
    await store.revoke(runId);
    expect(await store.check(runId, first)).toEqual({
      ok: false,
      reason: "revoked",
    });

    const second = await store.issue(scope(runId), inAnHour());
    expect((await store.check(runId, second)).ok).toBe(true);
    expect((await store.check(runId, first)).ok).toBe(false);
  });

  it("refuses a credential past the run's deadline", async () => {
    const runId = await newRun();
    let clock = new Date();
    const store = createCredentialStore(db, () => clock);
    const token = await store.issue(scope(runId), new Date(Date.now() + 1000));
    expect((await store.check(runId, token)).ok).toBe(true);
    clock = new Date(Date.now() + 2000);
    expect(await store.check(runId, token)).toEqual({
      ok: false,
      reason: "expired",
    });
  });
});
