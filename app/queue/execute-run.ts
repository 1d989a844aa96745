import type {
  AuditSink,
  RunResult,
  RunSpec,
  Upstream,
} from "../../runner/types.ts";
import { databaseAuditSink } from "../audit/database-audit-sink.ts";
import type { Database } from "../db/database.ts";
import { AppError, isAppError } from "../errors/app-error.ts";
import { buildTask } from "../github/build-task.ts";
import type { GitHubApp } from "../github/github-client.ts";
import { createGitHubUpstream } from "../github/github-upstream.ts";
import { openPullRequest } from "../github/open-pull-request.ts";
import { readEvent } from "../github/read-event.ts";
import type { Finish } from "../github/render-summary.ts";
import type { RunReporter } from "../github/run-reporter.ts";
import type { Logger } from "../log/logger.ts";
import { recordResult } from "../runs/run-records.ts";
import { buildRunSpec, type SpecSettings } from "./build-run-spec.ts";
import type { GitHubRun } from "./github-run.ts";
import type { Lease, RunQueue } from "./run-queue.ts";
import {
  deliveryPayload,
  finishRun,
  getRun,
  setRunFields,
} from "./run-store.ts";

export interface SandboxContext {
  upstream: Upstream;
  audit: AuditSink;
  log: Logger;
  signal: AbortSignal;
}

/** One sandboxed run: the runner's `runSandbox` bound to this host. */
export type SandboxRunner = (
  spec: RunSpec,
  context: SandboxContext,
) => Promise<RunResult>;

export interface ExecutorDeps {
  db: Database;
  queue: RunQueue;
  github: GitHubApp;
  reporter: RunReporter;
  log: Logger;
  heartbeatMs: number;
  settings: SpecSettings;
  sandbox: SandboxRunner;
  /** Aborted when the process shuts down: running sandboxes are stopped. */
  shutdown: AbortSignal;
}

/**
 * Carries one claimed run to its end. A heartbeat renews the lease and
 * notices a cancel request; every side effect is preceded by a check that
 * the lease is still ours, and every write to the run is fenced by its
 * token. If the lease is lost the run is left to whoever took it over.
 */
export async function executeRun(
  deps: ExecutorDeps,
  claimed: GitHubRun,
): Promise<void> {
  const lease: Lease = { runId: claimed.id, token: claimed.leaseToken };
  const log = deps.log.child({ runId: claimed.id, repo: claimed.repository });
  const audit = databaseAuditSink(deps.db, claimed.id);
  const stop = new AbortController();
  let stopReason: StopReason | null = null;
  const halt = (why: StopReason) => {
    stopReason ??= why;
    stop.abort();
  };
  const onShutdown = () => halt("shutdown");
  deps.shutdown.addEventListener("abort", onShutdown);

  const heartbeat = setInterval(() => {
    deps.queue.renew(lease).then(
      (renewed) => {
        if (!renewed.held) halt("lease_lost");
        else if (renewed.cancelRequested) halt("cancel");
      },
      (err: unknown) => log.warn({ err }, "lease renewal failed"),
    );
  }, deps.heartbeatMs);
  const guard = async () => {
    if (stopReason === "lease_lost" || !(await deps.queue.held(lease))) {
      halt("lease_lost");
      throw new AppError(
        "WORKER_LEASE_LOST",
        `Lost the lease on ${lease.runId}.`,
      );
    }
  };

  let run = claimed;
  try {
    await guard();
    run = await deps.reporter.running(run, lease.token);
    await audit.record("claimed", { leaseToken: lease.token });

    const client = deps.github.installation(run.installationId);
    const trigger = await triggerOf(deps.db, run);
    const task = await buildTask(client, {
      ref: { owner: run.owner, repo: run.repo },
      subject: { kind: run.subjectKind, number: run.subjectNumber },
      ...trigger,
      botLogin: await deps.github.botLogin(),
      minPermission: run.policy.minPermission,
    });
    await audit.record("task_built", {
      sha256: task.sha256,
      inputs: task.inputs,
      skippedComments: task.skippedComments,
    });

    const spec = buildRunSpec(run, task.text, deps.settings);
    const upstream = createGitHubUpstream({
      github: deps.github,
      installationId: run.installationId,
      repository: run.repository,
      log,
    });
    let result: RunResult;
    try {
      result = await deps.sandbox(spec, {
        upstream,
        audit,
        log,
        signal: stop.signal,
      });
    } finally {
      await upstream.close();
    }
    if (stopReason === "lease_lost") return;
    // Stopped because this process is going away, not because anyone asked.
    if (stopReason === "shutdown") {
      result = { ...result, outcome: "failed", reason: "infrastructure" };
    }

    let pullUrl: string | null = null;
    if (result.pushes.some((push) => push.accepted) && result.headSha) {
      await guard();
      const pull = await openPullRequest(client, run, result);
      pullUrl = pull.htmlUrl;
      await setRunFields(
        deps.db,
        run.id,
        { pr_number: pull.number, pr_url: pull.htmlUrl },
        lease.token,
      );
      await audit.record("pull_request", {
        number: pull.number,
        created: pull.created,
      });
    }

    await guard();
    if (!(await recordResult(deps.db, result, lease.token))) return;
    const latest = (await getRun(deps.db, run.id)) ?? run;
    await deps.reporter.finished(
      { ...run, cancelledBy: latest.cancelledBy },
      { finish: finishOf(result, latest), result, pullUrl },
      lease.token,
    );
    log.info(
      { outcome: result.outcome, reason: result.reason },
      "run finished",
    );
  } catch (err) {
    if (stopReason === "lease_lost") {
      log.warn({ err }, "lease lost; leaving the run to its new owner");
      return;
    }
    await fail(deps, run, lease, stopReason, err, log);
  } finally {
    clearInterval(heartbeat);
    deps.shutdown.removeEventListener("abort", onShutdown);
  }
}

