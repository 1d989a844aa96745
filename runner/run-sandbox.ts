import { rm, statfs } from "node:fs/promises";
import path from "node:path";

import type { Logger } from "pino";

import { classifyOutcome } from "./classify-outcome.ts";
import { openDoor, type Door } from "./door/door-server.ts";
import type { ModelBrokerOptions } from "./door/model-broker.ts";
import {
  issueRunCredential,
  type CredentialCheck,
  type StoredCredential,
} from "./door/run-credential.ts";
import type { RunnerImage } from "./image/build-image.ts";
import type { DockerEngine } from "./sandbox/docker-engine.ts";
import {
  runContainer,
  type ContainerRunResult,
} from "./sandbox/run-container.ts";
import type { AuditSink, RunResult, RunSpec, Upstream } from "./types.ts";
import {
  prepareWorkspace,
  type Workspace,
} from "./workspace/prepare-workspace.ts";

// A workspace with less free space than this at the end was filled up: the
// agent's failure is explained by the cap, not by its own code.
const FULL_WORKSPACE_FREE_BYTES = 1024 * 1024;

const LIMITS = new Set([
  "deadline",
  "out_of_memory",
  "process_limit",
  "workspace_full",
  "budget_exceeded",
]);

/** Where run credentials are kept; the door only ever gets `check`. */
export interface CredentialRegistry {
  store(credential: StoredCredential): Promise<void>;
  revoke(runId: string): Promise<void>;
  check: CredentialCheck;
}

/** What stays the same across the runs of one process. */
export interface SandboxHost {
  engine: DockerEngine;
  engineSocket: string;
  image: RunnerImage;
  dataDir: string;
  instance: string;
  credentials: CredentialRegistry;
  models: ModelBrokerOptions["providers"];
  tokenBudget: number | undefined;
}

/** What belongs to one run. */
export interface RunContext {
  upstream: Upstream;
  audit: AuditSink;
  log: Logger;
  signal: AbortSignal;
  onOutput?: (text: string) => void;
}

/**
 * One sandboxed run from start to end: a workspace, a credential, a door,
 * a container; then the outcome, and every piece removed again on every
 * path. Nothing here knows where the run came from or where it is reported.
 */
export async function runSandbox(
  spec: RunSpec,
  host: SandboxHost,
  context: RunContext,
): Promise<RunResult> {
  const { audit, log } = context;
  const startedAt = Date.now();
  const deadline = new Date(startedAt + spec.limits.timeoutSeconds * 1000);
  const stop = new StopReasons(context.signal);
  const doorDir = path.join(host.dataDir, "doors", spec.runId);
  let workspace: Workspace | undefined;
  let door: Door | undefined;

  try {
    workspace = await prepareWorkspace({
      dataDir: host.dataDir,
      spec,
      upstream: context.upstream,
      log,
    });
    const preparedAt = Date.now();
    await audit.record("prepared", {
      baseSha: workspace.baseSha,
      branch: spec.branch,
      image: host.image.id,
      limits: { ...spec.limits },
      durationMs: preparedAt - startedAt,
    });

    const credential = issueRunCredential(
      { runId: spec.runId, repository: spec.repository, branch: spec.branch },
      deadline,
    );
    await host.credentials.store(credential.stored);
    door = await openDoor({
      dir: doorDir,
      spec,
      upstream: context.upstream,
      credentials: host.credentials.check,
      mirrorDir: workspace.mirrorDir,
      audit,
      log,
      models: {
        providers: host.models,
        tokenBudget: host.tokenBudget,
        onBudgetExceeded: () => stop.trip("budget"),
      },
    });

    const container = await runContainer(host.engine, {
      inputs: {
        instance: host.instance,
        image: host.image.id,
        spec,
        baseSha: workspace.baseSha,
        workspaceDir: workspace.dir,
        cacheMirrorDir: workspace.mirrorDir,
        doorSocketPath: door.socketPath,
        credential: credential.token,
        engineSocket: host.engineSocket,
      },
      log,
      signal: stop.signal,
      onOutput: context.onOutput,
      onStarted: (containerId) =>
        void audit
          .record("container_started", { containerId })
          .catch((err: unknown) => log.error({ err }, "audit failed")),
    });

    const result = await finish(spec, host, workspace, door, container, stop);
    result.timings.prepareMs = preparedAt - startedAt;
    result.timings.totalMs = Date.now() - startedAt;
    if (result.reason && LIMITS.has(result.reason)) {
      await audit.record("limit_hit", { limit: result.reason });
    }
    await audit.record("finished", {
      outcome: result.outcome,
      reason: result.reason,
      exitCode: result.exitCode,
      headSha: result.headSha,
      pushes: result.pushes.length,
      egress: result.egress.length,
      peakMemoryBytes: result.peakMemoryBytes,
      timings: { ...result.timings },
    });
    return result;
  } finally {
    await cleanUp(spec, host, context, { door, doorDir, workspace });
  }
}

