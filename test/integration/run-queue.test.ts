import { afterAll, beforeEach, describe, expect, it } from "vitest";

import { connectDatabase, type Database } from "../../app/db/database.ts";
import type { EffectivePolicy } from "../../app/policy/merge-policy.ts";
import { createRunQueue } from "../../app/queue/run-queue.ts";
import {
  activeRun,
  insertRun,
  requestCancel,
  setRunFields,
  type NewRun,
} from "../../app/queue/run-store.ts";
import { createTestDatabase } from "../support/test-database.ts";

const { db, url } = await createTestDatabase();

const policy: EffectivePolicy = {
  agent: { preset: "command", command: "true" },
  limits: { timeoutSeconds: 60, memoryBytes: 256 * 1024 * 1024, cpus: 1 },
  minPermission: "write",
  protectedPaths: [],
  networkAllow: [],
  allowForks: false,
  sources: [],
};

let counter = 0;

async function queue(overrides: Partial<NewRun> = {}) {
  counter += 1;
  const deliveryId = `delivery-${counter}`;
  await db.query(
    "INSERT INTO webhook_deliveries (delivery_id, event) VALUES ($1, 'issue_comment')",
    [deliveryId],
  );
  return db.transaction((tx) =>
    insertRun(tx, {
      deliveryId,
      installationId: 1,
      repository: "octo/widgets",
      subjectKind: "issue",
      subjectNumber: counter,
      requester: "alice",
      requesterId: 7,
      requesterPermission: "write",
      command: "/agent fix",
      triggerComment: { kind: "issue_comment", id: counter },
      baseBranch: "main",
      targetBranch: "main",
      branch: `agent/issue-${counter}`,
      baseSha: "a".repeat(40),
      policy,
      ...overrides,
    }),
  );
}

beforeEach(async () => {
  await db.query("DELETE FROM runs");
});

describe("run queue", () => {
  it("claims the oldest queued run once and leases it", async () => {
    const first = await queue();
    await queue();
    const worker = createRunQueue(db, {
      owner: "w1",
      leaseMs: 60_000,
      perInstallation: 5,
    });

    const claimed = await worker.claim();
    expect(claimed?.id).toBe(first?.id);
    expect(claimed?.state).toBe("running");
    expect(claimed?.leaseToken).toBe(1);
    const lease = { runId: claimed!.id, token: claimed!.leaseToken };
    expect(await worker.held(lease)).toBe(true);
    expect(await worker.renew(lease)).toEqual({
      held: true,
      cancelRequested: false,
    });
  });

  it("keeps one active run per issue", async () => {
    const first = await queue({ subjectNumber: 900 });
    expect(first).not.toBeNull();
    const second = await queue({ subjectNumber: 900 });
    expect(second).toBeNull();
    const active = await activeRun(db, {
      repository: "octo/widgets",
      subjectKind: "issue",
      subjectNumber: 900,
    });
    expect(active?.id).toBe(first?.id);
  });

  it("respects the per-installation limit", async () => {
    await queue({ installationId: 5 });
    await queue({ installationId: 5 });
    const other = await queue({ installationId: 6 });
    const worker = createRunQueue(db, {
      owner: "w1",
      leaseMs: 60_000,
      perInstallation: 1,
    });

    const a = await worker.claim();
    const b = await worker.claim();
    const c = await worker.claim();
    expect(a?.installationId).toBe(5);
    expect(b?.id).toBe(other?.id);
    expect(c).toBeNull();
  });

  it("never hands one run to two racing workers", async () => {
    for (let i = 0; i < 30; i += 1) await queue({ installationId: 100 + i });
    const pools: Database[] = [
      connectDatabase(url, 4),
      connectDatabase(url, 4),
    ];
    afterAll(() => Promise.all(pools.map((pool) => pool.close())));
    const workers = pools.map((pool, index) =>
      createRunQueue(pool, {
        owner: `racer-${index}`,
        leaseMs: 60_000,
        perInstallation: 1,
      }),
    );

    const claimedBy = await Promise.all(
      workers.map(async (worker) => {
        const ids: string[] = [];
        const attempts = Array.from({ length: 20 }, () => worker.claim());
        for (const run of await Promise.all(attempts)) {
          if (run) ids.push(run.id);
        }
        return ids;
      }),
    );

    const all = claimedBy.flat();
    expect(all).toHaveLength(30);
    expect(new Set(all).size).toBe(30);
    expect(claimedBy[0]!.length).toBeGreaterThan(0);
    expect(claimedBy[1]!.length).toBeGreaterThan(0);
  });

  it("takes over an expired lease and fences the old holder", async () => {
    await queue();
    const stalled = createRunQueue(db, {
      owner: "stalled",
      leaseMs: 200,
      perInstallation: 5,
    });
    const sweeper = createRunQueue(db, {
      owner: "sweeper",
      leaseMs: 60_000,
      perInstallation: 5,
    });
    const claimed = await stalled.claim();
    const lease = { runId: claimed!.id, token: claimed!.leaseToken };

    expect(await sweeper.takeExpired()).toEqual([]);
    await new Promise((resolve) => setTimeout(resolve, 400));
    expect(await stalled.held(lease)).toBe(false);

    const taken = await sweeper.takeExpired();
    expect(taken.map((run) => run.id)).toEqual([claimed!.id]);
    expect(taken[0]!.leaseToken).toBe(lease.token + 1);

    expect(await stalled.renew(lease)).toEqual({
      held: false,
      cancelRequested: false,
    });
    expect(
      await setRunFields(db, lease.runId, { pr_number: 5 }, lease.token),
    ).toBe(false);
    expect(
      await setRunFields(db, lease.runId, { pr_number: 5 }, lease.token + 1),
    ).toBe(true);
  });

  it("finishes a queued run on cancel and marks a running one", async () => {
    const queued = await queue();
    expect(await requestCancel(db, queued!.id, "bob")).toBe("queued");
    const after = await activeRun(db, {
      repository: "octo/widgets",
      subjectKind: "issue",
      subjectNumber: queued!.subjectNumber,
    });
    expect(after).toBeNull();

    await queue();
    const worker = createRunQueue(db, {
      owner: "w",
      leaseMs: 60_000,
      perInstallation: 5,
    });
    const running = await worker.claim();
    expect(await requestCancel(db, running!.id, "bob")).toBe("running");
    expect(
      await worker.renew({ runId: running!.id, token: running!.leaseToken }),
    ).toEqual({ held: true, cancelRequested: true });
  });
});
