import { databaseAuditSink } from "../audit/database-audit-sink.ts";
import type { GitHubRun } from "./github-run.ts";
import { executeRun, type ExecutorDeps } from "./execute-run.ts";
import { finishRun } from "./run-store.ts";

export interface WorkerOptions {
  /** Runs this process carries at once (WORKER_CONCURRENCY). */
  concurrency: number;
  /** How often to look for queued runs when nobody wakes us. */
  pollMs: number;
  /** How often to look for runs whose lease expired. */
  sweepMs: number;
  /** Removes containers, workspaces and doors of runs no longer active. */
  sweepSandboxes: () => Promise<void>;
}

export interface Worker {
  start(): void;
  /** Looks for work now, for example right after a run was queued. */
  wake(): void;
  /** Stops claiming, stops the running sandboxes and waits for them. */
  stop(): Promise<void>;
}

/**
 * The worker loop: fills up to `concurrency` slots with claimed runs, and
 * sweeps runs whose worker vanished (its lease expired): their sandbox is
 * removed, the run is failed and its check run completed.
 */
export function createWorker(
  deps: Omit<ExecutorDeps, "shutdown">,
  options: WorkerOptions,
): Worker {
  const log = deps.log.child({ component: "worker" });
  const shutdown = new AbortController();
  const running = new Set<Promise<void>>();
  let filling = false;
  let again = false;
  let timers: NodeJS.Timeout[] = [];

  async function fill(): Promise<void> {
    if (filling) {
      again = true;
      return;
    }
    filling = true;
    try {
      do {
        again = false;
        while (!shutdown.signal.aborted && running.size < options.concurrency) {
          const run = await deps.queue.claim();
          if (!run) break;
          track(run);
        }
      } while (again && !shutdown.signal.aborted);
    } catch (err) {
      log.error({ err }, "claim failed");
    } finally {
      filling = false;
    }
  }

  function track(run: GitHubRun): void {
    log.info({ runId: run.id, leaseToken: run.leaseToken }, "run claimed");
    const work = executeRun({ ...deps, shutdown: shutdown.signal }, run)
      .catch((err: unknown) => log.error({ err, runId: run.id }, "run crashed"))
      .finally(() => {
        running.delete(work);
        void fill();
      });
    running.add(work);
  }

  async function sweep(): Promise<void> {
    try {
      const expired = await deps.queue.takeExpired();
      for (const run of expired) await failExpired(run);
      if (expired.length > 0) await options.sweepSandboxes();
      for (const run of expired) {
        await deps.reporter.finished(run, {
          finish: {
            outcome: "failed",
            reason: "infrastructure",
            detail: "the worker carrying the run stopped responding",
          },
          result: null,
          pullUrl: null,
        });
      }
    } catch (err) {
      log.error({ err }, "lease sweep failed");
    }
  }

  async function failExpired(run: GitHubRun): Promise<void> {
    log.warn({ runId: run.id }, "lease expired; failing the run");
    await databaseAuditSink(deps.db, run.id).record("lease_expired", {
      leaseToken: run.leaseToken,
    });
    await finishRun(
      deps.db,
      run.id,
      run.leaseToken,
      "failed",
      "infrastructure",
    );
  }

  return {
    start() {
      timers = [
        setInterval(() => void fill(), options.pollMs),
        setInterval(() => void sweep(), options.sweepMs),
      ];
      void sweep().then(fill);
    },

    wake() {
      void fill();
    },

    async stop() {
      timers.forEach(clearInterval);
      shutdown.abort();
      await Promise.allSettled([...running]);
    },
  };
}