async function finish(
  spec: RunSpec,
  host: SandboxHost,
  workspace: Workspace,
  door: Door,
  container: ContainerRunResult,
  stop: StopReasons,
): Promise<RunResult> {
  const pushes = door.pushes();
  const killedBy =
    container.killedBy === "cancel" ? stop.reason : container.killedBy;
  const ending = {
    exitCode: container.exitCode,
    killedBy,
    oomKilled: container.oomKilled,
    pidsLimitHit: container.pidsLimitHit,
    workspaceFull: await isFull(workspace.dir),
  };
  const { outcome, reason } = classifyOutcome(ending, pushes);
  const accepted = pushes.filter((push) => push.accepted);
  const { startedAt, firstOutputAt, exitedAt, requestedAt } = container.timings;

  return {
    runId: spec.runId,
    outcome,
    reason,
    exitCode: container.exitCode,
    branch: spec.branch,
    baseSha: workspace.baseSha,
    headSha: accepted.at(-1)?.newSha ?? null,
    pushes,
    egress: door.egress(),
    usage: door.usage(),
    limits: spec.limits,
    image: host.image.id,
    timings: {
      prepareMs: 0,
      startMs: (firstOutputAt ?? startedAt ?? requestedAt) - requestedAt,
      agentMs: exitedAt && startedAt ? exitedAt - startedAt : 0,
      totalMs: 0,
    },
    peakMemoryBytes: container.peakMemoryBytes,
    log: container.output,
  };
}

async function isFull(dir: string): Promise<boolean> {
  try {
    const stats = await statfs(dir);
    return stats.bavail * stats.bsize < FULL_WORKSPACE_FREE_BYTES;
  } catch {
    return false;
  }
}

/** Each piece is removed even when another fails to go. */
async function cleanUp(
  spec: RunSpec,
  host: SandboxHost,
  context: RunContext,
  pieces: { door?: Door; doorDir: string; workspace?: Workspace },
): Promise<void> {
  const { door, doorDir, workspace } = pieces;
  const problems: string[] = [];
  const attempt = async (what: string, work: () => Promise<void>) => {
    try {
      await work();
    } catch (err) {
      problems.push(what);
      context.log.error({ err, runId: spec.runId, what }, "cleanup failed");
    }
  };

  await attempt("credential", () => host.credentials.revoke(spec.runId));
  if (door) await attempt("door", () => door.close());
  await attempt("door", () => rm(doorDir, { recursive: true, force: true }));
  if (workspace) await attempt("workspace", () => workspace.release());
  await attempt("audit", () =>
    context.audit.record("cleaned_up", { problems }),
  );
}

/**
 * Why the run is being stopped early: the caller's signal means cancel,
 * the budget trips its own reason; the first reason wins.
 */
class StopReasons {
  readonly #controller = new AbortController();
  #reason: "cancel" | "budget" | null = null;

  constructor(outer: AbortSignal) {
    if (outer.aborted) this.trip("cancel");
    else outer.addEventListener("abort", () => this.trip("cancel"));
  }

  get signal(): AbortSignal {
    return this.#controller.signal;
  }

  get reason(): "cancel" | "budget" {
    return this.#reason ?? "cancel";
  }

  trip(reason: "cancel" | "budget"): void {
    if (this.#reason) return;
    this.#reason = reason;
    this.#controller.abort();
  }
}