type StopReason = "cancel" | "lease_lost" | "shutdown";

async function fail(
  deps: ExecutorDeps,
  run: GitHubRun,
  lease: Lease,
  stopReason: StopReason | null,
  err: unknown,
  log: Logger,
): Promise<void> {
  const cancelled = stopReason === "cancel";
  const finish: Finish = cancelled
    ? { outcome: "cancelled", reason: "cancelled", detail: "cancelled" }
    : {
        outcome: "failed",
        reason: "infrastructure",
        detail:
          stopReason === "shutdown"
            ? "the app shut down during the run"
            : isAppError(err)
              ? err.explain()
              : "an internal error; see the app's logs",
      };
  if (!cancelled) log.error({ err }, "run failed");
  try {
    await databaseAuditSink(deps.db, run.id).record("failed", {
      reason: finish.reason,
      detail: finish.detail,
    });
    const finished = await finishRun(
      deps.db,
      run.id,
      lease.token,
      finish.outcome as "failed",
      finish.reason!,
    );
    if (finished) {
      await deps.reporter.finished(run, {
        finish,
        result: null,
        pullUrl: null,
      });
    }
  } catch (reportErr) {
    log.error({ err: reportErr }, "could not report the failed run");
  }
}

function finishOf(result: RunResult, run: GitHubRun): Finish {
  const base = { outcome: result.outcome, reason: result.reason };
  switch (result.reason) {
    case "agent_exit":
      return {
        ...base,
        detail: `the agent exited with code ${result.exitCode}`,
      };
    case "push_rejected":
      return {
        ...base,
        detail: result.pushes
          .filter((push) => !push.accepted)
          .flatMap((push) => push.reasons)
          .join("; "),
      };
    case "push_conflict":
      return { ...base, detail: "the branch moved upstream during the run" };
    case "deadline":
      return {
        ...base,
        detail: `the run exceeded its limit of ${result.limits.timeoutSeconds}s`,
      };
    case "cancelled":
      return {
        ...base,
        detail: `cancelled${run.cancelledBy ? ` by ${run.cancelledBy}` : ""}`,
      };
    case null:
      return base;
    default:
      return { ...base, detail: result.reason };
  }
}

async function triggerOf(db: Database, run: GitHubRun) {
  const delivery = await deliveryPayload(db, run.deliveryId);
  const reading = delivery
    ? readEvent(delivery.event, delivery.payload)
    : undefined;
  const event = reading?.actionable ? reading.event : undefined;
  if (
    event?.type === "command" &&
    event.parsed.type === "command" &&
    event.parsed.command.kind === "fix"
  ) {
    return {
      instruction: event.parsed.command.text,
      details: event.parsed.command.details,
      review: event.review,
    };
  }
  return { instruction: "", details: "", review: null };
}
